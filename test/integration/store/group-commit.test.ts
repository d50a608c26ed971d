import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { PrometheusMetrics } from '../../../src/observability/prometheus-metrics';
import { parseStoreUrl } from '../../../src/store/typeorm/data-source';
import { TypeOrmTransactionLog } from '../../../src/store/typeorm/typeorm-transaction-log';
import { dropStoreTables, expectJunctionError, rejection, testMessage } from '../../contract/transaction-log.support';
import { requireEnv, uniqueName } from '../../support/env';
import { sampleValue } from '../../support/prometheus-text';
import { TcpProxy } from './tcp-proxy';

/**
 * Group commit on MariaDB (src/store/typeorm/group-commit.ts): concurrent writes share
 * transactions, each caller still gets its own answer, and a write is acknowledged only once its
 * transaction has committed. The contract suite runs the log with and without it.
 */
describe('transaction log group commit (real MariaDB)', function () {
  this.timeout(60_000);
  const url = requireEnv('JUNCTION_TEST_DB_URL');
  const prefix = `${uniqueName('gc').toLowerCase()}_`;
  const metrics = new PrometheusMetrics({ processMetrics: false });
  let log: TypeOrmTransactionLog;

  before(async () => {
    log = new TypeOrmTransactionLog({ url, tablePrefix: prefix, metrics, groupCommit: { connections: 2, maxWrites: 64 } });
    await log.start();
  });
  after(async () => {
    await log.close();
    await dropStoreTables(url, prefix);
  });

  it('300 concurrent new messages are committed in far fewer transactions, none over the write limit, all readable', async () => {
    const before = await metrics.render();
    const route = uniqueName('route');
    const messages = Array.from({ length: 300 }, () => testMessage(route));
    await Promise.all(messages.map((m) => log.recordReceived(m)));
    const after = await metrics.render();
    const transactions = sampleValue(after, 'junction_store_write_batch_rows_count', 0) - sampleValue(before, 'junction_store_write_batch_rows_count', 0);
    const rows = sampleValue(after, 'junction_store_write_batch_rows_sum', 0) - sampleValue(before, 'junction_store_write_batch_rows_sum', 0);
    expect(rows).to.equal(300);
    expect(transactions).to.be.below(150).and.at.least(Math.ceil(300 / 64));
    expect(sampleValue(after, 'junction_store_write_batch_rows_bucket{le="64"}', 0)).to.equal(sampleValue(after, 'junction_store_write_batch_rows_count', 0));
    const loaded = await Promise.all(messages.map((m) => log.load(m.id)));
    expect(loaded.every((r, i) => r?.status === 'RECEIVED' && r.payload === messages[i]?.body)).to.equal(true);
  });

  it('a duplicate id in a batch fails alone: its neighbours are recorded, and it gets the usual error', async () => {
    const route = uniqueName('route');
    const existing = testMessage(route);
    await log.recordReceived(existing);
    const others = Array.from({ length: 40 }, () => testMessage(route));
    const results = await Promise.allSettled([...others.slice(0, 20), { ...existing, body: 'again' }, ...others.slice(20)].map((m) => log.recordReceived(m)));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(failed).to.have.length(1);
    expect(String((failed[0]?.reason as Error).message)).to.include(existing.id);
    expect(await log.find({ routeId: route, limit: 100 })).to.have.length(41);
    expect((await log.load(existing.id))?.payload).to.equal(existing.body);
  });

  it('writes of one message fired together keep their order and their conditions, among other messages\' writes', async () => {
    const route = uniqueName('route');
    const [a, b] = [testMessage(route), testMessage(route)];
    await Promise.all([log.recordReceived(a), log.recordReceived(b)]);
    const results = await Promise.all([
      log.transition(a.id, { stage: 'queued', status: 'QUEUED', attempt: 1 }, ['RECEIVED']),
      log.transition(b.id, { stage: 'processing', status: 'PROCESSING', attempt: 1 }, ['RECEIVED', 'QUEUED']),
      log.transition(a.id, { stage: 'processing', status: 'PROCESSING', attempt: 2 }, ['QUEUED']),
      log.transition(a.id, { stage: 'late-queued', status: 'QUEUED', attempt: 1 }, ['RECEIVED']),
      log.transition(randomUUID(), { stage: 'x', status: 'QUEUED', attempt: 1 }),
      log.transition(b.id, { stage: 'nothing', status: 'FAILED', attempt: 1 }, []),
      log.transition(a.id, { stage: 'deliver:erp', status: 'DELIVERED', attempt: 2, error: { code: 'JCT_ENDPOINT_REJECTED', message: 'kept', retryable: false } }, ['PROCESSING']),
    ]);
    expect(results).to.deep.equal(['applied', 'applied', 'applied', 'skipped', 'missing', 'skipped', 'applied']);
    const loadedA = await log.load(a.id);
    expect(loadedA?.stages.map((s) => s.stage)).to.deep.equal(['received', 'queued', 'processing', 'deliver:erp']);
    expect(loadedA).to.deep.include({ status: 'DELIVERED', attempts: 2 });
    expect(loadedA?.lastError?.code).to.equal('JCT_ENDPOINT_REJECTED');
    expect((await log.load(b.id))?.status).to.equal('PROCESSING');
  });

  it('a batch that fails while the log is closing still applies its writes one by one', async () => {
    const closing = new TypeOrmTransactionLog({ url, tablePrefix: prefix, groupCommit: { connections: 1 } });
    await closing.start();
    const route = uniqueName('route');
    const existing = testMessage(route);
    await closing.recordReceived(existing);
    const others = Array.from({ length: 5 }, () => testMessage(route));
    const writes = [{ ...existing, body: 'again' }, ...others].map((m) => closing.recordReceived(m));
    const closed = closing.close();
    const results = await Promise.allSettled(writes);
    await closed;
    expect(results.map((r) => r.status)).to.deep.equal(['rejected', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect(String(((results[0] as PromiseRejectedResult).reason as Error).message)).to.include(existing.id);
    expect(await log.find({ routeId: route, limit: 10 })).to.have.length(6);
  });

  it('a status change alone in its transaction (one round trip) answers as in a batch: applied, skipped or missing, a stage only when applied', async () => {
    const route = uniqueName('route');
    const a = testMessage(route);
    await log.recordReceived(a);
    // Each awaited in turn, so each is the only write of its transaction.
    expect(await log.transition(a.id, { stage: 'queued', status: 'QUEUED', attempt: 1 }, ['RECEIVED'])).to.equal('applied');
    expect(await log.transition(a.id, { stage: 'late-queued', status: 'QUEUED', attempt: 1 }, ['RECEIVED'])).to.equal('skipped');
    expect(await log.transition(a.id, { stage: 'nothing', status: 'FAILED', attempt: 1 }, [])).to.equal('skipped');
    expect(await log.transition(randomUUID(), { stage: 'x', status: 'QUEUED', attempt: 1 }, ['RECEIVED'])).to.equal('missing');
    expect(await log.transition(randomUUID(), { stage: 'x', status: 'QUEUED', attempt: 1 })).to.equal('missing');
    expect(await log.transition(a.id, { stage: 'step:map', status: 'PROCESSING', attempt: 1, payload: '{"x":1}' })).to.equal('applied');
    expect(await log.transition(a.id, { stage: 'deliver:erp', status: 'DELIVERED', attempt: 1, endpoint: 'erp' }, ['PROCESSING'])).to.equal('applied');
    const loaded = await log.load(a.id);
    expect(loaded?.stages.map((s) => s.stage)).to.deep.equal(['received', 'queued', 'step:map', 'deliver:erp']);
    expect(loaded?.stages[2]?.payload).to.equal('{"x":1}');
    expect(loaded?.status).to.equal('DELIVERED');
  });

  it('long payloads keep every character exactly, in a new message and in stages, alone and in a batch', async () => {
    // Long enough for the group commit's own quoting (sql-literal.ts); every character mysql2 would
    // escape, the two that must be, escape sequences written out, and text outside the BMP.
    const tricky = `{"note":"it's \\"quoted\\" \\\\ back\\\\slash \\\\n not a newline","nul":"\u0000","ctl":"\b\t\n\r\u001a","sql":"'); DROP TABLE x; --","emoji":"\u{1F4E6} Zürich 東京"}`;
    const body = `${tricky}${'x'.repeat(400)}${tricky}`;
    expect(body.length).to.be.above(256);
    const route = uniqueName('route');
    const alone = testMessage(route, { body });
    await log.recordReceived(alone);
    expect(await log.transition(alone.id, { stage: 'step:map', status: 'PROCESSING', attempt: 1, payload: body })).to.equal('applied');
    const batch = Array.from({ length: 12 }, () => testMessage(route, { body }));
    await Promise.all(batch.map((m) => log.recordReceived(m)));
    await Promise.all(batch.map((m) => log.transition(m.id, { stage: 'deliver:erp', status: 'DELIVERED', attempt: 1, payload: `${body}!` }, ['RECEIVED'],
      { preceding: [{ stage: 'step:map', status: 'PROCESSING', attempt: 1, payload: body }] })));
    const loadedAlone = await log.load(alone.id);
    expect(loadedAlone?.payload).to.equal(body);
    expect(loadedAlone?.stages[1]?.payload).to.equal(body);
    for (const m of batch) {
      const loaded = await log.load(m.id);
      expect(loaded?.payload).to.equal(body);
      expect(loaded?.stages.map((s) => [s.stage, s.payload])).to.deep.equal([['received', undefined], ['step:map', body], ['deliver:erp', `${body}!`]]);
    }
  });

  it('a deferrable write starts no transaction: it joins the next write\'s, or goes on its own after a quarter of a second', async () => {
    const route = uniqueName('route');
    const [a, b, c] = [testMessage(route), testMessage(route), testMessage(route)];
    await Promise.all([log.recordReceived(a), log.recordReceived(c)]);
    const before = await metrics.render();
    const marked = log.transition(a.id, { stage: 'queued', status: 'QUEUED', attempt: 1 }, ['RECEIVED'], { deferrable: true });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await log.load(a.id))?.status, 'not committed yet').to.equal('RECEIVED');
    await log.recordReceived(b); // its transaction takes the mark along
    expect(await marked).to.equal('applied');
    const after = await metrics.render();
    const transactions = sampleValue(after, 'junction_store_write_batch_rows_count', 0) - sampleValue(before, 'junction_store_write_batch_rows_count', 0);
    const rows = sampleValue(after, 'junction_store_write_batch_rows_sum', 0) - sampleValue(before, 'junction_store_write_batch_rows_sum', 0);
    expect({ transactions, rows }).to.deep.equal({ transactions: 1, rows: 2 });
    expect((await log.load(a.id))?.status).to.equal('QUEUED');
    // Alone: committed by the timer.
    const started = Date.now();
    expect(await log.transition(c.id, { stage: 'queued', status: 'QUEUED', attempt: 1 }, ['RECEIVED'], { deferrable: true })).to.equal('applied');
    expect(Date.now() - started).to.be.within(150, 5000);
    expect((await log.load(c.id))?.status).to.equal('QUEUED');
  });

  it('a write that does not fit in one transaction with a waiting deferrable write does not wait for the timer', async () => {
    const single = new TypeOrmTransactionLog({ url, tablePrefix: prefix, groupCommit: { connections: 1, maxWrites: 1 } });
    await single.start();
    try {
      const [a, b] = [testMessage(uniqueName('route')), testMessage(uniqueName('route'))];
      await single.recordReceived(a);
      const marked = single.transition(a.id, { stage: 'queued', status: 'QUEUED', attempt: 1 }, ['RECEIVED'], { deferrable: true });
      const started = Date.now();
      await single.recordReceived(b);
      expect(Date.now() - started, 'ms the new message waited').to.be.below(150);
      expect(await marked).to.equal('applied');
    } finally {
      await single.close();
    }
  });

  it('close() commits a deferrable write at once', async () => {
    const other = new TypeOrmTransactionLog({ url, tablePrefix: prefix, groupCommit: { connections: 1 } });
    await other.start();
    const message = testMessage(uniqueName('route'));
    await other.recordReceived(message);
    const marked = other.transition(message.id, { stage: 'queued', status: 'QUEUED', attempt: 1 }, ['RECEIVED'], { deferrable: true });
    const started = Date.now();
    await other.close();
    expect(await marked).to.equal('applied');
    expect(Date.now() - started).to.be.below(200);
    expect((await log.load(message.id))?.status).to.equal('QUEUED');
  });

  it('a write is acknowledged only once committed: a frozen server fails it within the deadline, and nothing of it is kept', async () => {
    const target = parseStoreUrl(url);
    if (target.dialect !== 'mysql') throw new Error('JUNCTION_TEST_DB_URL must be a mysql:// URL');
    const proxy = new TcpProxy(target.host, target.port);
    const proxied = new URL(url);
    proxied.port = String(await proxy.start());
    const slow = new TypeOrmTransactionLog({ url: proxied.toString(), tablePrefix: prefix, connectTimeoutMs: 1000, operationTimeoutMs: 1000 });
    try {
      await slow.start();
      const route = uniqueName('route');
      await slow.recordReceived(testMessage(route)); // the writer's connection is open now
      proxy.mode = 'blackhole';
      const frozen = testMessage(route);
      const started = Date.now();
      const error = await rejection(slow.recordReceived(frozen));
      expectJunctionError(error, 'JCT_STORE_UNAVAILABLE');
      expect(Date.now() - started).to.be.below(5000);
      expect(await log.load(frozen.id)).to.equal(undefined);
    } finally {
      proxy.mode = 'forward';
      await slow.close();
      await proxy.stop();
    }
  });
});
