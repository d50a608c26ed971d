import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { RetentionSweeper } from '../../src/admin/retention-sweeper';
import { createEnvelope } from '../../src/core/envelope';
import { silentLogger } from '../../src/core/logger';
import type { PurgeRequest } from '../../src/core/operator-records';
import { storeNames } from '../../src/store/typeorm/entities';
import { TypeOrmTransactionLog } from '../../src/store/typeorm/typeorm-transaction-log';
import { dropStoreTables, openMysql } from '../contract/transaction-log.support';
import { ADMIN_TEST_TOKENS, withAdminTokens } from '../support/admin-tokens';
import { startDemoStack } from '../support/demo-stack';
import { requireEnv, uniqueName } from '../support/env';
import { eventually, postJson, request, sampleOrder } from '../support/http';
import { seedMessages } from '../support/seed-messages';

describe('retention on MariaDB: old settled messages go in small batches while traffic flows', function () {
  this.timeout(120_000);
  const prefix = `${uniqueName('ret').toLowerCase()}_`;
  let url: string;
  let log: TypeOrmTransactionLog;

  before(async () => {
    url = requireEnv('JUNCTION_TEST_DB_URL');
    log = new TypeOrmTransactionLog({ url, tablePrefix: prefix, operationTimeoutMs: 5000 });
    await log.start();
    const db = await openMysql(url);
    try {
      await seedMessages(db, storeNames(prefix).message, 3000, Date.UTC(2020, 0, 1));
    } finally {
      await db.end();
    }
  });
  after(async () => {
    await log?.close();
    await dropStoreTables(url, prefix);
  });

  it('deletes every old DELIVERED message in batches of at most batchSize, keeps unresolved FAILED ones, and concurrent writes all succeed', async () => {
    const batches: number[] = [];
    const counting = Object.create(log) as TypeOrmTransactionLog;
    counting.purge = async (request: PurgeRequest): Promise<number> => {
      const n = await log.purge(request);
      batches.push(n);
      return n;
    };
    const sweeper = new RetentionSweeper({ log: counting, logger: silentLogger, settings: {
      enabled: true, deliveredDays: 30, resolvedDays: 30, batchSize: 200, intervalMs: 60_000, pauseMs: 0,
    } });
    const route = uniqueName('route');
    const traffic = (async () => {
      const ids: string[] = [];
      for (let i = 0; i < 60; i += 1) {
        const m = createEnvelope({ routeId: route, pattern: 'one-way', source: 't', contentType: 'application/json', body: '{}' });
        await log.recordReceived(m);
        await log.transition(m.id, { stage: 'deliver', status: 'DELIVERED', attempt: 1 });
        ids.push(m.id);
      }
      return ids;
    })();
    const [deleted, written] = await Promise.all([sweeper.sweep(), traffic]);
    await sweeper.close();
    expect(deleted).to.equal(2880); // 3000 seeded, every 25th FAILED and unresolved
    expect(batches.every((n) => n <= 200)).to.equal(true);
    expect(batches.length).to.be.at.least(15);
    expect(await log.count({ statuses: ['DELIVERED'], receivedTo: new Date(Date.UTC(2021, 0, 1)) })).to.equal(0);
    expect(await log.count({ statuses: ['FAILED'], receivedTo: new Date(Date.UTC(2021, 0, 1)) })).to.equal(120);
    expect(await log.count({ routeId: route, statuses: ['DELIVERED'] }), 'recent traffic kept').to.equal(written.length);
  });
});

describe('a bulk replay job survives its process: another one takes the lease over and resumes after the cursor', function () {
  this.timeout(120_000);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'junction-job-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('replays the messages after the cursor once each, and completes', async () => {
    const stack = await startDemoStack({ servers: { sqliteFile: path.join(dir, 'junction.db') }, adjust: withAdminTokens });
    try {
      const auth = { authorization: `Bearer ${ADMIN_TEST_TOKENS.operator}`, 'content-type': 'application/json' };
      stack.erp.setBehaviour({ faultCode: 'Client' });
      const tag = uniqueName('job');
      const ids: string[] = [];
      for (let i = 0; i < 4; i += 1) ids.push(String((await postJson(`${stack.base}/api/v1/orders`, sampleOrder(`${tag}-${i}`))).json.messageId));
      const status = async (id: string): Promise<string> => String((await request(`${stack.base}/api/v1/messages/${id}`)).json.status);
      for (const id of ids) await eventually(async () => ((await status(id)) === 'FAILED' ? true : undefined), 20_000);
      stack.erp.setBehaviour({ faultCode: null });
      // A process replayed the first message as part of the job, moved the cursor, and died holding the lease.
      const { log } = stack.app;
      const first = await log.load(String(ids[0]));
      const jobId = randomUUID();
      await log.createReplayJob({ id: jobId, createdBy: 'alice', reason: 'ERP back', filter: { routeId: 'submit-order', unresolved: true },
        source: 'original', ratePerSecond: 50, total: 4, createdAt: new Date() }, { actor: 'alice', role: 'operator', action: 'replay-job.create' });
      await log.updateReplayJob(jobId, { status: 'paused' });
      const replayed = await request(`${stack.base}/admin/api/messages/${ids[0]}/replay`, { method: 'POST', headers: auth, body: '{"reason":"by the dead process"}' });
      expect(replayed.status).to.equal(202);
      await log.updateReplayJob(jobId, { status: 'running', cursor: { receivedAt: first?.receivedAt ?? new Date(), id: String(ids[0]) },
        owner: 'dead-process', leaseUntil: new Date(Date.now() + 1500) });
      const done = await eventually(async () => {
        const job = await log.loadReplayJob(jobId);
        return job?.status === 'completed' ? job : undefined;
      }, 30_000, 200);
      expect(done.replayed).to.equal(3);
      for (const id of ids) expect(await log.count({ replayOf: id }), id).to.equal(1);
    } finally {
      await stack.close();
    }
  });
});
