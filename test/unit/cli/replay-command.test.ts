import { expect } from 'chai';
import { BufferedIo } from '../../../src/cli/cli-io';
import { runCli } from '../../../src/cli/program';
import { renderDryRun } from '../../../src/cli/replay-command';
import { useFakeAdminApi, type SeenRequest, type FakeAnswer } from './fake-admin-api';

const JOB = { id: 'j-1', status: 'completed', total: 2, replayed: 2, skipped: 0, failed: 0, ratePerSecond: 5, createdBy: 'alice', reason: 'ERP back', createdAt: '2026-12-03T04:05:13.000Z' };
const REJECTED = { code: 'JCT_ENDPOINT_REJECTED', message: 'Endpoint "erp-orders" rejected CreateSalesOrder with SOAP fault soap:Client' };
const DRY_RUN = {
  verdict: 'would-deliver', from: 'original',
  stages: [{ stage: 'route', change: 'same' }, { stage: 'deliver:erp-orders', change: 'untried', original: { error: REJECTED } }],
  deliveries: [{ endpoint: 'erp-orders', skipped: false, request: { method: 'POST', url: 'http://127.0.0.1:8092/erp/soap' } }],
};

/** The admin API's answers for one job `j-1` and one message `m-1`. */
function answer(request: SeenRequest): FakeAnswer | undefined {
  const key = `${request.method} ${request.path}`;
  if (key === 'GET /replay-jobs') return { body: { items: [JOB] } };
  if (key === 'GET /replay-jobs/j-1') return { body: JOB };
  const control = /^POST \/replay-jobs\/j-1\/(pause|resume|cancel)$/.exec(key);
  if (control) return { body: { ...JOB, status: control[1] === 'pause' ? 'paused' : control[1] === 'cancel' ? 'cancelled' : 'running' } };
  if (key === 'POST /messages/m-1/dry-run') return { body: DRY_RUN };
  if (key === 'POST /messages/m-1/replay') return { status: 202, body: { replayId: 'r-1', skipped: [] } };
  return undefined;
}

describe('junction replay: each subcommand reads its own options (src/cli/replay-command)', function () {
  const fake = useFakeAdminApi(answer);

  const run = async (argv: string[]): Promise<{ code: number; io: BufferedIo }> => {
    const io = new BufferedIo();
    return { code: await runCli(argv, io), io };
  };

  it('replay jobs: its own --url, --token and --json, with the environment unset', async function () {
    const { code, io } = await run(['replay', 'jobs', '--url', fake.api.url, '--token', 't-ops', '--json']);
    expect(code, io.stderr).to.equal(0);
    expect(JSON.parse(io.stdout)).to.deep.equal({ items: [JOB] });
    expect(fake.api.only().headers.authorization).to.equal('Bearer t-ops');
  });

  it('replay watch <job> --json: the job as one JSON document once it stops, progress on stderr', async function () {
    const { code, io } = await run(['replay', 'watch', 'j-1', '--url', fake.api.url, '--api-key', 'k-ops', '--json']);
    expect(code, io.stderr).to.equal(0);
    expect(JSON.parse(io.stdout)).to.deep.include({ id: 'j-1', status: 'completed' });
    expect(io.stderr).to.contain('job j-1: completed');
    expect(fake.api.only().headers['x-api-key']).to.equal('k-ops');
  });

  for (const action of ['pause', 'resume', 'cancel']) {
    it(`replay ${action} <job> --reason: the reason reaches the audit trail`, async function () {
      const { code, io } = await run(['replay', action, 'j-1', '--reason', 'ERP maintenance window', '--url', fake.api.url, '--token', 't-ops']);
      expect(code, io.stderr).to.equal(0);
      expect(fake.api.only()).to.deep.include({ method: 'POST', path: `/replay-jobs/j-1/${action}`, body: { reason: 'ERP maintenance window' } });
      expect(io.stdout).to.match(/^job j-1: /);
    });
  }

  it('options given before the subcommand\'s name count too: replay --url U --token T jobs --json', async function () {
    const { code, io } = await run(['replay', '--url', fake.api.url, '--token', 't-ops', 'jobs', '--json']);
    expect(code, io.stderr).to.equal(0);
    expect(JSON.parse(io.stdout)).to.deep.equal({ items: [JOB] });
  });

  it('replay <id> keeps its own options: --dry-run --json, and --reason for the replay', async function () {
    const dry = await run(['replay', 'm-1', '--dry-run', '--url', fake.api.url, '--token', 't-ops', '--json']);
    expect(dry.code, dry.io.stderr).to.equal(0);
    expect(JSON.parse(dry.io.stdout)).to.deep.equal(DRY_RUN);
    const replayed = await run(['replay', 'm-1', '--reason', 'ERP fixed', '--url', fake.api.url, '--token', 't-ops']);
    expect(replayed.code, replayed.io.stderr).to.equal(0);
    expect(replayed.io.stdout).to.contain('Replayed m-1 as r-1');
    expect(fake.api.requests.map((r) => [r.path, r.body])).to.deep.equal([
      ['/messages/m-1/dry-run', { from: 'original' }], ['/messages/m-1/replay', { from: 'original', reason: 'ERP fixed' }],
    ]);
  });
});

describe('junction replay --dry-run as text (src/cli/replay-command renderDryRun)', function () {
  const text = renderDryRun({
    ...DRY_RUN,
    stages: [...DRY_RUN.stages, { stage: 'step:oa-approvals:to-xml', change: 'fixed', original: { error: { code: 'JCT_TRANSFORM_FAILED', message: 'no amount' } } },
      { stage: 'reply:erp-to-crm', change: 'not-run' }],
  }, new BufferedIo());

  it('marks an untried delivery with … (not →, which introduces the requests) and says what the backend answered last time', function () {
    expect(text).to.match(/^… deliver:erp-orders +untried\n {4}was: JCT_ENDPOINT_REJECTED: Endpoint "erp-orders" rejected CreateSalesOrder with SOAP fault soap:Client\n/m);
    expect(text).to.match(/^✔ step:oa-approvals:to-xml +fixed\n {4}was: JCT_TRANSFORM_FAILED: no amount\n/m);
    expect(text).to.match(/^- reply:erp-to-crm +not-run$/m);
  });

  it('does not let "Would deliver" read as "the backend is fixed": a dry-run does not call it', function () {
    expect(text.trimEnd().split('\n').at(-1)).to.equal(
      'Would deliver, as far as Junction can tell: the steps pass and the requests are built; a dry-run does not call the backend.');
  });
});
