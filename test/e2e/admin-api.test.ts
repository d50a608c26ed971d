import { expect } from 'chai';
import { ADMIN_TEST_TOKENS, withAdminTokens } from '../support/admin-tokens';
import { startDemoStack, type DemoStack } from '../support/demo-stack';
import { eventually, postJson, request, sampleOrder, type TestResponse } from '../support/http';
import { requireEnv, uniqueName } from '../support/env';
import { storeNames } from '../../src/store/typeorm/entities';
import { RECEIVED_PAYLOAD } from '../../src/store/typeorm/shared-payloads';
import { openMysql } from '../contract/transaction-log.support';

const TOKENS = ADMIN_TEST_TOKENS;

describe('admin API on the demo (real RabbitMQ and MariaDB): find, inspect, fix, replay', function () {
  this.timeout(120_000);
  let stack: DemoStack;
  const tag = uniqueName('ord');
  const api = (path: string, role: keyof typeof TOKENS = 'operator', init: RequestInit = {}): Promise<TestResponse> =>
    request(`${stack.base}/admin/api${path}`, { ...init, headers: { authorization: `Bearer ${TOKENS[role]}`, 'content-type': 'application/json', ...(init.headers ?? {}) } });
  const post = (path: string, body: unknown, role: keyof typeof TOKENS = 'operator'): Promise<TestResponse> =>
    api(path, role, { method: 'POST', body: JSON.stringify(body) });
  const statusOf = async (id: string): Promise<string> => String((await api(`/messages/${id}`, 'viewer')).json.status);
  const failedIds: string[] = [];

  before(async () => {
    stack = await startDemoStack({ servers: 'real', adjust: withAdminTokens });
    stack.erp.setBehaviour({ faultCode: 'Client' });
    for (let i = 0; i < 5; i += 1) {
      const r = await postJson(`${stack.base}/api/v1/orders`, sampleOrder(`${tag}-${i}`));
      expect(r.status).to.equal(202);
      failedIds.push(String(r.json.messageId));
    }
    for (const id of failedIds) await eventually(async () => ((await statusOf(id)) === 'FAILED' ? true : undefined), 20_000);
  });
  after(async () => { await stack?.close(); });

  it('answers 401 without or with a wrong token, 403 for a role too weak, as problem+json', async () => {
    const none = await request(`${stack.base}/admin/api/messages`);
    expect(none.status).to.equal(401);
    expect(none.headers.get('content-type')).to.match(/application\/problem\+json/);
    expect(none.headers.get('www-authenticate')).to.equal('Bearer realm="junction-admin"');
    expect(none.json.code).to.equal('JCT_ADMIN_UNAUTHENTICATED');
    const wrong = await request(`${stack.base}/admin/api/messages`, { headers: { authorization: `Bearer ${TOKENS.operator}x` } });
    expect([wrong.status, wrong.json.code]).to.deep.equal([401, 'JCT_ADMIN_UNAUTHENTICATED']);
    const viewer = await post(`/messages/${failedIds[0]}/replay`, {}, 'viewer');
    expect([viewer.status, viewer.json.code]).to.deep.equal([403, 'JCT_ADMIN_FORBIDDEN']);
    expect((await api('/whoami', 'viewer')).json).to.deep.equal({ name: 'vic', role: 'viewer', method: 'admin-token' });
  });

  it('searches by status, route and business key, paged with a cursor; shows a message\'s full timeline', async () => {
    const page1 = await api(`/messages?status=FAILED&route=submit-order&limit=2&errorCode=JCT_ENDPOINT_REJECTED&endpoint=erp-orders`, 'viewer');
    expect(page1.status, page1.text).to.equal(200);
    const seen: string[] = [];
    let next = page1.json.next as string | null;
    seen.push(...(page1.json.items as { id: string }[]).map((m) => m.id));
    while (next) {
      const page = await api(`/messages?status=FAILED&route=submit-order&limit=2&errorCode=JCT_ENDPOINT_REJECTED&endpoint=erp-orders&cursor=${next}`, 'viewer');
      seen.push(...(page.json.items as { id: string }[]).map((m) => m.id));
      next = page.json.next as string | null;
    }
    expect(seen).to.include.members(failedIds);
    expect(new Set(seen).size).to.equal(seen.length);
    const byKey = await api(`/messages?businessKey=${tag}-1`, 'viewer');
    expect((byKey.json.items as { id: string }[]).map((m) => m.id)).to.deep.equal([failedIds[1]]);
    const bad = await api('/messages?status=BROKEN', 'viewer');
    expect([bad.status, bad.json.code]).to.deep.equal([400, 'JCT_REQUEST_MALFORMED']);
    const detail = await api(`/messages/${failedIds[0]}?pretty=true`, 'viewer');
    expect(detail.json).to.deep.include({ status: 'FAILED', failedStage: 'deliver:erp-orders', businessKey: `${tag}-0` });
    const stages = detail.json.stages as { stage: string; payload?: string; prettyPayload?: string; error?: { code: string } }[];
    const mapped = stages.find((s) => s.stage === 'step:erp-orders:order-to-erp');
    expect(mapped?.payload).to.contain('"ORDER_NO"');
    expect(mapped?.prettyPayload).to.contain('\n  "ORDER_NO"');
    expect(stages.find((s) => s.stage === 'deliver:erp-orders')?.error?.code).to.equal('JCT_ENDPOINT_REJECTED');
    expect(String(detail.json.prettyPayload)).to.contain('"amount": "250.00"');
  });

  it('groups the failures by cause', async () => {
    const groups = (await api('/failure-groups?route=submit-order', 'viewer')).json.items as { count: number; errorCode: string; endpoint: string; errorGroup: string }[];
    const group = groups.find((g) => g.errorCode === 'JCT_ENDPOINT_REJECTED' && g.endpoint === 'erp-orders');
    expect(group?.count).to.be.at.least(5);
    const members = await api(`/messages?errorGroup=${group?.errorGroup}&unresolved=true&limit=1000`, 'viewer');
    expect((members.json.items as { id: string }[]).map((m) => m.id)).to.include.members(failedIds);
  });

  it('dry-runs a failed message against the current route: nothing sent, each step compared with the original run', async () => {
    const before = stack.erp.stats().received;
    const report = (await post(`/messages/${failedIds[0]}/dry-run`, {})).json;
    expect(report).to.deep.include({ verdict: 'would-deliver', delivered: false, from: 'original' });
    const stages = report.stages as { stage: string; change: string; diff?: { lines: { op: string; text: string }[] } }[];
    expect(stages.find((s) => s.stage === 'step:erp-orders:order-to-erp')?.change).to.equal('same');
    // The ERP refused the original; the dry-run builds the request but does not ask the ERP again.
    expect(stages.find((s) => s.stage === 'deliver:erp-orders')?.change).to.equal('untried');
    const edited = (await post(`/messages/${failedIds[0]}/dry-run`, { payload: sampleOrder(`${tag}-0`, '"260.00"') })).json;
    const step = (edited.stages as typeof stages).find((s) => s.stage === 'step:erp-orders:order-to-erp');
    expect(step?.change).to.equal('changed');
    expect(step?.diff?.lines.filter((l) => l.op !== ' ').map((l) => `${l.op}${l.text.trim()}`)).to.deep.equal(['-"AMOUNT": 250.00,', '+"AMOUNT": 260.00,']);
    expect(stack.erp.stats().received).to.equal(before);
  });

  it('a dry-run of an edited payload checks it against the REST entry\'s JSON Schema, as the replay does', async () => {
    const badId = sampleOrder(`${tag}-0`).replace(`"${tag}-0"`, '"SO 4006!"');
    const dry = (await post(`/messages/${failedIds[0]}/dry-run`, { payload: badId })).json;
    expect(dry).to.deep.include({ verdict: 'would-fail' });
    expect(dry.failure).to.deep.include({ stage: 'entry' });
    expect((dry.failure as { error: { code: string } }).error.code).to.equal('JCT_VALIDATION_FAILED');
    const replay = await post(`/messages/${failedIds[0]}/replay`, { payload: badId, reason: 'typo' });
    expect(replay.status).to.equal(422);
  });

  it('refuses an edited payload the route refuses, or one without a reason', async () => {
    const invalid = await post(`/messages/${failedIds[0]}/replay`, { payload: '{"orderId":"x"}', reason: 'fix' });
    expect([invalid.status, invalid.json.code]).to.deep.equal([422, 'JCT_VALIDATION_FAILED']);
    expect(invalid.json.violations).to.be.an('array').that.is.not.empty;
    const noReason = await post(`/messages/${failedIds[0]}/replay`, { payload: sampleOrder(`${tag}-0`) });
    expect([noReason.status, noReason.json.code]).to.deep.equal([400, 'JCT_REQUEST_MALFORMED']);
    expect(await statusOf(failedIds[0] as string)).to.equal('FAILED');
  });

  it('replays once fixed: a new linked message is delivered; a second replay and a DELIVERED one are refused unless an admin forces it', async () => {
    stack.erp.setBehaviour({ faultCode: null });
    const original = failedIds[0] as string;
    const replayed = await post(`/messages/${original}/replay`, { reason: 'ERP customer table fixed' });
    expect(replayed.status, replayed.text).to.equal(202);
    const replayId = String(replayed.json.replayId);
    await eventually(async () => ((await statusOf(replayId)) === 'DELIVERED' ? true : undefined), 20_000);
    const detail = (await api(`/messages/${replayId}`, 'viewer')).json;
    expect(detail).to.deep.include({ replayOf: original, businessKey: `${tag}-0` });
    expect(stack.erp.receipts().filter((r) => r.messageId === replayId)).to.have.length(1);
    const originalView = (await api(`/messages/${original}`, 'viewer')).json;
    expect(originalView).to.deep.include({ status: 'FAILED', resolution: 'replayed', replayedBy: replayId });
    expect((originalView.replays as { id: string }[]).map((r) => r.id)).to.deep.equal([replayId]);
    const again = await post(`/messages/${original}/replay`, {});
    expect([again.status, again.json.code]).to.deep.equal([409, 'JCT_REPLAY_REFUSED']);
    const delivered = await post(`/messages/${replayId}/replay`, {});
    expect([delivered.status, delivered.json.code, delivered.json.detail]).to.deep.include.members([409, 'JCT_REPLAY_REFUSED']);
    expect((await post(`/messages/${replayId}/replay`, { force: true, reason: 'resend' })).status).to.equal(403);
    const forced = await post(`/messages/${replayId}/replay`, { force: true, reason: 'ERP lost it' }, 'admin');
    expect(forced.status, forced.text).to.equal(202);
    await eventually(async () => ((await statusOf(String(forced.json.replayId))) === 'DELIVERED' ? true : undefined), 20_000);
    const audit = (await api(`/audit?messageId=${original}`, 'viewer')).json.items as { actor: string; action: string; reason: string; replayId: string }[];
    expect(audit.map((a) => [a.actor, a.action, a.reason, a.replayId])).to.deep.equal([['alice', 'replay', 'ERP customer table fixed', replayId]]);
  });

  it('replays from the failed step: the ERP gets the mapped request the original failed to deliver', async () => {
    const original = failedIds[1] as string;
    const replayed = await post(`/messages/${original}/replay`, { from: 'failed-step' });
    expect(replayed.status, replayed.text).to.equal(202);
    expect(replayed.json).to.deep.include({ from: 'failed-step', resumeAt: 'deliver:erp-orders' });
    const replayId = String(replayed.json.replayId);
    await eventually(async () => ((await statusOf(replayId)) === 'DELIVERED' ? true : undefined), 20_000);
    const detail = (await api(`/messages/${replayId}`, 'viewer')).json;
    const stages = detail.stages as { stage: string; payload?: string }[];
    expect(stages.map((s) => s.stage)).not.to.include('step:erp-orders:order-to-erp');
    const receipt = stack.erp.receipts().find((r) => r.messageId === replayId);
    expect(JSON.stringify(receipt)).to.contain(`${tag}-1`);
    // The replay's body is the mapped request, and so is what its delivery sent: stored once, shown twice.
    expect(stages.find((s) => s.stage === 'deliver:erp-orders')?.payload).to.equal(detail.payload);
    const db = await openMysql(requireEnv('JUNCTION_TEST_DB_URL'));
    try {
      const [rows] = await db.query(`SELECT payload, payload_of AS payloadOf FROM \`${storeNames(stack.tablePrefix).stage}\` WHERE message_id = ? AND stage = ?`,
        [replayId, 'deliver:erp-orders']) as unknown as [{ payload: string | null; payloadOf: string | null }[]];
      expect(rows).to.deep.equal([{ payload: null, payloadOf: RECEIVED_PAYLOAD }]);
    } finally {
      await db.end();
    }
  });

  it('a replay skips the recipients its original reached: ERP took the order, OA refused it; the replay goes to OA only', async () => {
    stack.oa.setBehaviour({ failStatus: 400 });
    const r = await postJson(`${stack.base}/api/v1/orders`, sampleOrder(`${tag}-fan`, '1999.90'));
    const original = String(r.json.messageId);
    await eventually(async () => ((await statusOf(original)) === 'FAILED' ? true : undefined), 20_000);
    expect(stack.erp.receipts().filter((x) => x.messageId === original)).to.have.length(1);
    stack.oa.setBehaviour({ failStatus: null });
    const dry = (await post(`/messages/${original}/dry-run`, {})).json;
    expect((dry.stages as { stage: string; change: string }[]).find((s) => s.stage === 'deliver:erp-orders')?.change).to.equal('skipped');
    expect((dry.stages as { stage: string; change: string }[]).find((s) => s.stage === 'deliver:oa-approvals')?.change).to.equal('untried');
    const replayed = await post(`/messages/${original}/replay`, { reason: 'OA fixed' });
    expect(replayed.json.skipped).to.deep.equal(['erp-orders']);
    const replayId = String(replayed.json.replayId);
    await eventually(async () => ((await statusOf(replayId)) === 'DELIVERED' ? true : undefined), 20_000);
    expect(stack.erp.receipts().filter((x) => x.messageId === replayId), 'not sent to the ERP again').to.have.length(0);
    expect(stack.oa.receipts().filter((x) => x.messageId === replayId)).to.have.length(1);
  });

  it('resolves a failure by hand with a reason; it leaves the unresolved list', async () => {
    const id = failedIds[2] as string;
    expect((await post(`/messages/${id}/resolve`, {})).status).to.equal(400);
    expect((await post(`/messages/${id}/resolve`, { reason: 'customer re-sent it' })).status).to.equal(200);
    const unresolved = (await api(`/messages?unresolved=true&route=submit-order&limit=1000`, 'viewer')).json.items as { id: string }[];
    expect(unresolved.map((m) => m.id)).not.to.include(id);
  });

  it('bulk-replays the rest of a group as a job: paced, pausable, resumable, counted, audited', async () => {
    stack.erp.setBehaviour({ faultCode: 'Client' });
    const more: string[] = [];
    for (let i = 0; i < 6; i += 1) {
      const r = await postJson(`${stack.base}/api/v1/orders`, sampleOrder(`${tag}-bulk-${i}`));
      more.push(String(r.json.messageId));
    }
    for (const id of more) await eventually(async () => ((await statusOf(id)) === 'FAILED' ? true : undefined), 20_000);
    stack.erp.setBehaviour({ faultCode: null });
    const noReason = await post('/replay-jobs', { filter: { route: 'submit-order' } });
    expect(noReason.status).to.equal(400);
    const created = await post('/replay-jobs', { filter: { route: 'submit-order', errorCode: 'JCT_ENDPOINT_REJECTED' }, ratePerSecond: 2, reason: 'ERP back' });
    expect(created.status, created.text).to.equal(201);
    const jobId = String(created.json.id);
    expect(created.json.total).to.equal(8); // failedIds 3 and 4, and the six new ones
    await eventually(async () => (((await api(`/replay-jobs/${jobId}`, 'viewer')).json.replayed as number) >= 1 ? true : undefined), 20_000);
    const paused = await post(`/replay-jobs/${jobId}/pause`, { reason: 'check the first' });
    expect(paused.json.status).to.equal('paused');
    expect((await post(`/replay-jobs/${jobId}/pause`, {})).json.code).to.equal('JCT_REPLAY_JOB_CONFLICT');
    const released = await eventually(async () => {
      const job = (await api(`/replay-jobs/${jobId}`, 'viewer')).json;
      return job.owner === undefined ? job : undefined;
    }, 10_000);
    await new Promise((r) => setTimeout(r, 1200));
    expect((await api(`/replay-jobs/${jobId}`, 'viewer')).json.replayed, 'nothing replayed while paused').to.equal(released.replayed);
    expect((await post(`/replay-jobs/${jobId}/resume`, {})).json.status).to.equal('running');
    const done = await eventually(async () => {
      const job = (await api(`/replay-jobs/${jobId}`, 'viewer')).json;
      return job.status === 'completed' ? job : undefined;
    }, 30_000);
    expect(done).to.deep.include({ replayed: 8, skipped: 0, failed: 0 });
    for (const id of [...more, failedIds[3], failedIds[4]] as string[]) {
      const replays = (await api(`/messages/${id}`, 'viewer')).json.replays as { id: string }[];
      expect(replays, id).to.have.length(1);
      await eventually(async () => ((await statusOf(String(replays[0]?.id))) === 'DELIVERED' ? true : undefined), 20_000);
      expect(stack.erp.receipts().filter((r) => r.messageId === replays[0]?.id)).to.have.length(1);
    }
    const audit = (await api(`/audit?jobId=${jobId}&limit=100`, 'viewer')).json.items as { action: string; actor: string }[];
    expect(audit.filter((a) => a.action === 'replay')).to.have.length(8);
    expect(audit.map((a) => a.action)).to.include.members(['replay-job.create', 'replay-job.pause', 'replay-job.resume']);
  });
});
