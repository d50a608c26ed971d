import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { createEnvelope, type Envelope } from '../../src/core/envelope';
import type { SerializedError } from '../../src/core/errors';
import type { AuditInput, MessageSearch } from '../../src/core/operator-records';
import type { MessageSummary, StageEvent, TransactionLog } from '../../src/core/transaction-log';
import { uniqueName } from '../support/env';
import { testMessage } from './transaction-log.support';

const who: AuditInput = { actor: 'alice', role: 'operator', action: 'replay', reason: 'ERP fixed' };
const rejected = (text: string): SerializedError => ({ code: 'JCT_ENDPOINT_REJECTED', message: text, retryable: false });
const stage = (name: string, status: StageEvent['status'], extra: Partial<StageEvent> = {}): StageEvent => ({ stage: name, status, attempt: 1, ...extra });

/** A replay envelope of `original` as the replay service makes one. */
function replayOf(original: Envelope): Envelope {
  return createEnvelope({ routeId: original.routeId, pattern: original.pattern, source: 'admin:replay', contentType: original.contentType,
    body: original.body, correlationId: original.correlationId, replayOf: original.id });
}

async function failed(log: TransactionLog, message: Envelope, error: SerializedError, extra: Partial<StageEvent> = {}): Promise<void> {
  await log.recordReceived(message);
  await log.transition(message.id, stage('processing', 'PROCESSING'));
  await log.transition(message.id, stage('deliver:erp-orders', 'FAILED', { error, ...extra }));
}

async function allPages(log: TransactionLog, search: MessageSearch): Promise<MessageSummary[]> {
  const out: MessageSummary[] = [];
  let after = search.after;
  for (let i = 0; i < 100; i += 1) {
    const page = await log.search({ ...search, ...(after ? { after } : {}) });
    out.push(...page.items);
    if (!page.next) return out;
    after = page.next;
  }
  throw new Error('too many pages');
}

/** The operators' part of the TransactionLog contract (docs/operators.md), run inside the main contract suite. */
export function operatorContract(getLog: () => TransactionLog): void {
  describe('operators', () => {
    const route = (): string => uniqueName('route');

    it('search pages with a keyset over ties, newest or oldest first, with nothing missed or doubled', async () => {
      const log = getLog();
      const r = route();
      const base = Date.UTC(2026, 1, 1);
      const messages = Array.from({ length: 23 }, (_, i) => testMessage(r, {}, new Date(base + Math.floor(i / 4))));
      for (const m of messages) await log.recordReceived(m);
      const expected = [...messages].sort((a, b) => b.receivedAt.localeCompare(a.receivedAt) || (a.id < b.id ? 1 : -1)).map((m) => m.id);
      const first = await log.search({ routeId: r, limit: 5 });
      expect(first.items.map((m) => m.id)).to.deep.equal(expected.slice(0, 5));
      expect(first.next).to.deep.include({ id: expected[4] });
      expect((await allPages(log, { routeId: r, limit: 5 })).map((m) => m.id)).to.deep.equal(expected);
      expect((await allPages(log, { routeId: r, limit: 4, order: 'oldest' })).map((m) => m.id)).to.deep.equal([...expected].reverse());
      const last = await log.search({ routeId: r, limit: 23 });
      expect(last.items).to.have.length(23);
      expect(last).not.to.have.property('next');
      expect(await log.count({ routeId: r })).to.equal(23);
      for (const key of ['payload', 'headers', 'stages']) expect(first.items[0]).not.to.have.property(key);
    });

    it('search filters by status(es), endpoint, error code and group, correlation, business key, replayOf, time range, unresolved', async () => {
      const log = getLog();
      const r = route();
      const t0 = Date.UTC(2026, 2, 1);
      const a = testMessage(r, { businessKey: 'SO-1', correlationId: 'c-1' }, new Date(t0));
      const b = testMessage(r, { businessKey: 'SO-2' }, new Date(t0 + 1000));
      const c = testMessage(r, {}, new Date(t0 + 2000));
      const d = testMessage(route(), {}, new Date(t0 + 3000));
      await failed(log, a, rejected('customer C-41 unknown'), { endpoint: 'erp-orders' });
      await failed(log, b, rejected('customer C-42 unknown'));
      await log.recordReceived(c);
      await log.transition(c.id, stage('step:order-to-erp', 'FAILED', { error: { code: 'JCT_TRANSFORM_FAILED', message: 'no /amount', retryable: false } }));
      await log.recordReceived(d);
      const ids = async (search: MessageSearch): Promise<string[]> => (await log.search(search)).items.map((m) => m.id);
      const [sa] = (await log.search({ businessKey: 'SO-1', routeId: r })).items;
      expect(sa).to.deep.include({ id: a.id, errorEndpoint: 'erp-orders', status: 'FAILED' });
      expect(sa?.errorGroup).to.match(/^[0-9a-f]{16}$/);
      const [sb] = (await log.search({ businessKey: 'SO-2', routeId: r })).items;
      expect(sb?.errorEndpoint, 'endpoint taken from the deliver: stage').to.equal('erp-orders');
      expect(sb?.errorGroup, 'same cause once numbers are taken out').to.equal(sa?.errorGroup);
      expect(await ids({ routeId: r, errorGroup: String(sa?.errorGroup) })).to.deep.equal([b.id, a.id]);
      expect(await ids({ routeId: r, endpoint: 'erp-orders' })).to.deep.equal([b.id, a.id]);
      expect(await ids({ routeId: r, errorCode: 'JCT_TRANSFORM_FAILED' })).to.deep.equal([c.id]);
      expect(await ids({ routeId: r, statuses: ['FAILED'] })).to.deep.equal([c.id, b.id, a.id]);
      expect(await ids({ routeId: r, statuses: ['RECEIVED', 'DELIVERED'] })).to.deep.equal([]);
      expect(await ids({ correlationId: 'c-1' })).to.deep.equal([a.id]);
      expect(await ids({ routeId: r, receivedFrom: new Date(t0 + 1000), receivedTo: new Date(t0 + 2000) })).to.deep.equal([b.id]);
      expect(await ids({ routeId: r, unresolved: true })).to.deep.equal([c.id, b.id, a.id]);
      const replay = replayOf(a);
      expect((await log.recordReplay(replay, { originalId: a.id, force: false, audit: who })).outcome).to.equal('recorded');
      expect(await ids({ routeId: r, unresolved: true })).to.deep.equal([c.id, b.id]);
      expect(await ids({ replayOf: a.id })).to.deep.equal([replay.id]);
      expect(await log.count({ routeId: r, unresolved: true })).to.equal(2);
    });

    it('groups unresolved failures by route and cause, largest first, with the normalised message', async () => {
      const log = getLog();
      const r = route();
      for (let i = 0; i < 3; i += 1) await failed(log, testMessage(r), rejected(`customer C-${40 + i} unknown`));
      const other = testMessage(r);
      await failed(log, other, { code: 'JCT_ENDPOINT_SERVER_ERROR', message: 'ERP answered 500 after 3 tries', retryable: true });
      const groups = await log.failureGroups({ routeId: r });
      expect(groups.map((g) => [g.count, g.errorCode, g.endpoint, g.message])).to.deep.equal([
        [3, 'JCT_ENDPOINT_REJECTED', 'erp-orders', 'customer C-<n> unknown'],
        [1, 'JCT_ENDPOINT_SERVER_ERROR', 'erp-orders', 'ERP answered <n> after <n> tries'],
      ]);
      expect(groups[1]?.sampleId).to.equal(other.id);
      expect(groups[0]?.routeId).to.equal(r);
      expect(groups[0]?.firstReceivedAt.getTime()).to.be.at.most(groups[0]?.lastReceivedAt.getTime() ?? 0);
      expect(await log.count({ routeId: r, errorGroup: String(groups[0]?.errorGroup), unresolved: true })).to.equal(3);
      expect(await log.resolve(other.id, { ...who, action: 'resolve' })).to.equal('applied');
      expect((await log.failureGroups({ routeId: r })).map((g) => g.count)).to.deep.equal([3]);
    });

    it('records a replay linked to its original, claims the original once, and audits it in the same step', async () => {
      const log = getLog();
      const original = testMessage(route(), { businessKey: 'SO-9' });
      await failed(log, original, rejected('no'));
      const replay = replayOf(original);
      const result = await log.recordReplay(replay, { originalId: original.id, force: false, audit: { ...who, detail: { from: 'original', edited: false } } });
      expect(result.outcome).to.equal('recorded');
      if (result.outcome !== 'recorded') return;
      expect(result.audit).to.deep.include({ actor: 'alice', action: 'replay', messageId: original.id, replayId: replay.id, reason: 'ERP fixed' });
      const loaded = await log.load(replay.id);
      expect(loaded).to.deep.include({ status: 'RECEIVED', replayOf: original.id, payload: original.body });
      expect(loaded?.stages[0]?.detail).to.equal(`replay of ${original.id} by alice`);
      const again = await log.load(original.id);
      expect(again).to.deep.include({ status: 'FAILED', resolution: 'replayed', replayedBy: replay.id });
      expect(again?.stages.map((s) => s.stage), 'history untouched').to.deep.equal(['received', 'processing', 'deliver:erp-orders']);
      const second = await log.recordReplay(replayOf(original), { originalId: original.id, force: false, audit: who });
      expect(second).to.deep.include({ outcome: 'refused', reason: 'replayed', replayedBy: replay.id });
      const forced = replayOf(original);
      expect((await log.recordReplay(forced, { originalId: original.id, force: true, audit: who })).outcome).to.equal('recorded');
      expect((await log.load(original.id))?.replayedBy).to.equal(forced.id);
      const audit = await log.findAudit({ messageId: original.id });
      expect(audit.items.map((a) => a.replayId)).to.deep.equal([forced.id, replay.id]);
      expect(audit.items[1]?.detail).to.deep.equal({ from: 'original', edited: false });
    });

    it('refuses to replay a message that is missing, in flight, DELIVERED (unless forced) or resolved; writes nothing then', async () => {
      const log = getLog();
      const r = route();
      const inFlight = testMessage(r);
      await log.recordReceived(inFlight);
      const delivered = testMessage(r);
      await log.recordReceived(delivered);
      await log.transition(delivered.id, stage('deliver', 'DELIVERED'));
      const resolved = testMessage(r);
      await failed(log, resolved, rejected('x'));
      await log.resolve(resolved.id, { ...who, action: 'resolve' });
      const attempt = async (original: Envelope | undefined, force = false) => {
        const replay = original ? replayOf(original) : testMessage(r);
        const result = await log.recordReplay(replay, { originalId: original?.id ?? randomUUID(), force, audit: who });
        if (result.outcome === 'refused') expect(await log.load(replay.id)).to.equal(undefined);
        return result;
      };
      expect(await attempt(undefined)).to.deep.equal({ outcome: 'refused', reason: 'missing' });
      expect(await attempt(inFlight)).to.deep.include({ outcome: 'refused', reason: 'not-settled', status: 'RECEIVED' });
      expect(await attempt(inFlight, true)).to.deep.include({ reason: 'not-settled' });
      expect(await attempt(delivered)).to.deep.include({ outcome: 'refused', reason: 'delivered', status: 'DELIVERED' });
      expect(await attempt(resolved)).to.deep.include({ outcome: 'refused', reason: 'resolved' });
      expect((await attempt(delivered, true)).outcome).to.equal('recorded');
      expect((await log.findAudit({ messageId: inFlight.id })).items).to.have.length(0);
    });

    it('lets exactly one of 20 concurrent replays of one message through', async () => {
      const log = getLog();
      const original = testMessage(route());
      await failed(log, original, rejected('no'));
      const replays = Array.from({ length: 20 }, () => replayOf(original));
      const results = await Promise.all(replays.map((m) => log.recordReplay(m, { originalId: original.id, force: false, audit: who })));
      expect(results.filter((x) => x.outcome === 'recorded')).to.have.length(1);
      expect(await log.count({ replayOf: original.id })).to.equal(1);
      expect((await log.findAudit({ messageId: original.id })).items).to.have.length(1);
    });

    it('resolve: only an unresolved FAILED message; audited', async () => {
      const log = getLog();
      const m = testMessage(route());
      await failed(log, m, rejected('no'));
      expect(await log.resolve(m.id, { ...who, action: 'resolve', reason: 'sent by hand' })).to.equal('applied');
      expect(await log.resolve(m.id, { ...who, action: 'resolve' })).to.equal('skipped');
      expect(await log.resolve(randomUUID(), { ...who, action: 'resolve' })).to.equal('missing');
      const loaded = await log.load(m.id);
      expect(loaded).to.deep.include({ status: 'FAILED', resolution: 'resolved' });
      expect(loaded?.resolvedAt).to.be.instanceOf(Date);
      expect((await log.findAudit({ messageId: m.id })).items.map((a) => [a.action, a.reason])).to.deep.equal([['resolve', 'sent by hand']]);
    });

    it('audit trail: appended in order, newest first, filtered and paged', async () => {
      const log = getLog();
      const actor = uniqueName('actor');
      const jobId = randomUUID();
      for (let i = 0; i < 5; i += 1) {
        await log.appendAudit({ actor, role: 'admin', action: 'replay-job.pause', jobId, reason: `r${i}`, detail: { n: i, ok: true, text: 'Zoë 北京' } });
      }
      const first = await log.findAudit({ actor, limit: 2 });
      expect(first.items.map((a) => a.reason)).to.deep.equal(['r4', 'r3']);
      expect(first.items[0]).to.deep.include({ actor, role: 'admin', action: 'replay-job.pause', jobId, detail: { n: 4, ok: true, text: 'Zoë 北京' } });
      expect(first.items[0]?.at).to.be.instanceOf(Date);
      const second = await log.findAudit({ actor, limit: 2, before: first.next });
      expect(second.items.map((a) => a.reason)).to.deep.equal(['r2', 'r1']);
      expect((await log.findAudit({ jobId, limit: 10 })).items).to.have.length(5);
      expect((await log.findAudit({ actor, action: 'replay' })).items).to.have.length(0);
    });

    it('audit trail: records how the actor signed in, when given (entries without one have none)', async () => {
      const log = getLog();
      const actor = uniqueName('actor');
      const written = await log.appendAudit({ actor, role: 'operator', method: 'jwt', action: 'replay-job.cancel', jobId: randomUUID() });
      expect(written).to.deep.include({ actor, role: 'operator', method: 'jwt' });
      await log.appendAudit({ actor, role: 'viewer', action: 'replay-job.cancel' });
      const [without, withMethod] = (await log.findAudit({ actor })).items;
      expect(withMethod).to.deep.include({ method: 'jwt', role: 'operator' });
      expect(without).not.to.have.property('method');
    });

    it('replay jobs: created running, counted in the replay transaction, changed only from allowed statuses, leased to one owner', async () => {
      const log = getLog();
      const id = randomUUID();
      const createdAt = new Date(Date.UTC(2026, 3, 1));
      const job = await log.createReplayJob({ id, createdBy: 'bob', reason: 'ERP back', filter: { routeId: 'submit-order', unresolved: true, receivedFrom: createdAt },
        source: 'original', ratePerSecond: 5, total: 2, createdAt }, { actor: 'bob', role: 'operator', action: 'replay-job.create' });
      expect(job).to.deep.include({ id, status: 'running', replayed: 0, skipped: 0, failed: 0, total: 2 });
      const loaded = await log.loadReplayJob(id);
      expect(loaded?.filter).to.deep.equal({ routeId: 'submit-order', unresolved: true, receivedFrom: createdAt });
      const original = testMessage(route());
      await failed(log, original, rejected('no'));
      const cursor = { receivedAt: new Date(original.receivedAt), id: original.id };
      await log.recordReplay(replayOf(original), { originalId: original.id, force: false, audit: { ...who, jobId: id }, job: { id, cursor } });
      expect(await log.updateReplayJob(id, { addSkipped: 1, addFailed: 2, lastError: rejected('x') })).to.equal('applied');
      const counted = await log.loadReplayJob(id);
      expect(counted).to.deep.include({ replayed: 1, skipped: 1, failed: 2, lastError: rejected('x') });
      expect(counted?.cursor).to.deep.equal(cursor);
      expect(await log.updateReplayJob(id, { status: 'paused' }, ['running'], { actor: 'bob', role: 'operator', action: 'replay-job.pause' })).to.equal('applied');
      expect(await log.updateReplayJob(id, { status: 'paused' }, ['running'])).to.equal('skipped');
      expect(await log.updateReplayJob(randomUUID(), { status: 'paused' })).to.equal('missing');
      expect(await log.leaseReplayJob('p1', new Date(Date.now() + 60_000))).to.equal(undefined);
      await log.updateReplayJob(id, { status: 'running', lastError: null });
      expect((await log.loadReplayJob(id))).not.to.have.property('lastError');
      const now = new Date();
      // Other tests' jobs may be running too: lease until ours is found.
      const leaseOurs = async (owner: string, until: Date, at: Date): Promise<boolean> => {
        for (let i = 0; i < 50; i += 1) {
          const leased = await log.leaseReplayJob(owner, until, at);
          if (!leased) return false;
          if (leased.id === id) return true;
          await log.updateReplayJob(leased.id, { status: 'completed' });
        }
        return false;
      };
      expect(await leaseOurs('p1', new Date(now.getTime() + 60_000), now)).to.equal(true);
      expect((await log.loadReplayJob(id))?.owner).to.equal('p1');
      expect(await log.leaseReplayJob('p2', new Date(now.getTime() + 60_000), now), 'held by p1').to.equal(undefined);
      expect(await leaseOurs('p2', new Date(now.getTime() + 180_000), new Date(now.getTime() + 120_000)), 'lease expired').to.equal(true);
      expect((await log.loadReplayJob(id))?.owner).to.equal('p2');
      expect((await log.listReplayJobs(500)).map((j) => j.id)).to.include(id);
      expect((await log.findAudit({ jobId: id })).items.map((a) => a.action)).to.deep.equal(['replay-job.pause', 'replay', 'replay-job.create']);
      await log.updateReplayJob(id, { status: 'completed', owner: null, leaseUntil: null, finishedAt: new Date() });
    });

    it('purge deletes old DELIVERED and replayed/resolved FAILED messages with their stages, in batches; keeps the rest', async () => {
      const log = getLog();
      const r = route();
      const old = new Date(Date.UTC(2001, 0, 1));
      const oldDelivered = Array.from({ length: 5 }, () => testMessage(r, {}, old));
      for (const m of oldDelivered) {
        await log.recordReceived(m);
        await log.transition(m.id, stage('deliver', 'DELIVERED', { payload: 'x' }));
      }
      const oldFailed = testMessage(r, {}, old);
      await failed(log, oldFailed, rejected('no'));
      const oldReplayed = testMessage(r, {}, old);
      await failed(log, oldReplayed, rejected('no'));
      const replay = replayOf(oldReplayed);
      await log.recordReplay(replay, { originalId: oldReplayed.id, force: false, audit: who });
      const oldRetrying = testMessage(r, {}, old);
      await log.recordReceived(oldRetrying);
      await log.transition(oldRetrying.id, stage('retry', 'RETRYING'));
      const fresh = testMessage(r);
      await log.recordReceived(fresh);
      await log.transition(fresh.id, stage('deliver', 'DELIVERED'));
      const cutoff = new Date(Date.UTC(2002, 0, 1));
      const purged: number[] = [];
      for (let i = 0; i < 20; i += 1) {
        const n = await log.purge({ deliveredBefore: cutoff, resolvedBefore: cutoff, limit: 2 });
        if (n === 0) break;
        purged.push(n);
      }
      // Other tests' old messages may go too; ours are gone, at most two per batch.
      expect(purged.every((n) => n <= 2)).to.equal(true);
      for (const m of [...oldDelivered, oldReplayed]) expect(await log.load(m.id), m.id).to.equal(undefined);
      for (const m of [oldFailed, oldRetrying, fresh, replay]) expect(await log.load(m.id), m.id).not.to.equal(undefined);
      expect((await log.findAudit({ messageId: oldReplayed.id })).items, 'the audit trail is never purged').to.have.length(1);
    });

    it('purge takes stages that refer to their message\'s received body with it; the replay of one keeps its own body and references', async () => {
      const log = getLog();
      const old = new Date(Date.UTC(2001, 0, 1));
      const original = testMessage(route(), { body: '{"orderId":"o-9"}' }, old);
      await log.recordReceived(original);
      await log.transition(original.id, stage('deliver:erp-orders', 'FAILED', { error: rejected('no'), payload: original.body }), undefined, {
        received: original.body, preceding: [stage('step:check', 'PROCESSING', { payload: original.body })],
      });
      const replay = replayOf(original);
      await log.recordReplay(replay, { originalId: original.id, force: false, audit: who });
      await log.transition(replay.id, stage('deliver:erp-orders', 'DELIVERED', { payload: replay.body }), undefined, {
        received: replay.body, preceding: [stage('step:check', 'PROCESSING', { payload: replay.body })],
      });
      const cutoff = new Date(Date.UTC(2002, 0, 1));
      for (let i = 0; i < 50 && await log.load(original.id) !== undefined; i += 1) await log.purge({ deliveredBefore: cutoff, resolvedBefore: cutoff, limit: 100 });
      expect(await log.load(original.id)).to.equal(undefined);
      expect((await log.load(replay.id))?.stages.map((s) => [s.stage, s.payload])).to.deep.equal([
        ['received', undefined], ['step:check', original.body], ['deliver:erp-orders', original.body],
      ]);
    });
  });
}
