import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { rootCertificates, type TLSSocket } from 'node:tls';
import path from 'node:path';
import { request as undiciRequest } from 'undici';
import { expect } from 'chai';
import { createEnvelope, type Envelope } from '../../../src/core/envelope';
import type { Endpoint, EndpointContext } from '../../../src/core/endpoint';
import { JunctionError } from '../../../src/core/errors';
import { silentLogger } from '../../../src/core/logger';
import { httpEndpointFactory } from '../../../src/endpoints/http/http-endpoint-factory';
import { createDispatcher, forOtherHosts, readOutbound } from '../../../src/endpoints/outbound-connection';
import { soapEndpointFactory } from '../../../src/endpoints/soap/soap-endpoint-factory';
import { ErpSimulator, findErpWsdlPath } from '../../../examples/legacy/erp/erp-simulator.js';
import { rejection } from '../../support/errors';
import { buildApp } from '../../../src/app';
import { MemoryBroker } from '../../../src/bus/memory/memory-broker';
import { loadConfig } from '../../../src/config/load-config';
import { FakeTransactionLog } from '../../support/fake-transaction-log';
import { ForwardProxy } from '../../support/forward-proxy';
import { eventually, postJson } from '../../support/http';
import { TempConfigDir } from '../../support/temp-config';
import { tlsFixture, TLS_FIXTURES } from '../../support/tls-fixtures';
import { closeNow, listenOnLoopback } from '../../support/ports';

const TLS_DIR = TLS_FIXTURES;
const pem = tlsFixture;
const context: EndpointContext = { routeId: 'test-route', logger: silentLogger };
const CUSTOMER = '{"CUST_NO":"C-1","CUST_NAME":"Ada","TEL":null,"STAT":"A"}';

function message(body: string): Envelope {
  return createEnvelope({ routeId: 'test-route', pattern: 'request-reply', source: 'test', contentType: 'application/json', body });
}

/**
 * An HTTPS front on 127.0.0.1 (the test `localhost` certificate) that forwards every request to a
 * plain HTTP origin (but answers `/echo` with the request's body itself) and notes the client certificate each caller showed: a legacy backend behind
 * TLS, with or without mutual TLS.
 */
class HttpsFront {
  readonly clients: (string | undefined)[] = [];
  private server: HttpsServer | undefined;

  constructor(private readonly origin: string, private readonly requireClientCertificate: boolean) {}

  async start(): Promise<string> {
    const server = createHttpsServer({
      cert: pem('localhost.crt'), key: pem('localhost.key'),
      ...(this.requireClientCertificate ? { ca: pem('clients-ca.crt'), requestCert: true, rejectUnauthorized: true } : {}),
    }, (req: IncomingMessage, res) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      this.clients.push(peer && 'subject' in peer ? String(peer.subject.CN) : undefined);
      if (req.url === '/echo') {
        req.pipe(res.writeHead(200, { 'content-type': String(req.headers['content-type']) }));
        return;
      }
      const upstream = httpRequest(new URL(req.url ?? '/', this.origin), { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.writeHead(502).end());
      req.pipe(upstream);
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    return `https://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }

  async close(): Promise<void> {
    await closeNow(this.server);
  }
}

describe('endpoint TLS and proxy (endpoints.<name>.tls, .proxy)', function () {
  this.timeout(20_000);
  let sim: ErpSimulator;
  let front: HttpsFront;
  let frontUrl: string;
  let proxy: ForwardProxy;
  let proxyUrl: string;
  const started: Endpoint[] = [];
  const trustFront = { ca: { file: path.join(TLS_DIR, 'localhost.crt') } };
  const clientCertificate = { cert: { file: path.join(TLS_DIR, 'client-erp-batch.crt') }, key: { file: path.join(TLS_DIR, 'client-erp-batch.key') } };

  beforeEach(async () => {
    sim = new ErpSimulator();
    await sim.start();
    front = new HttpsFront(new URL(sim.soapUrl).origin, true);
    frontUrl = await front.start();
    proxy = new ForwardProxy('Basic ' + Buffer.from('junction:s3cret').toString('base64'));
    proxyUrl = await proxy.start();
  });

  afterEach(async () => {
    await Promise.all(started.splice(0).map((e) => e.close()));
    await front.close();
    await proxy.close();
    await sim.close();
  });

  /** Builds and starts an endpoint from options as configuration gives them (after schema defaults). */
  async function build(type: 'http' | 'soap', options: Record<string, unknown>): Promise<Endpoint> {
    const factory = type === 'http' ? httpEndpointFactory : soapEndpointFactory;
    const defaults = type === 'http'
      ? { method: 'POST', timeoutMs: 5000, headers: {}, connections: 4 }
      : { wsdl: findErpWsdlPath(), operation: 'CreateOrUpdateCustomer', timeoutMs: 5000, headers: {}, messageIdHeader: true, connections: 4 };
    const endpoint = factory.create('erp', { ...defaults, ...options }, { baseDir: TLS_DIR });
    started.push(endpoint);
    await endpoint.start();
    return endpoint;
  }

  const soapPath = (): string => new URL(sim.soapUrl).pathname;
  const restUrl = (base: string): string => `${base}/echo`;

  it('calls an HTTPS SOAP backend with a private CA and a client certificate (mutual TLS)', async () => {
    const erp = await build('soap', { url: `${frontUrl}${soapPath()}`, tls: { ...trustFront, ...clientCertificate } });
    const reply = await erp.send(message(CUSTOMER), context);
    expect(reply.body).to.contain('ERP_CUST_NO');
    expect(front.clients).to.deep.equal(['erp-batch']);
  });

  it('an HTTP endpoint reaches an HTTPS backend the same way; the certificate and key files are read at boot', async () => {
    const erp = await build('http', { url: restUrl(frontUrl), tls: { ...trustFront, ...clientCertificate } });
    expect((await erp.send(message(CUSTOMER), context)).body).to.equal(CUSTOMER);
    expect(front.clients).to.deep.equal(['erp-batch']);
  });

  it('without the CA the call fails retryably and says which option to set', async () => {
    const soap = await build('soap', { url: `${frontUrl}${soapPath()}`, tls: clientCertificate });
    const error = await rejection(soap.send(message(CUSTOMER), context));
    expect(error.code).to.equal('JCT_ENDPOINT_UNREACHABLE');
    expect(error.retryable).to.equal(true);
    expect(error.message).to.match(/not trusted \(.+\); give the CA that signed it in endpoints\.erp\.tls\.ca/);
    const http = await build('http', { url: restUrl(frontUrl) });
    const viaHttp = await rejection(http.send(message(CUSTOMER), context));
    expect(viaHttp.code).to.equal('JCT_ENDPOINT_UNREACHABLE');
    expect(viaHttp.message).to.contain('endpoints.erp.tls.ca');
    expect(front.clients).to.deep.equal([]);
  });

  it('a backend asking for a client certificate refuses a call without one: unreachable, retryable', async () => {
    const erp = await build('soap', { url: `${frontUrl}${soapPath()}`, tls: trustFront });
    const error = await rejection(erp.send(message(CUSTOMER), context));
    expect(error.code).to.equal('JCT_ENDPOINT_UNREACHABLE');
    expect(error.retryable).to.equal(true);
    expect(front.clients).to.deep.equal([]);
  });

  it('checks the name the certificate was issued for (tls.servername overrides the URL host)', async () => {
    const wrongName = await build('http', { url: restUrl(frontUrl), tls: { ...trustFront, ...clientCertificate, servername: 'erp.example' } });
    const error = await rejection(wrongName.send(message(CUSTOMER), context));
    expect(error.message).to.contain('not issued for the host').and.to.contain('endpoints.erp.tls.servername');
    const byName = await build('soap', { url: `${frontUrl.replace('127.0.0.1', 'localhost')}${soapPath()}`, tls: { ...trustFront, ...clientCertificate, servername: 'localhost' } });
    expect((await byName.send(message(CUSTOMER), context)).body).to.contain('ERP_CUST_NO');
  });

  it('goes through the proxy: a CONNECT tunnel to an HTTPS backend (TLS end to end), credentials from the URL', async () => {
    const erp = await build('soap', {
      url: `${frontUrl}${soapPath()}`, tls: { ...trustFront, ...clientCertificate },
      proxy: proxyUrl.replace('http://', 'http://junction:s3cret@'),
    });
    expect((await erp.send(message(CUSTOMER), context)).body).to.contain('ERP_CUST_NO');
    expect(proxy.tunnels).to.deep.equal([new URL(frontUrl).host]);
    expect(front.clients).to.deep.equal(['erp-batch']);
  });

  it('sends a plain HTTP backend\'s requests to the proxy with their absolute URL', async () => {
    const erp = await build('soap', { url: sim.soapUrl, proxy: proxyUrl.replace('http://', 'http://junction:s3cret@') });
    expect((await erp.send(message(CUSTOMER), context)).body).to.contain('ERP_CUST_NO');
    expect(proxy.forwarded).to.deep.equal([sim.soapUrl]);
    expect(proxy.tunnels).to.deep.equal([]);
  });

  it('a proxy asking for credentials (407) fails the call retryably and says where they go, tunnelled or not', async () => {
    const hint = 'the proxy asks for credentials (HTTP 407); give them in endpoints.erp.proxy as http://user:password@host:port';
    const tunnelled = await build('soap', { url: `${frontUrl}${soapPath()}`, tls: { ...trustFront, ...clientCertificate }, proxy: proxyUrl });
    const forwarded = await build('http', { url: `${new URL(sim.soapUrl).origin}/echo`, proxy: proxyUrl });
    const plainSoap = await build('soap', { url: sim.soapUrl, proxy: proxyUrl });
    for (const endpoint of [tunnelled, forwarded, plainSoap]) {
      const error = await rejection(endpoint.send(message(CUSTOMER), context));
      expect(error.code).to.equal('JCT_ENDPOINT_UNREACHABLE');
      expect(error.retryable).to.equal(true);
      expect(error.message).to.equal(`Endpoint "erp" is unreachable: ${hint}`);
    }
    expect(proxy.tunnels).to.deep.equal([]);
    expect(proxy.forwarded).to.deep.equal([]);
    expect(front.clients).to.deep.equal([]);
  });

  it('fetches a WSDL served over HTTPS with the endpoint\'s TLS and proxy; without the CA the start says what to set', async () => {
    const wsdl = `${frontUrl}${soapPath()}?wsdl`;
    const erp = await build('soap', {
      wsdl, url: `${frontUrl}${soapPath()}`, tls: { ...trustFront, ...clientCertificate },
      proxy: proxyUrl.replace('http://', 'http://junction:s3cret@'),
    });
    expect((await erp.send(message(CUSTOMER), context)).body).to.contain('ERP_CUST_NO');
    // The WSDL's GET and the call, each with the client certificate, each through a tunnel.
    expect(front.clients).to.deep.equal(['erp-batch', 'erp-batch']);
    expect(proxy.tunnels).to.deep.equal([new URL(frontUrl).host, new URL(frontUrl).host]);
    const error = await rejection(build('soap', { wsdl, url: `${frontUrl}${soapPath()}` }));
    expect(error.code).to.equal('JCT_ENDPOINT_UNREACHABLE');
    expect(error.message).to.match(/^Endpoint "erp" cannot fetch its WSDL https:\/\/127\.0\.0\.1:\d+\/erp\/soap\?wsdl: the backend's certificate is not trusted \(.+\); give the CA that signed it in endpoints\.erp\.tls\.ca$/);
  });

  it('is configured in the YAML file: paths relative to it, a delivery over mutual TLS through the proxy; a missing file stops the boot naming it', async () => {
    const dir = new TempConfigDir();
    const yaml = (ca: string): string => `
endpoints:
  erp:
    type: http
    url: "${restUrl(frontUrl)}"
    proxy: "${proxyUrl.replace('http://', 'http://junction:s3cret@')}"
    tls:
      ca: { file: ${ca} }
      cert: { file: client.crt }
      key: { file: client.key }
routes:
  - id: submit-order
    entry:
      rest: { method: POST, path: /orders }
    to: [erp]
`;
    try {
      dir.write('ca.pem', pem('localhost.crt'));
      dir.write('client.crt', pem('client-erp-batch.crt'));
      dir.write('client.key', pem('client-erp-batch.key'));
      const app = buildApp(loadConfig(dir.write('junction.yaml', yaml('ca.pem')), {}), { logger: silentLogger, port: 0, log: new FakeTransactionLog(), broker: new MemoryBroker() });
      const base = await app.start();
      try {
        expect((await postJson(`${base}/api/v1/orders`, CUSTOMER)).status).to.equal(202);
        await eventually(async () => (front.clients.length === 1 ? true : undefined));
        expect(front.clients).to.deep.equal(['erp-batch']);
        expect(proxy.tunnels).to.deep.equal([new URL(frontUrl).host]);
      } finally {
        await app.close();
      }
      const missing = dir.write('missing.yaml', yaml('no-such-ca.pem'));
      expect(() => buildApp(loadConfig(missing, {}), { logger: silentLogger, port: 0, log: new FakeTransactionLog(), broker: new MemoryBroker() }))
        .to.throw(JunctionError, /endpoints\.erp\.tls\.ca: the secret file .*no-such-ca\.pem cannot be read/);
    } finally {
      dir.remove();
    }
  });

  it('an endpoint\'s CA is trusted besides the system\'s roots, not instead of them', () => {
    const connection = readOutbound('erp', { tls: { ...trustFront, rejectUnauthorized: true } }, TLS_DIR, 'https://erp.example/api', {}); // no NODE_EXTRA_CA_CERTS
    expect(connection.tls?.ca).to.have.length(rootCertificates.length + 1);
    expect(connection.tls?.ca?.slice(0, rootCertificates.length)).to.deep.equal([...rootCertificates]);
    expect(connection.tls?.ca?.[rootCertificates.length]).to.equal(pem('localhost.crt').replace(/\r?\n$/, ''));
    // A token endpoint elsewhere gets the proxy and the CAs, not the backend's servername or client certificate.
    expect(forOtherHosts({ ...connection, proxy: 'http://proxy:3128' })).to.deep.equal({ tls: { ca: connection.tls?.ca, rejectUnauthorized: true }, proxy: 'http://proxy:3128' });
  });

  it('the CAs of NODE_EXTRA_CA_CERTS stay trusted next to an endpoint\'s own CA (Node adds them to its roots, not to rootCertificates)', async () => {
    // A backend whose certificate comes from the CA in NODE_EXTRA_CA_CERTS (clients-ca issued erp-batch's), while tls.ca names another CA.
    const backend = createHttpsServer({ cert: pem('client-erp-batch.crt'), key: pem('client-erp-batch.key') }, (_req, res) => res.end('ok'));
    const url = (await listenOnLoopback(backend)).replace('http:', 'https:');
    const tls = { ...trustFront, servername: 'erp-batch', rejectUnauthorized: true };
    const get = async (env: NodeJS.ProcessEnv): Promise<string> => {
      const dispatcher = createDispatcher(readOutbound('erp', { tls }, TLS_DIR, url, env), { connections: 1 });
      try {
        return await (await undiciRequest(url, { dispatcher })).body.text();
      } finally {
        await dispatcher.close();
      }
    };
    try {
      expect(await get({ NODE_EXTRA_CA_CERTS: path.join(TLS_DIR, 'clients-ca.crt') })).to.equal('ok');
      const refused = await get({}).then(() => undefined, (error: unknown) => error as { code?: string });
      expect(refused?.code).to.match(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY/);
      expect(await get({ NODE_EXTRA_CA_CERTS: path.join(TLS_DIR, 'no-such-file.pem') }).then(() => 'ok', () => 'refused')).to.equal('refused');
    } finally {
      await closeNow(backend);
    }
  });

  it('through a proxy to a plain http backend the endpoint still opens at most `connections` connections', async () => {
    let inFlight = 0;
    let most = 0;
    const slow = createServer((req, res) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      setTimeout(() => { inFlight -= 1; req.pipe(res.writeHead(200, { 'content-type': 'application/json' })); }, 50);
    });
    const slowUrl = await listenOnLoopback(slow);
    const open = new ForwardProxy();
    const openUrl = await open.start();
    try {
      const erp = await build('http', { url: `${slowUrl}/echo`, proxy: openUrl, connections: 2 });
      const replies = await Promise.all(Array.from({ length: 10 }, () => erp.send(message(CUSTOMER), context)));
      expect(replies.map((r) => r.body)).to.deep.equal(Array(10).fill(CUSTOMER));
      expect(open.forwarded).to.have.length(10);
      expect(open.connections).to.be.at.most(2);
      expect(most).to.be.at.most(2);
    } finally {
      await open.close();
      await closeNow(slow);
    }
  });

  it('refuses at boot: tls on an http URL, a certificate without its key, a certificate file that cannot be read', () => {
    const create = (options: Record<string, unknown>) => () => httpEndpointFactory.create('erp', { method: 'POST', timeoutMs: 1000, headers: {}, connections: 1, ...options }, { baseDir: TLS_DIR });
    expect(create({ url: 'http://erp.example/api', tls: trustFront })).to.throw(JunctionError, /endpoints\.erp\.tls: the endpoint's URL is not https/);
    expect(create({ url: 'https://erp.example/api', tls: { cert: clientCertificate.cert } })).to.throw(JunctionError, /endpoints\.erp\.tls: a client certificate needs both `cert` and `key`/);
    expect(create({ url: 'https://erp.example/api', tls: { ca: { file: 'missing-ca.pem' } } })).to.throw(JunctionError, /endpoints\.erp\.tls\.ca: the secret file .*missing-ca\.pem cannot be read/);
  });
});
