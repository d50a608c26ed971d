import { expect } from 'chai';
import { FaultRig } from '../support/fault-rig';
import { eventually } from '../support/http';
import { sendOrders, startOrders } from '../support/patient-client';
import { expectEveryOrderOnce } from '../support/queue-checker';

/**
 * SIGTERM of a Junction process (gateway, worker and sweep) in the middle of a stream, on the real
 * RabbitMQ and MariaDB: it stops taking work, finishes what is in flight and exits 0 within a
 * bounded time; a new process takes over. Graceful means more than "nothing lost": no request is
 * cut off mid-way and no message reaches the backend twice (nothing delivered is redelivered).
 */
describe('graceful shutdown (SIGTERM) of a real Junction process with work in flight', function () {
  this.timeout(120_000);
  let rig: FaultRig;

  before(async () => { rig = await FaultRig.start(); });
  after(async () => { await rig?.close(); });
  beforeEach(() => { rig.oa.reset(); });
  afterEach(async function () { await rig.stopJunctions(this.currentTest?.state === 'failed'); });

  it('finishes the requests and messages in flight, exits 0 quickly; a new process delivers the rest: all once, none sent twice', async () => {
    const route = 'stop-graceful';
    rig.oa.setBehaviour({ dedupeById: true, delayMs: 100 }); // a slow backend: 20 messages in flight at any moment
    const { proc, url, port } = await rig.startJunction(route, { prefetch: 20 });
    const sent = rig.orders('TERM', 500).map((order) => ({ ...order, key: order.key ?? `key-${order.orderId}` }));
    const { run: live, done: sending } = startOrders(url, sent, { width: 16 });
    await rig.whenMidStream(live, 150, 50);
    const stoppedAt = Date.now();
    const exit = await proc.kill('SIGTERM');
    const stopMs = Date.now() - stoppedAt;
    expect(exit, proc.tail(20)).to.deep.equal({ code: 0, signal: null });
    expect(stopMs, 'time to stop').to.be.below(5_000);
    const appliedWhenStopped = rig.oa.stats().received;
    expect(appliedWhenStopped, 'stopped mid-stream').to.be.below(sent.length);
    expect(proc.lines().some((line) => line.includes('worker stopped: every message in flight finished'))).to.equal(true);

    await rig.startJunction(route, { port, prefetch: 20 });
    const run = await sending;
    expect(run.odd).to.deep.equal([]);
    // Tries left unanswered: connections refused once the process stopped listening, or an idle keep-alive
    // connection closed just as the caller reused it (HTTP/1.1's unavoidable race, seen as a reset or
    // "other side closed"; the request never reached Junction). Had Junction taken a request and not
    // answered it, the caller's retry with the same key would have been answered as a replay of it.
    const expected = new Set(['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET']);
    expect([...run.noAnswerCodes.keys()].filter((code) => !expected.has(code)), 'other unanswered tries (timeouts)').to.deep.equal([]);
    expect(run.replayed, 'requests taken but never answered').to.equal(0);
    expect(run.accepted.size).to.equal(sent.length);
    expectEveryOrderOnce(await rig.settle(route, run));
    expect(rig.oa.stats().deduplicated, 'messages sent to the backend twice').to.equal(0);
  });

  it('a delivery that outlasts server.shutdownTimeoutMs: the process exits at the deadline (code 1); the message goes back and is delivered once', async () => {
    const route = 'stop-deadline';
    rig.oa.setBehaviour({ dedupeById: true, delayMs: 20_000 }); // the backend hangs (it applies nothing for a caller that has gone)
    const { proc, url, port } = await rig.startJunction(route, { shutdownTimeoutMs: 1500, endpointTimeoutMs: 60_000 });
    const sent = rig.orders('HANG', 5).map((order) => ({ ...order, key: `key-${order.orderId}` }));
    const run = await sendOrders(url, sent);
    expect(run.accepted.size).to.equal(sent.length);
    await eventually(async () => (rig.oa.stats().attempts >= sent.length ? true : undefined), 20_000, 20);
    const stoppedAt = Date.now();
    const exit = await proc.kill('SIGTERM');
    const stopMs = Date.now() - stoppedAt;
    expect(exit.code, proc.tail(20)).to.equal(1);
    expect(stopMs, 'exits at the deadline').to.be.within(1400, 4000);
    expect(proc.lines().some((line) => line.includes('within server.shutdownTimeoutMs'))).to.equal(true);

    rig.oa.setBehaviour({ delayMs: 0 });
    await rig.startJunction(route, { port });
    expectEveryOrderOnce(await rig.settle(route, run));
    expect(rig.oa.stats().received).to.equal(sent.length);
  });
});
