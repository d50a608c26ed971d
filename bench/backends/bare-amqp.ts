/**
 * The asynchronous baseline: the least a program can do to move durable messages through the same
 * RabbitMQ — a confirm channel publishing persistent messages to a durable classic queue with
 * `concurrency` publishes awaiting their confirms, and a consumer (prefetch 200) acking each one.
 * No HTTP, no log, no steps. Run as its own process by the benchmark:
 *   node dist/bench/backends/bare-amqp.js --url amqp://… --queue q --concurrency 64 --bytes 1024
 *        --warmup-ms 2000 --duration-ms 8000 [--max N] --out result.json
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { connect, type ConfirmChannel } from 'amqplib';
import { preciseNow } from '../lib/clock';
import { LatencyRecorder, type LatencySummary } from '../lib/latency';

/** What the baseline reports (written as JSON to --out). */
export interface BareAmqpResult {
  readonly published: number;
  readonly consumed: number;
  readonly measured: number;
  readonly elapsedMs: number;
  readonly latency: LatencySummary;
  /** CPU seconds this process used during the measured span. */
  readonly cpuSeconds: number;
}

function publishConfirmed(channel: ConfirmChannel, queue: string, content: Buffer, sentAt: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    channel.sendToQueue(queue, content, { persistent: true, headers: { 'x-sent-at': sentAt } }, (error: unknown) => (error ? reject(error) : resolve()));
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' }, queue: { type: 'string' }, concurrency: { type: 'string', default: '1' },
      bytes: { type: 'string', default: '1024' }, 'warmup-ms': { type: 'string', default: '1000' },
      'duration-ms': { type: 'string', default: '5000' }, max: { type: 'string' }, out: { type: 'string' },
    },
  });
  const url = String(values.url);
  const queue = String(values.queue);
  const concurrency = Number(values.concurrency);
  const content = Buffer.from(JSON.stringify({ data: 'x'.repeat(Math.max(0, Number(values.bytes) - 11)) }), 'utf8');
  const warmupMs = Number(values['warmup-ms']);
  const durationMs = Number(values['duration-ms']);
  const max = values.max === undefined ? Number.POSITIVE_INFINITY : Number(values.max);

  // The same socket options as Junction's bus (TCP_NODELAY): the baseline is the best bare amqplib does.
  const publisherConnection = await connect(url, { noDelay: true });
  const consumerConnection = await connect(url, { noDelay: true });
  const publisher = await publisherConnection.createConfirmChannel();
  await publisher.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'classic' } });
  const consumer = await consumerConnection.createChannel();
  await consumer.prefetch(200);

  const latency = new LatencyRecorder();
  let measureFrom = Number.POSITIVE_INFINITY;
  let published = 0;
  let consumed = 0;
  let measured = 0;
  let measuredPublished = 0;
  let lastConsumedAt = 0;
  await consumer.consume(queue, (message) => {
    if (message === null) return;
    const sentAt = Number(message.properties.headers?.['x-sent-at']);
    const now = preciseNow();
    consumer.ack(message);
    consumed += 1;
    if (sentAt >= measureFrom) {
      measured += 1;
      latency.record(now - sentAt);
      lastConsumedAt = now;
    }
  }, { noAck: false });

  const publishFor = async (ms: number, limit: number, counting: boolean): Promise<void> => {
    const deadline = performance.now() + ms;
    let sent = 0;
    const client = async (): Promise<void> => {
      while (performance.now() < deadline && sent < limit) {
        sent += 1;
        await publishConfirmed(publisher, queue, content, preciseNow());
        published += 1;
        if (counting) measuredPublished += 1;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, client));
  };

  await publishFor(warmupMs, max, false);
  while (consumed < published) await new Promise((r) => setTimeout(r, 5));
  process.stdout.write('MEASURE-START\n');
  const cpuBefore = process.cpuUsage();
  const startedAt = preciseNow();
  measureFrom = startedAt;
  await publishFor(durationMs, max, true);
  const drainDeadline = Date.now() + 120_000;
  while (measured < measuredPublished && Date.now() < drainDeadline) await new Promise((r) => setTimeout(r, 2));
  const cpu = process.cpuUsage(cpuBefore);
  process.stdout.write('MEASURE-END\n');
  const result: BareAmqpResult = {
    published, consumed, measured, elapsedMs: lastConsumedAt - startedAt, latency: latency.summary(),
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
  await publisher.deleteQueue(queue).catch(() => undefined);
  await publisherConnection.close().catch(() => undefined);
  await consumerConnection.close().catch(() => undefined);
  if (values.out) writeFileSync(values.out, JSON.stringify(result));
  else process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`bare-amqp: ${String(error)}\n`);
    process.exit(1);
  });
}
