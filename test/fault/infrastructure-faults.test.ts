import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { FaultRig } from '../support/fault-rig';
import { eventually } from '../support/http';
import { sendOrders, startOrders, type ClientRun } from '../support/patient-client';
import { expectEveryOrderOnce } from '../support/queue-checker';
import { killDb, restartDb, restartRabbit, signalRabbit } from '../support/test-services';

/**
 * Fault injection on the servers Junction depends on — RabbitMQ and MariaDB killed with -9 and
 * restarted, RabbitMQ frozen with SIGSTOP, the backend gone — while a stream of orders flows
 * through a real Junction process (gateway, worker and recovery sweep). The callers behave like
 * real ones (test/support/patient-client.ts): they retry refusals with the same Idempotency-Key and
 * count as accepted only what got 202; one caller in ten has no key and takes a 503 as "no".
 * Counted like Jepsen's queue checker: every accepted order DELIVERED and applied once, nothing
 * refused applied, no order applied twice, nothing left half-way in the log. The OA simulator
 * dedupes by X-Junction-Message-Id, as a backend honouring Junction's stable id does.
 */
describe('fault injection on RabbitMQ, MariaDB and the backend (a real Junction process)', function () {
  this.timeout(180_000);
  let rig: FaultRig;

  before(async () => { rig = await FaultRig.start(); });
  after(async () => { await rig?.close(); });
  beforeEach(() => { rig.oa.reset(); rig.oa.setBehaviour({ dedupeById: true, delayMs: 2 }); });
  afterEach(async function () { await rig.stopJunctions(this.currentTest?.state === 'failed'); });

  /**
   * Beyond "applied once" (the backend dedupes by id): Junction did not even send any message twice.
   * A delivery whose recording failed is remembered by the worker and recorded, not resent, when the
   * message comes back; a copy redelivered while its first handling still runs waits for it.
   */
  function expectNothingSentTwice(): void {
    expect(rig.oa.stats().deduplicated, 'messages sent to the backend twice').to.equal(0);
  }

  function expectCallersServed(run: ClientRun, sent: number): void {
    expect(run.odd, 'answers other than 202, 503 or 409').to.deep.equal([]);
    expect(run.refusals + run.noAnswer, 'callers met the outage (refused or unanswered)').to.be.greaterThan(0);
    expect(run.accepted.size + run.refused.size + run.unknown.size).to.equal(sent);
    // Keyed callers retry until accepted: only unkeyed callers (orderIds ending in 9) may have been turned away.
    expect([...run.refused, ...run.unknown].filter((orderId) => !orderId.endsWith('9')), 'keyed callers never accepted').to.deep.equal([]);
  }

  it('kill -9 of RabbitMQ mid-stream, then a restart: callers get 503 meanwhile; every accepted order delivered once', async () => {
    const route = 'infra-rabbit';
    const { proc, url } = await rig.startJunction(route);
    const sent = rig.orders('RMQ', 800);
    const { run: live, done: sending } = startOrders(url, sent);
    await rig.whenMidStream(live, 300, 100);
    // A few 500s just before the crash (as many as open the circuit): some messages are waiting in
    // delay queues (RETRYING, HELD) when it comes.
    rig.oa.setBehaviour({ failNext: 5 });
    await eventually(async () => (rig.oa.getBehaviour().failNext === 0 ? true : undefined), 10_000, 5);
    await signalRabbit('SIGKILL');
    await restartRabbit();
    const run = await sending;
    expectCallersServed(run, sent.length);
    // A copy RabbitMQ was dead-lettering out of a delay queue at the kill may be lost (at most once):
    // the recovery sweep puts its message back 30 s after it was due, plus up to one 10 s interval.
    const check = await rig.settle(route, run, 60_000);
    expectEveryOrderOnce(check);
    expect(check.recovered, 'messages delivered after a retry or a redelivery').to.be.greaterThan(0);
    expectNothingSentTwice();
    expect(proc.running, 'Junction survived').to.equal(true);
    expect(proc.lines().some((line) => line.includes('Reconnected to RabbitMQ'))).to.equal(true);
    expect(await rig.consumers(route), 'one consumer after the reconnect: none stuck, none doubled').to.equal(1);
  });

  it('kill -9 of MariaDB mid-stream, then a restart: gateway, worker and sweep carry on; every accepted order delivered once', async () => {
    const route = 'infra-db';
    const { proc, url } = await rig.startJunction(route);
    const sent = rig.orders('DB', 800);
    const { run: live, done: sending } = startOrders(url, sent);
    await rig.whenMidStream(live, 300, 100);
    await killDb();
    await sleep(2000); // the outage
    await restartDb();
    const run = await sending;
    expectCallersServed(run, sent.length);
    expectEveryOrderOnce(await rig.settle(route, run));
    expectNothingSentTwice();
    expect(proc.running, 'Junction survived').to.equal(true);
    expect(await rig.consumers(route)).to.equal(1);
  });

  it('a frozen RabbitMQ (SIGSTOP, then SIGCONT): detected by heartbeat, refused meanwhile; every accepted order delivered once', async () => {
    const route = 'infra-frozen';
    const { proc, url } = await rig.startJunction(route);
    const sent = rig.orders('FRZ', 800);
    const { run: live, done: sending } = startOrders(url, sent);
    await rig.whenMidStream(live, 300, 100);
    try {
      await signalRabbit('SIGSTOP');
      await sleep(8000); // longer than two heartbeats (2 s) and the publish timeout (5 s)
      // ... and frozen until Junction has noticed: a loaded machine may run its heartbeat timer late.
      await eventually(async () => (proc.lines().some((line) => line.includes('Heartbeat timeout')) ? true : undefined), 30_000, 100);
    } finally {
      await signalRabbit('SIGCONT');
    }
    const run = await sending;
    expectCallersServed(run, sent.length);
    expectEveryOrderOnce(await rig.settle(route, run));
    expectNothingSentTwice();
    expect(proc.running, 'Junction survived').to.equal(true);
    expect(proc.lines().some((line) => line.includes('Heartbeat timeout')), 'the heartbeat noticed the frozen broker').to.equal(true);
    expect(await eventually(async () => ((await rig.consumers(route)) === 1 ? 1 : undefined), 30_000, 200)).to.equal(1);
  });

  it('a backend gone (connection refused) long enough to open its circuit: messages wait HELD without using up tries, then all are delivered once', async () => {
    const route = 'infra-held';
    const { url } = await rig.startJunction(route);
    const sent = rig.orders('HLD', 600);
    const sending = sendOrders(url, sent);
    await rig.whenApplied(150);
    await rig.oa.close();
    await sleep(5000); // the route's 4 tries take under 1 s: without holds they would all be used up
    await rig.oa.start();
    const run = await sending;
    expect(run.odd, 'answers other than 202').to.deep.equal([]);
    expect(run.accepted.size, 'the gateway accepts while the backend is down').to.equal(sent.length);
    expectEveryOrderOnce(await rig.settle(route, run));
    expectNothingSentTwice();
    await rig.withLog(async (log) => {
      const delivered = await Promise.all([...run.accepted.values()].map((id) => log.load(id)));
      const held = delivered.filter((record) => record?.stages.some((s) => s.stage === 'held'));
      expect(held.length, 'messages that waited HELD').to.be.greaterThan(0);
      expect(Math.max(...delivered.map((record) => record?.attempts ?? 0)), 'tries used').to.be.at.most(4);
    });
  });
});
