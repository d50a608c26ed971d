import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { expect } from 'chai';
import { createEnvelope, type Envelope } from '../../../src/core/envelope';
import type { Endpoint, EndpointContext } from '../../../src/core/endpoint';
import { JunctionError } from '../../../src/core/errors';
import { silentLogger } from '../../../src/core/logger';
import { httpEndpointFactory } from '../../../src/endpoints/http/http-endpoint-factory';
import { soapEndpointFactory } from '../../../src/endpoints/soap/soap-endpoint-factory';
import { ErpSimulator, findErpWsdlPath } from '../../../examples/legacy/erp/erp-simulator.js';
import { rejection } from '../../support/errors';
import { closeNow, listenOnLoopback } from '../../support/ports';

const context: EndpointContext = { routeId: 'test-route', logger: silentLogger };
const CUSTOMER = '{"CUST_NO":"C-1","CUST_NAME":"Ada","TEL":null,"STAT":"A"}';
const SECRET = 's3cret+/=';

function message(body: string): Envelope {
  return createEnvelope({ routeId: 'test-route', pattern: 'request-reply', source: 'test', contentType: 'application/json', body });
}

async function readAll(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** An OAuth 2.0 token endpoint (client credentials) that counts what it issues and can refuse. */
class TokenServer {
  issued: string[] = [];
  requests: { authorization: string | undefined; form: URLSearchParams }[] = [];
  expiresIn = 3600;
  /** How long each answer takes. */
  delayMs = 0;
  refuse: { status: number; body: string } | undefined;
  private server: Server | undefined;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      void readAll(req).then(async (text) => {
        if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
        const form = new URLSearchParams(text);
        this.requests.push({ authorization: req.headers.authorization, form });
        const basic = `Basic ${Buffer.from(`junction:${encodeURIComponent(SECRET)}`).toString('base64')}`;
        const authenticated = req.headers.authorization === basic || (form.get('client_id') === 'junction' && form.get('client_secret') === SECRET);
        if (this.refuse) { res.writeHead(this.refuse.status, { 'content-type': 'application/json' }).end(this.refuse.body); return; }
        if (form.get('grant_type') !== 'client_credentials' || !authenticated) {
          res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_client","error_description":"unknown client"}');
          return;
        }
        const token = `tok-${this.issued.length + 1}`;
        this.issued.push(token);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: this.expiresIn }));
      });
    });
    return `${await listenOnLoopback(this.server)}/oauth2/token`;
  }

  close(): Promise<void> {
    return closeNow(this.server);
  }
}

/**
 * A backend behind a bearer-token (or Basic) check: answers /echo itself, forwards anything else
 * to `origin` (the ERP simulator), 401 for a missing or revoked credential.
 */
class GuardedBackend {
  readonly seen: (string | undefined)[] = [];
  readonly revoked = new Set<string>();
  /** How long each answer takes. */
  delayMs = 0;
  private server: Server | undefined;

  constructor(private readonly origin: string) {}

  async start(): Promise<string> {
    this.server = createServer(async (req, res) => {
      if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
      const authorization = req.headers.authorization;
      this.seen.push(authorization);
      if (!authorization || this.revoked.has(authorization)) {
        res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' }).end();
        return;
      }
      if (req.url === '/echo') {
        req.pipe(res.writeHead(200, { 'content-type': 'application/json' }));
        return;
      }
      const upstream = httpRequest(new URL(req.url ?? '/', this.origin), { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    return listenOnLoopback(this.server);
  }

  close(): Promise<void> {
    return closeNow(this.server);
  }
}

describe('endpoint authentication (endpoints.<name>.auth: basic, oauth2 client credentials)', function () {
  this.timeout(20_000);
  let sim: ErpSimulator;
  let tokens: TokenServer;
  let tokenUrl: string;
  let backend: GuardedBackend;
  let backendUrl: string;
  const started: Endpoint[] = [];
  const env = { OA_SECRET: SECRET, ERP_PASSWORD: 'pa:ss wörd' };

  beforeEach(async () => {
    sim = new ErpSimulator();
    await sim.start();
    tokens = new TokenServer();
    tokenUrl = await tokens.start();
    backend = new GuardedBackend(new URL(sim.soapUrl).origin);
    backendUrl = await backend.start();
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((e) => e.close()));
    await Promise.all([tokens.close(), backend.close(), sim.close()]);
  });

  const oauth2 = (extra: Record<string, unknown> = {}): Record<string, unknown> =>
    ({ oauth2: { tokenUrl, clientId: 'junction', clientSecret: { env: 'OA_SECRET' }, scope: 'oa.write', clientAuthentication: 'basic', ...extra } });

  function create(type: 'http' | 'soap', options: Record<string, unknown>): Endpoint {
    const defaults = type === 'http'
      ? { url: `${backendUrl}/echo`, method: 'POST', timeoutMs: 5000, headers: {}, connections: 4 }
      : { wsdl: findErpWsdlPath(), url: `${backendUrl}${new URL(sim.soapUrl).pathname}`, operation: 'CreateOrUpdateCustomer', timeoutMs: 5000, headers: {}, messageIdHeader: true, connections: 4 };
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      return (type === 'http' ? httpEndpointFactory : soapEndpointFactory).create('oa', { ...defaults, ...options }, { baseDir: process.cwd() });
    } finally {
      for (const key of Object.keys(env)) if (saved[key] === undefined) delete process.env[key];
    }
  }
  async function build(type: 'http' | 'soap', options: Record<string, unknown>): Promise<Endpoint> {
    const endpoint = create(type, options);
    started.push(endpoint);
    await endpoint.start();
    return endpoint;
  }

  it('fetches one access token for many calls (client_secret_basic, scope) and sends it as a bearer token', async () => {
    const oa = await build('http', { auth: oauth2() });
    const replies = await Promise.all([1, 2, 3, 4, 5].map(() => oa.send(message(CUSTOMER), context)));
    expect(replies.map((r) => r.body)).to.deep.equal(Array(5).fill(CUSTOMER));
    expect(tokens.issued).to.deep.equal(['tok-1']);
    expect(tokens.requests[0]!.form.get('scope')).to.equal('oa.write');
    expect(tokens.requests[0]!.form.has('client_secret')).to.equal(false);
    expect(backend.seen).to.deep.equal(Array(5).fill('Bearer tok-1'));
  });

  it('takes a fresh token shortly before the old one expires, and when the backend refuses one (401) retries once with a new one', async () => {
    tokens.expiresIn = 1; // kept for half its life
    const oa = await build('http', { auth: oauth2({ clientAuthentication: 'post' }) });
    await oa.send(message(CUSTOMER), context);
    await new Promise((r) => setTimeout(r, 600));
    await oa.send(message(CUSTOMER), context);
    expect(tokens.issued).to.deep.equal(['tok-1', 'tok-2']);
    expect(tokens.requests[1]!.form.get('client_id')).to.equal('junction');
    tokens.expiresIn = 3600;
    const soap = await build('soap', { auth: oauth2() });
    await soap.send(message(CUSTOMER), context);
    backend.revoked.add('Bearer tok-3');
    const reply = await soap.send(message(CUSTOMER), context);
    expect(reply.body).to.contain('ERP_CUST_NO');
    expect(tokens.issued).to.deep.equal(['tok-1', 'tok-2', 'tok-3', 'tok-4']);
    expect(backend.seen.slice(-3)).to.deep.equal(['Bearer tok-3', 'Bearer tok-3', 'Bearer tok-4']);
  });

  it('a token endpoint refusing the client fails the call retryably, says what to check, and the backend is not called', async () => {
    tokens.refuse = { status: 401, body: '{"error":"invalid_client","error_description":"client secret expired"}' };
    const oa = await build('http', { auth: oauth2() });
    const error = await rejection(oa.send(message(CUSTOMER), context));
    expect(error).to.be.instanceOf(JunctionError);
    expect([error.code, error.retryable]).to.deep.equal(['JCT_ENDPOINT_UNREACHABLE', true]);
    expect(error.message).to.equal(`Endpoint "oa" got no access token: its token endpoint ${new URL(tokenUrl).host} answered HTTP 401: invalid_client (client secret expired); check endpoints.oa.auth.oauth2.clientId and clientSecret`);
    expect(error.message).not.to.contain(SECRET);
    await tokens.close();
    const soap = await build('soap', { auth: oauth2() });
    const down = await rejection(soap.send(message(CUSTOMER), context));
    expect(down.code).to.equal('JCT_ENDPOINT_UNREACHABLE');
    expect(down.message).to.match(/^Endpoint "oa" cannot reach its token endpoint 127\.0\.0\.1:\d+ \(ECONNREFUSED\)$/);
    expect(backend.seen).to.deep.equal([]);
  });

  it('a backend refusing every token (wrong audience) costs one new token, not one per message; a failed fetch is not repeated at once', async () => {
    const oa = await build('http', { auth: oauth2() });
    await oa.send(message(CUSTOMER), context);
    backend.revoked.add('Bearer tok-1');
    expect((await oa.send(message(CUSTOMER), context)).body).to.equal(CUSTOMER); // tok-1 refused: tok-2
    backend.revoked.add('Bearer tok-2');
    for (let i = 0; i < 3; i += 1) {
      const refused = await rejection(oa.send(message(CUSTOMER), context));
      expect([refused.code, refused.retryable]).to.deep.equal(['JCT_ENDPOINT_REJECTED', false]);
    }
    expect(tokens.issued).to.deep.equal(['tok-1', 'tok-2']);
    expect(backend.seen).to.deep.equal(['Bearer tok-1', 'Bearer tok-1', 'Bearer tok-2', 'Bearer tok-2', 'Bearer tok-2', 'Bearer tok-2']);
    tokens.refuse = { status: 503, body: 'down for maintenance' };
    const fresh = await build('http', { auth: oauth2() });
    for (let i = 0; i < 3; i += 1) expect((await rejection(fresh.send(message(CUSTOMER), context))).message).to.contain('answered HTTP 503');
    expect(tokens.requests).to.have.length(3); // two for oa, one for the three failed sends of fresh
  });

  it('a delivery keeps to timeoutMs as a whole: a slow token endpoint leaves the call only the rest, also on the retry after a 401', async () => {
    const N = 1000;
    // Each step alone fits in N; token fetch and call together do not.
    tokens.delayMs = 0.7 * N;
    backend.delayMs = 0.7 * N;
    for (const type of ['http', 'soap'] as const) {
      const endpoint = await build(type, { auth: oauth2(), timeoutMs: N });
      const began = Date.now();
      const error = await rejection(endpoint.send(message(CUSTOMER), context));
      expect(Date.now() - began, type).to.be.below(2 * N);
      expect([error.code, error.retryable], type).to.deep.equal(['JCT_ENDPOINT_TIMEOUT', true]);
      // The call's own timeout, or (on a machine slow enough) the wait for the token.
      expect(error.message, type).to.match(/^Endpoint "oa" (did not answer (CreateOrUpdateCustomer )?within 1000 ms|timed out after 1000 ms waiting for an access token from .*)$/);
    }
    // With the token at hand the same call fits.
    const oa = await build('http', { auth: oauth2(), timeoutMs: N });
    tokens.delayMs = 0;
    expect((await oa.send(message(CUSTOMER), context)).body).to.equal(CUSTOMER);
    // The retry after a 401: call (refused), a new token, the call again: three steps in one N.
    backend.delayMs = 0.4 * N;
    tokens.delayMs = 0.7 * N;
    backend.revoked.add(backend.seen.at(-1) ?? '');
    const began = Date.now();
    const error = await rejection(oa.send(message(CUSTOMER), context));
    expect(Date.now() - began).to.be.below(2 * N);
    expect(error.code).to.equal('JCT_ENDPOINT_TIMEOUT');
    expect(error.message).to.match(/^Endpoint "oa" (timed out after 1000 ms waiting for an access token from its token endpoint 127\.0\.0\.1:\d+|did not answer within 1000 ms)$/);
  });

  it('a delivery waits for its token no longer than timeoutMs, and then says what it waited for', async () => {
    const N = 500;
    tokens.delayMs = 2 * N;
    const oa = await build('http', { auth: oauth2(), timeoutMs: N });
    const began = Date.now();
    const error = await rejection(oa.send(message(CUSTOMER), context));
    expect(Date.now() - began).to.be.below(2 * N);
    expect([error.code, error.message]).to.deep.equal(['JCT_ENDPOINT_TIMEOUT', `Endpoint "oa" timed out after ${N} ms waiting for an access token from its token endpoint ${new URL(tokenUrl).host}`]);
    expect(backend.seen).to.deep.equal([]);
  });

  it('fetches a WSDL behind the same bearer token the deliveries then use', async () => {
    const soap = await build('soap', { wsdl: `${backendUrl}${new URL(sim.wsdlUrl).pathname}?wsdl`, auth: oauth2() });
    expect((await soap.send(message(CUSTOMER), context)).body).to.contain('ERP_CUST_NO');
    expect(tokens.issued).to.deep.equal(['tok-1']);
    expect(backend.seen).to.deep.equal(['Bearer tok-1', 'Bearer tok-1']);
    expect(sim.wsdlRequests()).to.equal(1);
  });

  for (const [what, body, said] of [
    ['not JSON', 'access_token=abc', 'has no access_token'],
    ['without access_token', '{"token_type":"Bearer","expires_in":60}', 'has no access_token'],
    ['of another token type', '{"access_token":"abc","token_type":"mac"}', 'got a "mac" token'],
  ] as const) {
    it(`a token answer ${what} fails the call and says so`, async () => {
      tokens.refuse = { status: 200, body };
      const oa = await build('http', { auth: oauth2() });
      const error = await rejection(oa.send(message(CUSTOMER), context));
      expect(error.code).to.equal('JCT_ENDPOINT_UNREACHABLE');
      expect(error.message).to.contain(said);
      expect(backend.seen).to.deep.equal([]);
    });
  }

  it('HTTP Basic from a secret, on REST and SOAP; a backend refusing it is not asked again', async () => {
    const basic = { basic: { username: 'junction', password: { env: 'ERP_PASSWORD' } } };
    const expected = `Basic ${Buffer.from('junction:pa:ss wörd', 'utf8').toString('base64')}`;
    await (await build('http', { auth: basic })).send(message(CUSTOMER), context);
    expect((await (await build('soap', { auth: basic })).send(message(CUSTOMER), context)).body).to.contain('ERP_CUST_NO');
    expect(backend.seen).to.deep.equal([expected, expected]);
    backend.revoked.add(expected);
    expect((await rejection((started[0] as Endpoint).send(message(CUSTOMER), context))).code).to.equal('JCT_ENDPOINT_REJECTED');
    expect(backend.seen).to.have.length(3);
  });

  it('a preview shows where the credentials come from, never them; boot refuses auth beside an Authorization header or a missing secret', async () => {
    const oa = await build('http', { auth: oauth2() });
    expect((await oa.preview(message(CUSTOMER))).headers.authorization).to.equal(`Bearer <access token from ${new URL(tokenUrl).host}>`);
    const soap = await build('soap', { auth: { basic: { username: 'junction', password: { env: 'ERP_PASSWORD' } } } });
    const preview = await soap.preview(message(CUSTOMER));
    expect(preview.headers.authorization).to.equal('Basic ****');
    expect(tokens.issued).to.deep.equal([]);
    expect(() => create('http', { auth: oauth2(), headers: { Authorization: 'Bearer static' } })).to.throw(JunctionError, /endpoints\.oa: give auth or an Authorization header in headers, not both/);
    expect(() => create('http', { auth: oauth2({ clientSecret: { env: 'NOT_SET_ANYWHERE' } }) })).to.throw(JunctionError, /endpoints\.oa\.auth\.oauth2\.clientSecret: the environment variable NOT_SET_ANYWHERE is not set/);
  });
});
