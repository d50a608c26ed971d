import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { eventually, postJson } from '../support/http';

/** Runs the demo with these variables until it prints its banner or exits; SIGTERM after the banner. */
async function runDemo(env: Record<string, string>, dbFile: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['dist/examples/demo/main.js'], {
    env: { ...process.env, JUNCTION_DB_URL: `sqlite:${dbFile}`, OA_REST_URL: '', ERP_SOAP_URL: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const outcome = await Promise.race([exited.then(() => 'exited'), eventually(async () => (stdout.includes('Ctrl-C stops everything') ? 'banner' : undefined), 30_000, 100)]);
  if (outcome === 'banner') {
    const banner = stdout;
    // The banner's order line, as a newcomer copies it: it must reach this demo.
    const base = /REST gateway\s+(\S+)\/api\/v1/.exec(banner)?.[1] ?? '';
    const sent = await postJson(`${base}/api/v1/orders`, '{"orderId":"SO-1","customerId":"C-42","amount":"250.00","currency":"EUR","lines":[{"sku":"W","qty":1,"price":"250.00"}]}');
    stdout += `\n[test] POST ${base}/api/v1/orders -> ${sent.status}\n`;
    child.kill('SIGTERM');
  }
  return { code: await exited, stdout, stderr };
}

function listenAnywhere(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address ? address.port : 0 });
    });
  });
}

describe('the demo (`npm start`) on other ports, or with a port taken', function () {
  this.timeout(60_000);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'junction-demo-ports-'));
  let taken: { server: Server; port: number };

  before(async () => { taken = await listenAnywhere(); });
  after(() => {
    taken.server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('PORT=0 prints the port Junction really got, and the printed URLs work', async () => {
    const run = await runDemo({ PORT: '0', OA_PORT: '0', ERP_PORT: '0' }, path.join(dir, 'zero.db'));
    expect(run.stdout).not.to.contain('127.0.0.1:0/');
    const base = /REST gateway\s+http:\/\/127\.0\.0\.1:(\d+)\/api\/v1/.exec(run.stdout)?.[1];
    expect(Number(base), run.stdout).to.be.greaterThan(0);
    expect(run.stdout).to.contain(`export JUNCTION_URL=http://127.0.0.1:${String(base)} `);
    expect(run.stdout).to.contain(`/api/v1/orders -> 202`);
    expect(run.code).to.equal(0);
  });

  it('a simulator port in use: one line naming the variable that moves it, no stack trace, exit 1', async () => {
    const run = await runDemo({ PORT: '0', OA_PORT: String(taken.port), ERP_PORT: '0' }, path.join(dir, 'oa.db'));
    expect(run.code).to.equal(1);
    expect(run.stderr).to.contain(`the OA simulator could not start: 127.0.0.1:${taken.port} is in use by another process`)
      .and.contain(`OA_PORT=${taken.port + 100} npm start`);
    expect(run.stderr).not.to.match(/^\s+at /m);
  });

  it('Junction\'s own port in use: says to change server.port / PORT, no stack trace, exit 1', async () => {
    const run = await runDemo({ PORT: String(taken.port), OA_PORT: '0', ERP_PORT: '0' }, path.join(dir, 'main.db'));
    expect(run.code).to.equal(1);
    expect(run.stderr).to.contain(`junction: could not start: 127.0.0.1:${taken.port} is in use by another process`)
      .and.contain('server.port').and.contain('PORT=8081');
    expect(run.stderr).not.to.match(/^\s+at /m);
  });
});
