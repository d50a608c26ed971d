import { request as httpRequest } from 'node:http';
import { gunzipSync, inflateSync } from 'node:zlib';
import { expect } from 'chai';
import { buildApp, type JunctionApp } from '../../../src/app';
import { MemoryBroker } from '../../../src/bus/memory/memory-broker';
import { loadConfig, type LoadedConfig } from '../../../src/config/load-config';
import { silentLogger } from '../../../src/core/logger';
import { FakeTransactionLog } from '../../support/fake-transaction-log';

/** A GET with exactly these headers (fetch would add and undo Accept-Encoding itself): status, headers, raw bytes. */
function get(url: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    httpRequest(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject).end();
  });
}

const ENV = { OA_REST_URL: 'http://127.0.0.1:9/oa', ERP_SOAP_URL: 'http://127.0.0.1:9/erp' };

describe('compressed answers (server.compression)', () => {
  const started: JunctionApp[] = [];
  const start = async (change: (loaded: LoadedConfig) => LoadedConfig = (l) => l): Promise<string> => {
    const app = buildApp(change(loadConfig('config/default.yaml', ENV)), { logger: silentLogger, port: 0, log: new FakeTransactionLog(), broker: new MemoryBroker() });
    started.push(app);
    return app.start();
  };
  afterEach(async () => { await Promise.all(started.splice(0).map((a) => a.close())); });

  it('gzips or deflates answers over the threshold for callers that accept it (OpenAPI, WSDL), the same bytes once decompressed', async () => {
    const base = await start();
    for (const path of ['/api/v1/openapi.json', '/soap/crm?wsdl']) {
      const plain = await get(`${base}${path}`, {});
      expect(plain.status).to.equal(200);
      expect(plain.headers['content-encoding'], path).to.equal(undefined);
      expect(plain.body.length).to.be.above(1024);
      const gzipped = await get(`${base}${path}`, { 'accept-encoding': 'gzip' });
      expect(gzipped.headers['content-encoding'], path).to.equal('gzip');
      expect(String(gzipped.headers.vary)).to.match(/accept-encoding/i);
      expect(gzipped.body.length).to.be.below(plain.body.length / 2);
      expect(gunzipSync(gzipped.body).equals(plain.body), path).to.equal(true);
      const deflated = await get(`${base}${path}`, { 'accept-encoding': 'deflate' });
      expect(deflated.headers['content-encoding']).to.equal('deflate');
      expect(inflateSync(deflated.body).equals(plain.body)).to.equal(true);
    }
    // Below the threshold: sent as it is.
    const health = await get(`${base}/healthz`, { 'accept-encoding': 'gzip' });
    expect([health.status, health.headers['content-encoding']]).to.deep.equal([200, undefined]);
  });

  it('sends nothing compressed with compression turned off', async () => {
    const base = await start((l) => ({ ...l, config: { ...l.config, server: { ...l.config.server, compression: { enabled: false, thresholdBytes: 1024 } } } }));
    const res = await get(`${base}/soap/crm?wsdl`, { 'accept-encoding': 'gzip, deflate' });
    expect([res.status, res.headers['content-encoding']]).to.deep.equal([200, undefined]);
  });
});
