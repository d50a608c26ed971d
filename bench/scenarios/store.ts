import { randomBytes } from 'node:crypto';
import { createEnvelope } from '../../src/core/envelope';
import { TypeOrmTransactionLog } from '../../src/store/typeorm/typeorm-transaction-log';
import { dropStoreTables } from '../../test/contract/transaction-log.support';
import { LatencyRecorder } from '../lib/latency';
import { per1000, startCpu } from '../lib/measure';
import { orderBody } from '../lib/payloads';
import type { PointResult } from '../lib/results';
import type { Point, RunContext } from './context';

/**
 * The transaction log alone, in the benchmark's own process: each "message" is what the async
 * route writes — recordReceived, then QUEUED, PROCESSING, two captured steps and DELIVERED
 * (six writes, each awaited in turn) — with `concurrency` messages at once, against MariaDB,
 * with group commit (the default) and without it. CPU-s/1k counts MariaDB's and this process's.
 */
export async function storeWrites(ctx: RunContext, point: Point, groupCommit: boolean): Promise<PointResult> {
  const prefix = `bst_${randomBytes(4).toString('hex')}_`;
  const log = new TypeOrmTransactionLog({ url: ctx.servers.dbUrl, tablePrefix: prefix, poolSize: 20, ...(groupCommit ? {} : { groupCommit: false }) });
  await log.start();
  const body = orderBody('ST-1', point.payloadBytes);
  const latency = new LatencyRecorder();
  const one = async (): Promise<void> => {
    const message = createEnvelope({ routeId: 'store-bench', pattern: 'one-way', source: 'bench', contentType: 'application/json', body });
    const started = performance.now();
    await log.recordReceived(message);
    await log.transition(message.id, { stage: 'queued', status: 'QUEUED', attempt: 1 }, ['RECEIVED']);
    await log.transition(message.id, { stage: 'processing', status: 'PROCESSING', attempt: 1 }, ['RECEIVED', 'QUEUED']);
    await log.transition(message.id, { stage: 'step:a', status: 'PROCESSING', attempt: 1, payload: body });
    await log.transition(message.id, { stage: 'step:b', status: 'PROCESSING', attempt: 1, payload: body });
    await log.transition(message.id, { stage: 'deliver:x', status: 'DELIVERED', attempt: 1, endpoint: 'x' }, ['PROCESSING']);
    latency.record(performance.now() - started);
  };
  const runFor = async (ms: number, limit: number): Promise<number> => {
    const deadline = performance.now() + ms;
    let done = 0;
    await Promise.all(Array.from({ length: point.concurrency }, async () => {
      while (performance.now() < deadline && done < limit) {
        done += 1;
        await one();
      }
    }));
    return done;
  };
  try {
    await runFor(ctx.warmupMs, ctx.maxRequests ?? Number.POSITIVE_INFINITY);
    const stop = startCpu({ junction: () => [], backends: () => [], ...(ctx.servers.dbPid ? { dbPid: ctx.servers.dbPid } : {}) });
    const started = performance.now();
    const messages = await runFor(ctx.durationMs, ctx.maxRequests ?? Number.POSITIVE_INFINITY);
    const elapsedMs = performance.now() - started;
    const cpu = stop();
    return {
      scenario: 'store-writes', variant: groupCommit ? 'junction' : 'baseline',
      system: groupCommit ? 'transaction log, group commit (6 writes/message)' : 'transaction log, one transaction per write',
      payloadBytes: body.length, concurrency: point.concurrency, messages, errors: 0, errorSamples: [], elapsedMs,
      msgPerSec: messages / (elapsedMs / 1000), latencyMs: latency.summary(), cpuSeconds: { ...cpu, junction: cpu.loadGenerator },
      cpuPer1000: { system: per1000(cpu.loadGenerator, messages), rabbitmq: null, mariadb: per1000(cpu.mariadb, messages) },
    };
  } finally {
    await log.close();
    await dropStoreTables(ctx.servers.dbUrl, prefix).catch(() => undefined);
  }
}
