import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { expect } from 'chai';
import type { Endpoint } from '../../../src/core/endpoint';
import { soapEndpointFactory } from '../../../src/endpoints/soap/soap-endpoint-factory';
import { MAX_WSDL_REDIRECTS } from '../../../src/endpoints/soap/wsdl-fetch';
import { rejection } from '../../support/errors';
import { closeNow } from '../../support/ports';
import { tlsFixture, TLS_FIXTURES } from '../../support/tls-fixtures';

/** The CRM WSDL imports crm.xsd and faults.xsd by relative schemaLocation: a WSDL with imports. */
const CRM_DIR = path.resolve(__dirname, '../../../../wsdl/crm');
const CRM_FILES = ['crm.wsdl', 'crm.xsd', 'faults.xsd'];
const PASSWORD_ENV = 'JCT_TEST_WSDL_PASSWORD';
const BASIC = `Basic ${Buffer.from('junction:wsdl-s3cret').toString('base64')}`;
const basicAuth = { basic: { username: 'junction', password: { env: PASSWORD_ENV } } };

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * A web server holding documents by path (query included), noting each request's path and
 * Authorization; with `basic` set, it answers 401 to any other Authorization.
 */
class DocServer {
  readonly seen: { path: string; authorization: string | undefined }[] = [];
  readonly routes = new Map<string, Handler>();
  basic: string | undefined;
  base = '';
  private server: Server | undefined;

  constructor(private readonly https = false) {}

  /** Serves the CRM WSDL and its two XSDs under `dir`. */
  serveCrm(dir: string): this {
    for (const file of CRM_FILES) {
      const text = readFileSync(path.join(CRM_DIR, file), 'utf8');
      this.routes.set(`${dir}/${file}`, (_req, res) => res.writeHead(200, { 'content-type': 'text/xml' }).end(text));
    }
    return this;
  }

  /** `from` answers `status` with `Location: to`. */
  redirect(from: string, to: string, status = 302): this {
    this.routes.set(from, (_req, res) => res.writeHead(status, { location: to }).end());
    return this;
  }

  async start(): Promise<string> {
    const handle = (req: IncomingMessage, res: ServerResponse): void => {
      const url = req.url ?? '/';
      this.seen.push({ path: url, authorization: req.headers.authorization });
      res.on('error', () => undefined);
      if (this.basic !== undefined && req.headers.authorization !== this.basic) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="erp"' }).end();
        return;
      }
      const route = this.routes.get(url);
      if (route) route(req, res);
      else res.writeHead(404).end('not here');
    };
    const server = this.https ? createHttpsServer({ cert: tlsFixture('localhost.crt'), key: tlsFixture('localhost.key') }, handle) : createServer(handle);
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.base = `${this.https ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.base;
  }

  paths(): string[] {
    return this.seen.map((s) => s.path);
  }

  close(): Promise<void> {
    return closeNow(this.server);
  }
}

describe('fetching a WSDL given as a URL (soap endpoints: auth, redirects, limits)', function () {
  this.timeout(20_000);
  const servers: DocServer[] = [];
  const started: Endpoint[] = [];

  before(() => { process.env[PASSWORD_ENV] = 'wsdl-s3cret'; });
  after(() => { delete process.env[PASSWORD_ENV]; });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((e) => e.close()));
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  async function server(https = false): Promise<DocServer> {
    const created = new DocServer(https);
    servers.push(created);
    await created.start();
    return created;
  }

  /** Starts a `soap` endpoint on the CRM WSDL at `wsdl` (the SOAP address is never called here). */
  async function start(wsdl: string, options: Record<string, unknown> = {}): Promise<Endpoint> {
    const endpoint = soapEndpointFactory.create('crm', {
      wsdl, url: 'https://127.0.0.1:9/soap/crm', operation: 'UpsertCustomer', timeoutMs: 5000, headers: {}, messageIdHeader: true, connections: 2, ...options,
    }, { baseDir: TLS_FIXTURES });
    started.push(endpoint);
    await endpoint.start();
    return endpoint;
  }

  it('a WSDL behind Basic auth: without auth the start says where credentials go; with auth.basic it and its imports are fetched with them', async () => {
    const erp = (await server()).serveCrm('/svc');
    erp.basic = BASIC;
    const wsdl = `${erp.base}/svc/crm.wsdl`;
    const refused = await rejection(start(wsdl));
    expect([refused.code, refused.retryable]).to.deep.equal(['JCT_ENDPOINT_UNREACHABLE', true]);
    expect(refused.message).to.equal(`Endpoint "crm" cannot fetch its WSDL ${wsdl}: it answered HTTP 401; if it asks for credentials, give them in endpoints.crm.auth`);
    erp.seen.length = 0;
    await start(wsdl, { auth: basicAuth });
    expect(erp.seen).to.deep.equal(CRM_FILES.map((file) => ({ path: `/svc/${file}`, authorization: BASIC })));
    process.env[PASSWORD_ENV] = 'wrong';
    try {
      const wrong = await rejection(start(wsdl, { auth: basicAuth }));
      expect(wrong.message).to.equal(`Endpoint "crm" cannot fetch its WSDL ${wsdl}: it answered HTTP 401 to the credentials sent; check endpoints.crm.auth`);
      expect(wrong.message).not.to.contain('wrong');
    } finally {
      process.env[PASSWORD_ENV] = 'wsdl-s3cret';
    }
  });

  it('follows redirects on the same origin, with the credentials, and reads relative imports from where they led', async () => {
    const erp = (await server()).serveCrm('/svc/v2').redirect('/erp?wsdl', '/moved?wsdl', 301).redirect('/moved?wsdl', 'svc/v2/crm.wsdl', 307);
    erp.basic = BASIC;
    await start(`${erp.base}/erp?wsdl`, { auth: basicAuth });
    // Relative to the WSDL URL as configured, the imports would have been /crm.xsd and /faults.xsd.
    expect(erp.paths()).to.deep.equal(['/erp?wsdl', '/moved?wsdl', '/svc/v2/crm.wsdl', '/svc/v2/crm.xsd', '/svc/v2/faults.xsd']);
    expect(erp.seen.every((s) => s.authorization === BASIC)).to.equal(true);
  });

  it('never sends the credentials to another origin it is redirected to; a 401 from there says why', async () => {
    const front = await server();
    const mirror = (await server()).serveCrm('/svc');
    front.redirect('/erp?wsdl', `${mirror.base}/svc/crm.wsdl`);
    await start(`${front.base}/erp?wsdl`, { auth: basicAuth });
    expect(front.seen).to.deep.equal([{ path: '/erp?wsdl', authorization: BASIC }]);
    expect(mirror.seen).to.deep.equal(CRM_FILES.map((file) => ({ path: `/svc/${file}`, authorization: undefined })));

    mirror.basic = BASIC;
    front.redirect('/other?wsdl', `${mirror.base}/svc/crm.wsdl`);
    const error = await rejection(start(`${front.base}/other?wsdl`, { auth: basicAuth }));
    expect(error.code).to.equal('JCT_ENDPOINT_UNREACHABLE');
    expect(error.message).to.equal(`Endpoint "crm" cannot fetch its WSDL ${front.base}/other?wsdl: ${mirror.base}/svc/crm.wsdl answered HTTP 401; `
      + `the endpoint's auth is sent to ${front.base} (the WSDL URL's origin) only, not to ${mirror.base}; give the URL the WSDL is finally served from in endpoints.crm.wsdl, or keep a local copy`);
    expect(mirror.seen.slice(3).map((s) => s.authorization)).to.deep.equal([undefined]);
  });

  it('follows http to https, refuses https to plain http', async () => {
    const tls = { ca: { file: 'localhost.crt' } };
    const secure = (await server(true)).serveCrm('/svc');
    const plain = (await server()).serveCrm('/svc').redirect('/erp?wsdl', `${secure.base}/svc/crm.wsdl`, 308);
    await start(`${plain.base}/erp?wsdl`, { tls });
    expect(secure.paths()).to.deep.equal(CRM_FILES.map((file) => `/svc/${file}`));

    plain.seen.length = 0;
    secure.redirect('/down?wsdl', `${plain.base}/svc/crm.wsdl`);
    const error = await rejection(start(`${secure.base}/down?wsdl`, { tls }));
    expect(error.code).to.equal('JCT_ENDPOINT_UNREACHABLE');
    expect(error.message).to.equal(`Endpoint "crm" cannot fetch its WSDL ${secure.base}/down?wsdl: it redirected from https to plain http (${plain.base}/svc/crm.wsdl), `
      + 'which is not followed; serve the WSDL over https, or give its http URL in endpoints.crm.wsdl if plain http is really meant');
    expect(plain.seen).to.deep.equal([]);
  });

  it(`stops a redirect loop after ${MAX_WSDL_REDIRECTS} redirects`, async () => {
    const erp = (await server()).redirect('/erp?wsdl', '/erp?wsdl');
    const error = await rejection(start(`${erp.base}/erp?wsdl`));
    expect(error.code).to.equal('JCT_ENDPOINT_UNREACHABLE');
    expect(error.message).to.equal(`Endpoint "crm" cannot fetch its WSDL ${erp.base}/erp?wsdl: it was redirected more than ${MAX_WSDL_REDIRECTS} times (a redirect loop?); give the final URL in endpoints.crm.wsdl`);
    expect(erp.seen).to.have.length(MAX_WSDL_REDIRECTS + 1);
  });

  it('a local WSDL importing a schema by URL: the import is fetched the same way, within timeoutMs (it hung for ever), and without the endpoint\'s auth', async () => {
    const erp = (await server()).serveCrm('/svc');
    erp.routes.set('/svc/crm.xsd', () => undefined); // never answers
    const dir = mkdtempSync(path.join(os.tmpdir(), 'junction-wsdl-'));
    try {
      const wsdl = path.join(dir, 'crm.wsdl');
      writeFileSync(wsdl, readFileSync(path.join(CRM_DIR, 'crm.wsdl'), 'utf8').replace(/schemaLocation="crm\.xsd"/, `schemaLocation="${erp.base}/svc/crm.xsd"`));
      writeFileSync(path.join(dir, 'faults.xsd'), readFileSync(path.join(CRM_DIR, 'faults.xsd')));
      expect(readFileSync(wsdl, 'utf8')).to.contain(`${erp.base}/svc/crm.xsd`);
      const began = Date.now();
      const outcome = await Promise.race([rejection(start(wsdl, { timeoutMs: 500, auth: basicAuth })), new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 5000))]);
      expect(outcome, 'start() still waiting after 5 s').not.to.equal('hung');
      const error = outcome as Exclude<typeof outcome, 'hung'>;
      expect(Date.now() - began).to.be.below(5000);
      expect([error.code, error.retryable]).to.deep.equal(['JCT_ENDPOINT_UNREACHABLE', true]);
      expect(error.message).to.equal(`Endpoint "crm" cannot fetch its WSDL ${wsdl}: ${erp.base}/svc/crm.xsd did not arrive within 500 ms; `
        + 'raise endpoints.crm.timeoutMs, or keep a local copy and give its path in endpoints.crm.wsdl');
      expect(erp.seen).to.deep.equal([{ path: '/svc/crm.xsd', authorization: undefined }]);

      erp.serveCrm('/svc');
      erp.seen.length = 0;
      await start(wsdl, { auth: basicAuth });
      expect(erp.seen).to.deep.equal([{ path: '/svc/crm.xsd', authorization: undefined }]);

      erp.basic = BASIC; // a file of its own: the parsed crm.wsdl is cached
      const protectedImport = path.join(dir, 'crm-2.wsdl');
      writeFileSync(protectedImport, readFileSync(wsdl));
      const refused = await rejection(start(protectedImport, { auth: basicAuth }));
      expect(refused.message).to.equal(`Endpoint "crm" cannot fetch its WSDL ${protectedImport}: ${erp.base}/svc/crm.xsd answered HTTP 401; `
        + 'what a WSDL file imports by URL is fetched without credentials; keep a local copy of it beside the file endpoints.crm.wsdl names');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives up on a document that does not arrive within timeoutMs, or is larger than 16 MiB, and says what to change', async () => {
    const erp = (await server()).serveCrm('/svc');
    erp.routes.set('/svc/crm.xsd', () => undefined); // never answers
    erp.routes.set('/huge?wsdl', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/xml' });
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      const write = (left: number): void => {
        if (left === 0) { res.end(); return; }
        if (res.write(chunk)) write(left - 1);
        else res.once('drain', () => write(left - 1));
      };
      write(17);
    });
    const began = Date.now();
    const slow = await rejection(start(`${erp.base}/svc/crm.wsdl`, { timeoutMs: 500 }));
    expect(Date.now() - began).to.be.below(5000);
    expect(slow.code).to.equal('JCT_ENDPOINT_UNREACHABLE');
    expect(slow.message).to.equal(`Endpoint "crm" cannot fetch its WSDL ${erp.base}/svc/crm.wsdl: ${erp.base}/svc/crm.xsd did not arrive within 500 ms; `
      + 'raise endpoints.crm.timeoutMs, or keep a local copy and give its path in endpoints.crm.wsdl');
    const huge = await rejection(start(`${erp.base}/huge?wsdl`));
    expect(huge.message).to.equal(`Endpoint "crm" cannot fetch its WSDL ${erp.base}/huge?wsdl: it is larger than 16 MiB; keep a local copy and give its path in endpoints.crm.wsdl`);
  });
});
