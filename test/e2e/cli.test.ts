import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { expect } from 'chai';
import { runJunction, type CliRun } from '../support/cli-process';
import { freePort } from '../support/ports';
import { TempConfigDir } from '../support/temp-config';
import { CapturingServer } from '../unit/endpoints/capturing-server';

const CLI = 'dist/src/cli/main.js';

/** Runs `junction <args>` as a child process, with only PATH and `env` in its environment. */
function junction(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return runJunction(args, env, 20_000);
}

describe('junction command (dist/src/cli/main.js)', function () {
  let temp: TempConfigDir;
  beforeEach(() => { temp = new TempConfigDir(); });
  afterEach(() => temp.remove());

  describe('config check', function () {
    it('passes the demo configuration with exit 0 and lists its routes', async function () {
      const run = await junction(['config', 'check', '--config', 'config/default.yaml']);
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stdout).to.contain('is valid');
      expect(run.stdout).to.match(/Routes \(\d+\)/);
      expect(run.stdout).to.contain('upsert-customer').and.to.contain('submit-order');
      expect(run.stdout).to.contain('REST PUT /api/v1/customers/{customerId}, SOAP crm/UpsertCustomer');
      expect(run.stdout).to.not.match(/\u001b\[/); // no colours when not a terminal
      expect(run.stderr).to.equal('');
    });

    it('exits 2 on a broken configuration, naming file:line:column and path on stderr, without a stack', async function () {
      const file = temp.write('bad.yaml', 'endpoints:\n  oa: { type: http, url: "http://127.0.0.1:9/x" }\nroutes:\n  - id: a\n    entry: { rest: { method: GET, path: /orders } }\n    to: [oa]\n');
      const run = await junction(['config', 'check', '--config', file]);
      expect(run.code).to.equal(2);
      expect(run.stderr).to.contain(`${file}:5:30 routes[0].entry.rest.method: must be one of: POST, PUT, PATCH`);
      expect(run.stderr).to.not.match(/\n\s+at /);
      expect(run.stdout).to.equal('');
    });

    it('with --json prints one parseable document', async function () {
      const run = await junction(['config', 'check', '--json']);
      expect(run.code).to.equal(0);
      const result = JSON.parse(run.stdout) as { ok: boolean; summary: { routes: { id: string }[] } };
      expect(result.ok).to.equal(true);
      expect(result.summary.routes.map((r) => r.id)).to.include('upsert-customer');
    });
  });

  describe('routes test', function () {
    it('runs upsert-customer offline: the crm-to-erp output and the SOAP request the ERP would get, sending nothing', async function () {
      // No ERP simulator: the endpoint's URL points at a port nobody listens on.
      const erpUrl = `http://127.0.0.1:${await freePort()}/erp/soap`;
      const run = await junction(['routes', 'test', 'upsert-customer', 'test/fixtures/cli/customer.json'], { ERP_SOAP_URL: erpUrl });
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stderr).to.equal('');
      const { stdout } = run;
      const id = /Message ([0-9a-f-]{36}) from rest:PUT \/api\/v1\/customers\/:customerId/.exec(stdout)?.[1];
      expect(id, stdout).to.be.a('string');
      expect(stdout).to.match(/✔ step:crm-to-erp {2}\d+ ms {2}application\/json\n/);
      expect(stdout).to.contain('"CUST_NO": "C-42"');
      expect(stdout).to.contain('"STAT": "A"');
      expect(stdout).to.contain('→ erp-customers would receive (not sent):');
      expect(stdout).to.contain(`    POST ${erpUrl}\n`);
      expect(stdout).to.contain('SOAPAction: "urn:legacy:erp:v1/CreateOrUpdateCustomer"');
      expect(stdout).to.contain(`x-junction-message-id: ${id}`);
      expect(stdout).to.contain(`<soap:Header><jh:MessageId xmlns:jh="urn:junction:headers:v1">${id}</jh:MessageId></soap:Header>`);
      expect(stdout).to.contain('<CreateOrUpdateCustomer xmlns="urn:legacy:erp:v1"><CUST_NO>C-42</CUST_NO>');
      expect(stdout).to.contain('<STAT>A</STAT>');
      expect(stdout).to.contain('Not run offline: reply steps (erp-to-crm)');
      expect(stdout).to.match(/OK: 1 step run, 1 delivery previewed\. Nothing was delivered\.\n$/);
    });

    it('delivers nothing to backends that are listening: submit-order previews both recipients, they receive no request', async function () {
      const backend = new CapturingServer({ status: 200, contentType: 'text/plain', body: 'ok' });
      const url = await backend.start();
      try {
        const run = await junction(['routes', 'test', 'submit-order', 'examples/samples/order.json'], {
          ERP_SOAP_URL: `${url}/erp/soap`, OA_REST_URL: `${url}/oa/approvals`,
        });
        expect(run.code, run.stderr).to.equal(0);
        expect(run.stdout).to.contain('→ erp-orders would receive (not sent):');
        expect(run.stdout).to.contain('→ oa-approvals would receive (not sent):');
        expect(run.stdout).to.contain('<AMOUNT>1250.00</AMOUNT>');
        expect(backend.requests).to.have.length(0);
      } finally {
        await backend.close();
      }
    });

    it('exits 1 on a sample the mapping refuses, showing the step, the error code and the violation', async function () {
      const run = await junction(['routes', 'test', 'upsert-customer', 'test/fixtures/cli/customer-unknown-status.json', '--no-entry-check']);
      expect(run.code).to.equal(1);
      expect(run.stdout).to.contain('✘ step:crm-to-erp');
      expect(run.stdout).to.contain('JCT_TRANSFORM_FAILED');
      expect(run.stdout).to.contain('- /status: "ARCHIVED" has no entry in lookup "customer-status"');
      expect(run.stdout).to.not.contain('would receive');
      expect(run.stderr).to.contain('junction: routes test failed at step:crm-to-erp: JCT_TRANSFORM_FAILED');
    });

    it('exits 1 when the entry refuses the sample as the gateway would (the schema), listing the violation', async function () {
      const run = await junction(['routes', 'test', 'upsert-customer', 'test/fixtures/cli/customer-unknown-status.json']);
      expect(run.code).to.equal(1);
      expect(run.stdout).to.contain('✘ entry');
      expect(run.stdout).to.contain('JCT_VALIDATION_FAILED');
      expect(run.stdout).to.contain('- /status: must be one of: ACTIVE, INACTIVE');
    });

    it('with --json prints one parseable document with every stage and the exact request', async function () {
      const run = await junction(['routes', 'test', 'upsert-customer', 'test/fixtures/cli/customer.json', '--json', '--header', 'x-channel=web']);
      expect(run.code, run.stderr).to.equal(0);
      const report = JSON.parse(run.stdout) as {
        ok: boolean; delivered: boolean; message: { id: string; headers: Record<string, string> };
        stages: { stage: string; output?: string }[];
        deliveries: { endpoint: string; request: { method: string; headers: Record<string, string>; body: string } }[];
      };
      expect(report.ok).to.equal(true);
      expect(report.delivered).to.equal(false);
      expect(report.message.headers).to.deep.equal({ 'x-channel': 'web' });
      expect(report.stages.map((s) => s.stage)).to.deep.equal(['entry', 'step:crm-to-erp', 'route', 'deliver:erp-customers']);
      expect(JSON.parse(report.stages[1]?.output ?? '')).to.include({ CUST_NO: 'C-42', STAT: 'A' });
      const request = report.deliveries[0]!.request;
      expect(request.headers).to.include({ SOAPAction: '"urn:legacy:erp:v1/CreateOrUpdateCustomer"', 'x-junction-message-id': report.message.id });
      expect(request.headers['Content-Length']).to.equal(String(Buffer.byteLength(request.body, 'utf8')));
      expect(request.body).to.contain(`<jh:MessageId xmlns:jh="urn:junction:headers:v1">${report.message.id}</jh:MessageId>`);

      const failed = await junction(['routes', 'test', 'upsert-customer', 'test/fixtures/cli/customer-unknown-status.json', '--json', '--no-entry-check']);
      expect(failed.code).to.equal(1);
      const failure = (JSON.parse(failed.stdout) as { ok: boolean; failure: { stage: string; error: { code: string; violations: unknown[] } } });
      expect(failure.ok).to.equal(false);
      expect(failure.failure.stage).to.equal('step:crm-to-erp');
      expect(failure.failure.error.code).to.equal('JCT_TRANSFORM_FAILED');
      expect(failure.failure.error.violations).to.have.length(1);
    });

    it('exits 2 on an unknown route and on a sample it cannot read', async function () {
      const unknown = await junction(['routes', 'test', 'no-such-route', 'test/fixtures/cli/customer.json']);
      expect(unknown.code).to.equal(2);
      expect(unknown.stderr).to.contain('Route "no-such-route" is not defined');
      const missing = await junction(['routes', 'test', 'upsert-customer', 'test/fixtures/cli/none.json']);
      expect(missing.code).to.equal(2);
      expect(missing.stderr).to.contain('none.json cannot be loaded: it does not exist');
    });
  });

  describe('start', function () {
    it('starts Junction through src/main.ts and stops cleanly on SIGTERM', async function () {
      const port = await freePort();
      const file = temp.write('junction.yaml', `
server: { port: ${port} }
log: { level: info, format: text }
store: { url: "sqlite::memory:" }
endpoints:
  oa: { type: http, url: "http://127.0.0.1:9/oa" }
routes:
  - id: submit-order
    entry: { rest: { method: POST, path: /orders } }
    to: [oa]
`);
      const child = spawn(process.execPath, [CLI, 'start', '--config', file, '--role', 'gateway'], { env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
      child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      try {
        const deadline = Date.now() + 15_000;
        while (!output.includes('junction started') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
        expect(output).to.contain('junction started');
        expect(output).to.contain('role=gateway');
        const health = await fetch(`http://127.0.0.1:${port}/healthz`);
        expect(health.status).to.equal(200);
      } finally {
        child.kill('SIGTERM');
      }
      expect(await exited).to.equal(0);
    });

    it('a SIGTERM while it is still starting stops it cleanly once the start has ended, instead of killing it mid-way', async function () {
      // A "database" that takes the connection and drops it a moment later: the start is under way
      // (connecting to the transaction log) when the signal comes, and then fails.
      let child: ReturnType<typeof spawn> | undefined;
      const database = createServer((socket) => {
        child?.kill('SIGTERM');
        setTimeout(() => socket.destroy(), 300);
      });
      await new Promise<void>((resolve) => database.listen(0, '127.0.0.1', resolve));
      try {
        const file = temp.write('starting.yaml', `
server: { port: 0 }
store: { url: "mysql://junction:secret@127.0.0.1:${(database.address() as AddressInfo).port}/junction" }
bus: { url: "memory:" }
endpoints:
  oa: { type: http, url: "http://127.0.0.1:9/oa" }
routes:
  - id: submit-order
    entry: { rest: { method: POST, path: /orders } }
    to: [oa]
`);
        child = spawn(process.execPath, [CLI, 'start', '--config', file], { env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
        let output = '';
        child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
        child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
        const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child?.once('exit', (code, signal) => resolve([code, signal])));
        // Before, no handler was installed until the start had ended: the signal killed the process (code null).
        expect(await exited, output).to.deep.equal([1, null]);
        expect(output).to.contain('stopping once the start has ended');
        expect(output).to.contain('could not start: JCT_STORE_UNAVAILABLE');
        expect(output).to.contain('"message":"stopped"');
      } finally {
        database.close();
      }
    });
  });
});
