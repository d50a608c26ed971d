import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { startDemoStack, type DemoStack } from '../support/demo-stack';
import { eventually, postJson, request, sampleOrder } from '../support/http';
import { uniqueName } from '../support/env';
import { withAdminTokens } from '../support/admin-tokens';

const CLI = 'dist/src/cli/main.js';
const OPERATOR = 'operator-token-0123456789';
const VIEWER = 'viewer-token-0123456789';

interface Run { readonly code: number | null; readonly stdout: string; readonly stderr: string }

describe('junction operator commands against a running Junction (embedded demo)', function () {
  this.timeout(120_000);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'junction-cli-ops-'));
  let stack: DemoStack;
  const tag = uniqueName('cli');
  const ids: string[] = [];
  const junction = (args: string[], token: string | null = OPERATOR, url?: string): Promise<Run> => new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH, JUNCTION_URL: url ?? stack.base, ...(token ? { JUNCTION_TOKEN: token } : {}) }, timeout: 60_000,
    }, (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }));
  });
  const status = async (id: string): Promise<string> =>
    String((await request(`${stack.base}/api/v1/messages/${id}`)).json.status);

  before(async () => {
    stack = await startDemoStack({ servers: { sqliteFile: path.join(dir, 'junction.db') }, adjust: withAdminTokens });
    stack.erp.setBehaviour({ faultCode: 'Client' });
    for (let i = 0; i < 4; i += 1) ids.push(String((await postJson(`${stack.base}/api/v1/orders`, sampleOrder(`${tag}-${i}`))).json.messageId));
    for (const id of ids) await eventually(async () => ((await status(id)) === 'FAILED' ? true : undefined), 20_000);
  });
  after(async () => {
    await stack?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('messages list: a table by default, JSON with --json; exit 3 without a token, 5 when Junction is not there', async () => {
    const table = await junction(['messages', 'list', '--status', 'FAILED', '--route', 'submit-order']);
    expect(table.code, table.stderr).to.equal(0);
    expect(table.stdout.split('\n')[0]).to.match(/^ID\s+RECEIVED\s+ROUTE\s+STATUS/);
    for (const id of ids) expect(table.stdout).to.contain(id);
    expect(table.stdout).to.contain('JCT_ENDPOINT_REJECTED');
    const json = await junction(['messages', 'list', '--business-key', `${tag}-2`, '--json']);
    expect(JSON.parse(json.stdout).items.map((m: { id: string }) => m.id)).to.deep.equal([ids[2]]);
    const paged = await junction(['messages', 'list', '--route', 'submit-order', '--status', 'FAILED', '--limit', '1', '--all', '--json']);
    expect(JSON.parse(paged.stdout).items).to.have.length(4);
    const noToken = await junction(['messages', 'list'], null);
    expect(noToken.code).to.equal(3);
    expect(noToken.stderr).to.contain('JUNCTION_TOKEN');
    const wrong = await junction(['messages', 'list'], 'nope-nope-nope');
    expect([wrong.code, wrong.stderr]).to.satisfy(([code, err]: [number, string]) => code === 3 && err.includes('JCT_ADMIN_UNAUTHENTICATED'));
    const away = await junction(['messages', 'list'], OPERATOR, 'http://127.0.0.1:1');
    expect(away.code).to.equal(5);
    const badStatus = await junction(['messages', 'list', '--status', 'LOST']);
    expect(badStatus.code).to.equal(2);
  });

  it('messages show: the timeline with every step\'s payload; exit 4 for an unknown id', async () => {
    const shown = await junction(['messages', 'show', String(ids[0]), '--payloads']);
    expect(shown.code, shown.stderr).to.equal(0);
    expect(shown.stdout).to.contain('deliver:erp-orders').and.contain('JCT_ENDPOINT_REJECTED').and.contain('"ORDER_NO"');
    expect((await junction(['messages', 'show', '00000000-0000-4000-8000-000000000000'])).code).to.equal(4);
  });

  it('messages groups, then a dry-run (per-step diff, nothing sent), then a replay; a second replay is refused (exit 1)', async () => {
    const groups = await junction(['messages', 'groups']);
    expect(groups.stdout).to.match(/^4\s+submit-order\s+erp-orders\s+JCT_ENDPOINT_REJECTED/m);
    const edited = path.join(dir, 'edited.json');
    writeFileSync(edited, sampleOrder(`${tag}-0`, '"275.00"'));
    const dry = await junction(['replay', String(ids[0]), '--dry-run', '--payload-file', edited]);
    expect(dry.code, dry.stderr).to.equal(0);
    expect(dry.stdout).to.contain('Would deliver').and.match(/\+\s+"AMOUNT": 275\.00/).and.match(/-\s+"AMOUNT": 250\.00/);
    // The ERP still refuses, and a dry-run never asks it: the delivery is untried, not fixed.
    expect(dry.stdout).to.match(/^… deliver:erp-orders\s+untried\n\s+was: JCT_ENDPOINT_REJECTED: /m).and.contain('a dry-run does not call the backend');
    expect(dry.stdout).to.not.match(/^✔ deliver:/m);
    const viewer = await junction(['replay', String(ids[0])], VIEWER);
    expect(viewer.code).to.equal(3);
    stack.erp.setBehaviour({ faultCode: null });
    const done = await junction(['replay', String(ids[0]), '--reason', 'ERP fixed']);
    expect(done.code, done.stderr).to.equal(0);
    const replayId = /as ([0-9a-f-]{36})/.exec(done.stdout)?.[1];
    await eventually(async () => ((await status(String(replayId))) === 'DELIVERED' ? true : undefined), 20_000);
    const again = await junction(['replay', String(ids[0])]);
    expect(again.code).to.equal(1);
    expect(again.stderr).to.contain('JCT_REPLAY_REFUSED');
  });

  it('bulk: a dry-run of the group, then a paced job with progress on stderr; audit shows who did what', async () => {
    const sample = await junction(['replay', '--route', 'submit-order', '--unresolved', '--dry-run']);
    expect(sample.code, sample.stderr).to.equal(0);
    expect(sample.stdout).to.contain('3 would deliver, 0 would fail');
    expect((await junction(['replay', '--route', 'submit-order'])).code, 'bulk without --reason').to.equal(2);
    const bulk = await junction(['replay', '--route', 'submit-order', '--unresolved', '--reason', 'ERP back', '--rate', '50']);
    expect(bulk.code, bulk.stderr).to.equal(0);
    expect(bulk.stderr).to.match(/Started replay job .*: 3 message\(s\) at 50\/s/).and.match(/completed\s+3\/3 \(100%\)\s+replayed 3/);
    for (const id of ids.slice(1)) {
      const replays = (await request(`${stack.base}/admin/api/messages?replayOf=${id}`, { headers: { authorization: `Bearer ${OPERATOR}` } })).json.items as { id: string }[];
      expect(replays, id).to.have.length(1);
    }
    const jobs = await junction(['replay', 'jobs']);
    expect(jobs.stdout).to.match(/completed\s+3\/3/);
    const audit = await junction(['audit', '--message', String(ids[0])]);
    expect(audit.stdout).to.contain('alice (operator)').and.contain('ERP fixed');
    const all = await junction(['audit', '--action', 'replay', '--json']);
    expect(JSON.parse(all.stdout).items.filter((a: { reason?: string }) => a.reason === 'ERP back')).to.have.length(3);
    const resolveReplayed = await junction(['resolve', String(ids[0]), '--reason', 'sent again by hand']);
    expect(resolveReplayed.code, 'resolve a replayed message').to.equal(1);
    expect(resolveReplayed.stderr).to.contain('JCT_REPLAY_REFUSED');
    expect((await junction(['resolve', '00000000-0000-4000-8000-000000000000', '--reason', 'x'])).code, 'resolve an unknown id').to.equal(4);
  });
});
