import { expect } from 'chai';
import { connect, type ChannelModel } from 'amqplib';
import { coalesceWrites } from '../../../src/bus/amqp/coalesced-writes';
import { requireEnv, uniqueName } from '../../support/env';

/** Counts the writes that reach the connection's socket (each one a system call). */
function countSocketWrites(model: ChannelModel): { readonly count: () => number } {
  const socket = (model as unknown as { connection: { stream: { _write: (...a: unknown[]) => void; _writev?: (...a: unknown[]) => void } } }).connection.stream;
  let writes = 0;
  const write = socket._write.bind(socket);
  socket._write = (...args: unknown[]) => { writes += 1; write(...args); };
  const writev = socket._writev?.bind(socket);
  if (writev) socket._writev = (...args: unknown[]) => { writes += 1; writev(...args); };
  return { count: () => writes };
}

/**
 * src/bus/amqp/coalesced-writes.ts against the real RabbitMQ: it relies on amqplib's internals,
 * so this fails if an upgrade moves them; and it shows the frames of one event-loop turn reaching
 * the socket in one write, while every message still arrives.
 */
describe('amqplib frames written together (coalesceWrites, real RabbitMQ)', function () {
  this.timeout(20_000);
  const url = requireEnv('JUNCTION_TEST_AMQP_URL');

  async function publishTwenty(coalesce: boolean): Promise<{ writes: number; consumed: number }> {
    const model = await connect(url, { noDelay: true });
    try {
      if (coalesce) expect(coalesceWrites(model), 'amqplib internals as expected').to.equal(true);
      const channel = await model.createConfirmChannel();
      const queue = uniqueName('coalesce');
      await channel.assertQueue(queue, { durable: false, autoDelete: false });
      const counter = countSocketWrites(model);
      const confirms = Array.from({ length: 20 }, (_, i) => new Promise<void>((resolve, reject) => {
        channel.sendToQueue(queue, Buffer.from(`message ${i} ${'x'.repeat(3000)}`), {}, (error: unknown) => (error ? reject(error) : resolve()));
      }));
      await Promise.all(confirms);
      const writes = counter.count();
      const consumed = (await channel.checkQueue(queue)).messageCount;
      await channel.deleteQueue(queue);
      return { writes, consumed };
    } finally {
      await model.close().catch(() => undefined);
    }
  }

  it('writes the 20 publishes of one turn (40 frames) in a handful of socket writes instead of one per frame; all arrive', async () => {
    const plain = await publishTwenty(false);
    const coalesced = await publishTwenty(true);
    expect(plain.consumed).to.equal(20);
    expect(coalesced.consumed).to.equal(20);
    expect(plain.writes, 'amqplib alone: a write per frame').to.be.at.least(40);
    expect(coalesced.writes, 'coalesced').to.be.at.most(5);
  });
});
