import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { buildApp, type JunctionApp, type Role } from '../../src/app';
import { silentLogger } from '../../src/core/logger';
import { loadConfig } from '../../src/config/load-config';
import { OaSimulator } from '../../examples/legacy/oa/oa-simulator';
import { dropStoreTables } from '../contract/transaction-log.support';
import { deleteTopology, withAdminChannel } from '../integration/bus/amqp-admin';
import { requireEnv, uniqueName } from '../support/env';
import { eventually, postJson } from '../support/http';
import { untilDone } from '../support/progress';
import { checkQueue, expectNothingLostOrDoubled, HALF_WAY, type QueueCheck } from '../support/queue-checker';
import { TempConfigDir } from '../support/temp-config';

const ROUTE = 'fault-orders';

/**
 * How long a stream may go without any message moving before the test calls it stuck. Far above
 * every wait this configuration makes on purpose (retry backoff ≤ 800 ms, an open circuit 1 s, a
 * requeue 1 s); a loaded machine only makes the stream slower, so there is no deadline for the
 * whole of it (the mocha timeout bounds the worst case).
 */
const STALL_MS = 30_000;

/**
 * Fault injection on the real RabbitMQ and MariaDB, counting like Jepsen's queue checker: a
 * stream of orders is sent while something breaks; every order Junction accepted must be applied
 * exactly once by the backend and be DELIVERED — or be FAILED and visible (poison). The OA
 * simulator dedupes by X-Junction-Message-Id, as a backend honouring Junction's stable message
 * id does: a message applied twice would mean Junction sent it under two ids.
 */
describe('fault injection: nothing lost, nothing doubled (real RabbitMQ + MariaDB)', function () {
  // Only a bound for a stream that crawls for ever; STALL_MS catches one that stops. The kill -9
  // scenario takes ~20 s on an idle 2-core machine and was seen to take 4½ minutes at a load of 18.
  this.timeout(600_000);
  const temp = new TempConfigDir();
  const tablePrefix = `${uniqueName('flt').toLowerCase().slice(0, 14)}_`;
  const busPrefix = uniqueName('fault');
  let oa: OaSimulator;
  let configFile: string;
  const apps: JunctionApp[] = [];

  before(async () => {
    oa = new OaSimulator();
    const oaUrl = await oa.start();
    configFile = temp.write('fault.yaml', `
server: { port: 0 }
log: { level: silent }
store: { url: "${requireEnv('JUNCTION_TEST_DB_URL')}", tablePrefix: ${tablePrefix} }
bus: { url: "${requireEnv('JUNCTION_TEST_AMQP_URL')}", prefix: ${busPrefix}, prefetch: 20 }
endpoints:
  oa: { type: http, url: "${oaUrl}/oa/approvals", timeoutMs: 300, breaker: { failures: 5, openMs: 1000 } }
routes:
  - id: ${ROUTE}
    entry: { rest: { method: POST, path: /orders } }
    retry: { attempts: 40, initialDelayMs: 50, multiplier: 2, maxDelayMs: 800, jitter: 0.2 }
    steps: [ { type: json-to-xml, root: approvalRequest } ]
    to: [oa]
`);
  });

  after(async () => {
    await oa.close();
    await dropStoreTables(requireEnv('JUNCTION_TEST_DB_URL'), tablePrefix);
    await deleteTopology(requireEnv('JUNCTION_TEST_AMQP_URL'), busPrefix, [ROUTE]);
    temp.remove();
  });

  beforeEach(() => { oa.reset(); oa.setBehaviour({ dedupeById: true }); });
  afterEach(async () => { await Promise.all(apps.splice(0).map((a) => a.close())); });

  async function startJunction(role: Role): Promise<{ app: JunctionApp; base: string }> {
    const app = buildApp(loadConfig(configFile, {}), { role, logger: silentLogger });
    apps.push(app);
    return { app, base: await app.start() };
  }

  const order = (tag: string, i: number): string =>
    `{"orderId":"${tag}-${i}","customerId":"C-${i % 17}","amount":"${(i % 3000) + 0.5}","currency":"EUR"}`;

  /** Sends `count` orders, `width` at a time; returns the ids Junction accepted (202). */
  async function stream(base: string, tag: string, count: number, bodies: (i: number) => string = (i) => order(tag, i), width = 32): Promise<string[]> {
    const accepted: string[] = [];
    for (let start = 0; start < count; start += width) {
      const batch = await Promise.all(Array.from({ length: Math.min(width, count - start) }, (_, k) => postJson(`${base}/api/v1/orders`, bodies(start + k))));
      for (const res of batch) {
        expect(res.status, res.text).to.equal(202);
        accepted.push(String(res.json.messageId));
      }
    }
    return accepted;
  }

  /**
   * Waits until no message received since `since` is left half-way in the log — for as long as the
   * stream moves (see STALL_MS) — then counts.
   */
  async function settle(app: JunctionApp, accepted: readonly string[], since: Date): Promise<QueueCheck> {
    const halfWay = (): Promise<number> => app.log.count({ routeId: ROUTE, statuses: HALF_WAY, receivedFrom: since });
    const started = Date.now();
    await untilDone(async () => ((await halfWay()) === 0 ? true : undefined),
      async () => `${await halfWay()} messages half-way, ${oa.stats().attempts} requests at the backend`,
      { what: 'every accepted message DELIVERED or FAILED', stallMs: STALL_MS, everyMs: 500 });
    const check = await checkQueue(app.log, accepted, oa.receipts().map((r) => r.messageId));
    process.stdout.write(`      lost ${check.lost.length}, duplicated ${check.duplicated.length}, unexpected ${check.unexpected.length}, `
      + `recovered ${check.recovered}, failed ${check.failed.length}; backend recognised ${oa.stats().deduplicated} repeats by message id; `
      + `settled ${Date.now() - started} ms after the last 202\n`);
    return check;
  }

  /**
   * Keeps a backend fault on for `ms` once `begun` says the backend has met it: a wall-clock window
   * opened at the start of the stream could close before a slow (loaded) machine delivered anything.
   */
  async function faultFor(ms: number, begun: () => boolean): Promise<void> {
    await eventually(async () => (begun() ? true : undefined), 60_000, 10);
    await sleep(ms);
  }

  it('a backend that answers 500 for a while, then recovers: every order delivered once, by retries on the bus', async () => {
    const { app, base } = await startJunction('all');
    const since = new Date();
    oa.setBehaviour({ failStatus: 500 });
    const sending = stream(base, 'R500', 1000);
    await faultFor(1500, () => oa.stats().attempts >= 5);
    oa.setBehaviour({ failStatus: null });
    const accepted = await sending;
    const check = await settle(app, accepted, since);
    expectNothingLostOrDoubled(check);
    expect(check.recovered, 'orders that needed a retry').to.be.greaterThan(0);
  });

  it('a backend that applies the change, then times out: retried under the same id, applied once', async () => {
    const { app, base } = await startJunction('all');
    const since = new Date();
    oa.setBehaviour({ applyThenDelayMs: 600 });
    const sending = stream(base, 'SLOW', 500);
    // Applied, then answered after the endpoint's 300 ms timeout: each of these is tried again.
    await faultFor(1500, () => oa.stats().received >= 5);
    oa.setBehaviour({ applyThenDelayMs: 0 });
    const accepted = await sending;
    const check = await settle(app, accepted, since);
    expectNothingLostOrDoubled(check);
    expect(oa.stats().deduplicated, 'repeats the backend recognised by message id').to.be.greaterThan(0);
  });

  it('poison messages end FAILED at once and parked on the dead-letter queue; the stream flows past them', async () => {
    const { app, base } = await startJunction('all');
    const since = new Date();
    const poison = (i: number): boolean => i % 100 === 7;
    const accepted = await stream(base, 'PSN', 1000, (i) => (poison(i) ? `{"1-not-an-element":"${i}"}` : order('PSN', i)));
    const poisoned = accepted.filter((_id, i) => poison(i));
    const check = await settle(app, accepted, since);
    expectNothingLostOrDoubled(check, poisoned);
    for (const id of poisoned) {
      const record = await app.log.load(id);
      expect(record?.attempts, 'a permanent failure is not retried').to.equal(1);
      expect(record?.lastError?.code).to.equal('JCT_TRANSFORM_FAILED');
    }
    const parked = await withAdminChannel(requireEnv('JUNCTION_TEST_AMQP_URL'), (channel) => channel.checkQueue(`${busPrefix}.dlq.${ROUTE}`));
    expect(parked.messageCount).to.be.at.least(poisoned.length);
  });

  /** Waits until RabbitMQ counts `count` consumers on the route's queue: a worker process has started, or its death was noticed. */
  async function untilConsumers(count: number): Promise<void> {
    const consumers = (): Promise<number> => withAdminChannel(requireEnv('JUNCTION_TEST_AMQP_URL'),
      async (channel) => (await channel.checkQueue(`${busPrefix}.route.${ROUTE}`)).consumerCount);
    await eventually(async () => ((await consumers()) === count ? true : undefined), 60_000, 100);
  }

  it('kill -9 of a worker process mid-delivery, then a new worker: every order delivered once', async () => {
    const { app: gateway, base } = await startJunction('gateway');
    const since = new Date();
    oa.setBehaviour({ dedupeById: true, delayMs: 3 });
    const spawnWorker = (): ChildProcess => spawn(process.execPath, ['dist/src/main.js', '--config', configFile, '--role', 'worker'], { stdio: process.env.JUNCTION_FAULT_DEBUG ? 'inherit' : 'ignore' });
    let worker = spawnWorker();
    const alive = (child: ChildProcess): boolean => child.exitCode === null && child.signalCode === null;
    try {
      const sending = stream(base, 'KILL', 2000);
      // Start-up is not a stall: it is waited for first (a loaded machine can take seconds).
      await untilConsumers(1);
      await untilDone(async () => {
        if (!alive(worker)) throw new Error(`the first worker exited before the kill (code ${worker.exitCode}, signal ${worker.signalCode})`);
        return oa.stats().received >= 400 ? true : undefined;
      }, () => String(oa.stats().attempts), { what: 'the first worker delivering 400 orders', stallMs: STALL_MS, everyMs: 10 });
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.kill('SIGKILL');
      await exited;
      const appliedAtKill = oa.stats().received;
      await untilConsumers(0);
      worker = spawnWorker();
      await untilConsumers(1);
      const accepted = await sending;
      expect(appliedAtKill, 'the kill came mid-stream').to.be.below(accepted.length);
      const check = await settle(gateway, accepted, since);
      expectNothingLostOrDoubled(check);
    } finally {
      if (alive(worker)) {
        const exited = new Promise((resolve) => worker.once('exit', resolve));
        worker.kill('SIGTERM');
        await exited;
      }
    }
  });
});
