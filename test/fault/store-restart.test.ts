import { expect } from 'chai';
import { MemoryBroker } from '../../src/bus/memory/memory-broker';
import type { Envelope } from '../../src/core/envelope';
import { silentLogger } from '../../src/core/logger';
import { RecoverySweep } from '../../src/gateway/recovery-sweep';
import { TypeOrmTransactionLog } from '../../src/store/typeorm/typeorm-transaction-log';
import { dropStoreTables, expectJunctionError, rejection, testMessage } from '../contract/transaction-log.support';
import { requireEnv, uniqueName } from '../support/env';
import { freeze, killDb, restartDb, servicesState } from '../support/test-services';

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await work();
  return { value, ms: Date.now() - started };
}

/**
 * One TypeOrmTransactionLog (the mysql2 pool under TypeORM) kept open while this run's MariaDB is
 * killed with -9 and restarted, or frozen with SIGSTOP: it must answer JCT_STORE_UNAVAILABLE in
 * bounded time meanwhile and work again afterwards without being restarted — with every write it
 * confirmed before the crash still there.
 */
describe('transaction log across a MariaDB crash and a freeze (the real server of this run)', function () {
  this.timeout(120_000);
  const prefix = `${uniqueName('rst').toLowerCase().slice(0, 14)}_`;
  const route = uniqueName('route');
  let url: string;
  let log: TypeOrmTransactionLog;

  before(async () => {
    url = requireEnv('JUNCTION_TEST_DB_URL');
    log = new TypeOrmTransactionLog({ url, tablePrefix: prefix, poolSize: 4, connectTimeoutMs: 2000, operationTimeoutMs: 2000 });
    await log.start();
  });
  after(async () => {
    await log?.close();
    if (url) await dropStoreTables(url, prefix);
  });

  it('kill -9 and restart: fails fast while down, then works again on the same pool; confirmed writes survive', async () => {
    const before: Envelope[] = [];
    await Promise.all(Array.from({ length: 40 }, async (_, i) => {
      const message = testMessage(route, {}, new Date(Date.now() - 120_000 + i));
      await log.recordReceived(message); // every pooled connection in use at least once
      before.push(message);
    }));
    await killDb();
    try {
      const { value: error, ms } = await timed(() => rejection(log.recordReceived(testMessage(route))));
      expectJunctionError(error, 'JCT_STORE_UNAVAILABLE');
      expect(ms, 'refused in bounded time').to.be.below(3000);
      expectJunctionError(await rejection(log.find({ routeId: route })), 'JCT_STORE_UNAVAILABLE');
    } finally {
      await restartDb();
    }
    // Right after the restart: concurrent work on the same instance, none of it failing on a stale connection.
    const results = await Promise.all(before.map((m) => log.transition(m.id, { stage: 'queued', status: 'QUEUED', attempt: 1 }, ['RECEIVED'])));
    expect(results.every((r) => r === 'applied')).to.equal(true);
    const after = testMessage(route);
    await log.recordReceived(after);
    expect((await log.load(after.id))?.status).to.equal('RECEIVED');
    // The recovery sweep, which holds no connection of its own, works on it again.
    const broker = new MemoryBroker();
    await broker.start();
    await broker.declare([route]);
    try {
      const stranded = testMessage(route, {}, new Date(Date.now() - 120_000));
      await log.recordReceived(stranded);
      const swept = await new RecoverySweep({ log, broker, logger: silentLogger, graceMs: 0 }).sweep(new Date(Date.now() + 1000));
      expect(swept.published).to.include(stranded.id);
    } finally {
      await broker.close();
    }
  });

  it('SIGSTOP: operations fail within the operation timeout; after SIGCONT the same pool works again', async () => {
    const message = testMessage(route);
    await log.recordReceived(message);
    const { dbPid } = servicesState();
    try {
      await freeze(dbPid);
      const { value: error, ms } = await timed(() => rejection(log.load(message.id)));
      expectJunctionError(error, 'JCT_STORE_UNAVAILABLE');
      expect(ms, 'bounded by operationTimeoutMs (2 s)').to.be.within(1500, 4500);
    } finally {
      process.kill(dbPid, 'SIGCONT');
    }
    expect((await log.load(message.id))?.id).to.equal(message.id);
    expect(await log.transition(message.id, { stage: 'queued', status: 'QUEUED', attempt: 1 }, ['RECEIVED'])).to.equal('applied');
  });
});
