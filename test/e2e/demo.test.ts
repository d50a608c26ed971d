import { spawn, type ChildProcess, execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { eventually, request } from '../support/http';
import { freePort } from '../support/ports';

const run = promisify(execFile);

describe('the demo (`npm start`) as a newcomer runs it', function () {
  this.timeout(60_000);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'junction-demo-'));
  let child: ChildProcess;
  let output = '';
  let port: number;

  before(async () => {
    port = await freePort();
    const oaPort = await freePort();
    const erpPort = await freePort();
    child = spawn(process.execPath, ['dist/examples/demo/main.js'], {
      env: {
        ...process.env, PORT: String(port), OA_PORT: String(oaPort), ERP_PORT: String(erpPort),
        JUNCTION_DB_URL: `sqlite:${path.join(dir, 'junction.db')}`, OA_REST_URL: '', ERP_SOAP_URL: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    await eventually(async () => (output.includes('Ctrl-C stops everything') ? true : undefined), 30_000, 100)
      .catch(() => { throw new Error(`demo did not start:\n${output}`); });
  });

  after(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints a curl line that sends an order which reaches DELIVERED', async () => {
    const curl = output.split('\n').find((line) => line.trim().startsWith('curl -i -X POST'));
    expect(curl, output).to.be.a('string');
    const { stdout } = await run('bash', ['-c', String(curl).trim()]);
    expect(stdout).to.match(/^HTTP\/1\.1 202/);
    const location = /^location: (\S+)/im.exec(stdout)?.[1];
    expect(location).to.match(/^\/api\/v1\/messages\/[0-9a-f-]{36}$/);
    const view = await eventually(async () => {
      const r = await request(`http://127.0.0.1:${port}${String(location)}`);
      return r.json.status === 'DELIVERED' ? r.json : undefined;
    });
    expect(view.businessKey).to.equal('SO-1001');
  });

  it('is the same curl line the README gives (for the default port)', () => {
    const curl = String(output.split('\n').find((line) => line.trim().startsWith('curl -i -X POST'))).trim();
    expect(readFileSync('README.md', 'utf8')).to.contain(curl.replace(`:${port}/`, ':8080/'));
  });

  it('the README\'s customer lines (REST PUT and raw SOAP) work against the demo', async () => {
    const blocks = [...readFileSync('README.md', 'utf8').matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => String(m[1]));
    const put = blocks.find((b) => b.includes('/api/v1/customers/'));
    const soap = blocks.find((b) => b.includes('/soap/crm -H'));
    expect(put, 'README PUT example').to.be.a('string');
    expect(soap, 'README SOAP example').to.be.a('string');
    const rest = await run('bash', ['-c', String(put).replaceAll(':8080/', `:${port}/`)]);
    expect(JSON.parse(rest.stdout)).to.include({ customerId: 'C-42' }).and.have.property('erpCustomerNo').that.matches(/^ERP-/);
    const xml = await run('bash', ['-c', String(soap).replaceAll(':8080/', `:${port}/`)]);
    expect(xml.stdout).to.contain('UpsertCustomerResponse').and.contain('<crm:erpCustomerNo>ERP-');
  });

  it('publishes the CRM WSDL the banner points at', async () => {
    expect(output).to.contain(`http://127.0.0.1:${port}/soap/crm?wsdl`);
    const wsdl = await request(`http://127.0.0.1:${port}/soap/crm?wsdl`);
    expect(wsdl.status).to.equal(200);
    expect(wsdl.text).to.contain(`location="http://127.0.0.1:${port}/soap/crm"`);
  });

  it('prints the console URL and the operator\'s token; the CLI and the console work with them', async () => {
    expect(output).to.contain(`console        http://127.0.0.1:${port}/console`);
    const line = output.split('\n').find((l) => l.trim().startsWith('export JUNCTION_URL='));
    const token = /JUNCTION_TOKEN=(\S+)/.exec(String(line))?.[1];
    expect(line).to.contain(`JUNCTION_URL=http://127.0.0.1:${port} `);
    expect(token).to.match(/^demo-[0-9a-f]{24}$/);
    const { stdout } = await run(process.execPath, ['dist/src/cli/main.js', 'messages', 'list', '--json'],
      { env: { PATH: process.env.PATH, JUNCTION_URL: `http://127.0.0.1:${port}`, JUNCTION_TOKEN: String(token) } });
    expect(JSON.parse(stdout).items.length).to.be.greaterThan(0);
    const page = await request(`http://127.0.0.1:${port}/console/`);
    expect([page.status, page.text]).to.satisfy(([status, text]: [number, string]) => status === 200 && text.includes('<title>Junction console</title>'));
    expect(readFileSync('README.md', 'utf8')).to.contain('export JUNCTION_URL=http://127.0.0.1:8080 JUNCTION_TOKEN=demo-');
  });

  it('stops cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).to.equal(0);
  });
});
