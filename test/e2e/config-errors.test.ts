import { execFile } from 'node:child_process';
import { expect } from 'chai';
import { TempConfigDir } from '../support/temp-config';

function runMain(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['dist/src/main.js', ...args], { env: { PATH: process.env.PATH, ...env }, timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}

describe('junction process with a bad configuration', () => {
  let temp: TempConfigDir;
  beforeEach(() => { temp = new TempConfigDir(); });
  afterEach(() => temp.remove());

  it('exits 2 naming file, line, path and what was expected, without a stack trace', async () => {
    const file = temp.write('bad.yaml', 'endpoints:\n  oa: { type: http, url: "http://127.0.0.1:9/x" }\nroutes:\n  - id: a\n    entry: { rest: { method: GET, path: /orders } }\n    to: [oa]\n');
    const result = await runMain(['--config', file]);
    expect(result.code).to.equal(2);
    expect(result.stderr).to.contain(`${file}:5:30 routes[0].entry.rest.method: must be one of: POST, PUT, PATCH`);
    expect(result.stderr).to.not.match(/\n\s+at /);
  });

  it('exits 2 when the console\'s single sign-on has no security.auth.jwt to check its tokens', async () => {
    const file = temp.write('sso.yaml', 'admin:\n  console:\n    oidc: { clientId: junction-console }\nendpoints:\n  oa: { type: http, url: "http://127.0.0.1:9/x" }\nroutes:\n  - id: a\n    entry: { rest: { method: POST, path: /orders } }\n    to: [oa]\n');
    const result = await runMain(['--config', file]);
    expect(result.code).to.equal(2);
    expect(result.stderr).to.contain(`${file}:3:11 admin.console.oidc: needs security.auth.jwt`);
    expect(result.stderr).to.not.match(/\n\s+at /);
  });

  it('exits 2 when a referenced environment variable is missing', async () => {
    const result = await runMain(['--config', 'config/production.example.yaml']);
    expect(result.code).to.equal(2);
    expect(result.stderr).to.contain('JUNCTION_DB_URL');
  });

  it('exits 2 on an unknown --role', async () => {
    const result = await runMain(['--role', 'boss']);
    expect(result.code).to.equal(2);
    expect(result.stderr).to.contain('--role must be all, gateway or worker');
  });
});
