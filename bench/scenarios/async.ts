import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BareAmqpResult } from '../backends/bare-amqp';
import type { Arrival } from '../backends/backend-server';
import { runClosedLoop } from '../lib/http-load';
import { LatencyRecorder } from '../lib/latency';
import { per1000, startCpu } from '../lib/measure';
import { orderBody } from '../lib/payloads';
import type { PointResult } from '../lib/results';
import type { Point, RunContext } from './context';

async function sunk(ctx: RunContext): Promise<number> {
  return ((await (await fetch(`${ctx.stack.backendUrl}/_stats`)).json()) as { sunk: number }).sunk;
}

async function takeArrivals(ctx: RunContext): Promise<Arrival[]> {
  return (await (await fetch(`${ctx.stack.backendUrl}/_arrivals`)).json()) as Arrival[];
}

/** Waits until the backend has received `count` messages in all; false if it did not within `timeoutMs`. */
async function drained(ctx: RunContext, count: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await sunk(ctx)) >= count) return true;
    await sleep(10);
  }
  return false;
}

/**
 * Async durable orders through Junction: `POST /api/v1/orders` (schema-checked, recorded, published
 * with confirm: 202) → bus → worker (map, json-to-xml, every step captured in the log) → the
 * backend's sink. Measured from the first send of the measured span to the last message's arrival
 * at the backend, after the warm-up's messages have all arrived.
 */
export async function asyncThroughJunction(ctx: RunContext, point: Point): Promise<PointResult> {
  const tag = randomBytes(3).toString('hex');
  const body = (i: number): string => orderBody(`BO-${tag}-${i}`, point.payloadBytes);
  const payloadBytes = body(0).length;
  const sentAt = new Map<string, number>();
  let accepted = 0;
  const loop = { origin: ctx.stack.junctionUrl, concurrency: point.concurrency, expectStatus: 202 };
  const request = (i: number) => ({ method: 'POST' as const, path: '/api/v1/orders', headers: { 'content-type': 'application/json' }, body: body(i) });
  const before = await sunk(ctx);
  await runClosedLoop({ ...loop, durationMs: ctx.warmupMs, request, onAnswer: () => { accepted += 1; }, ...(ctx.maxRequests ? { maxRequests: Math.ceil(ctx.maxRequests / 3) } : {}) });
  if (!(await drained(ctx, before + accepted, 120_000))) ctx.log('warning: the warm-up\'s messages did not all arrive within 120 s');
  await takeArrivals(ctx);
  const baseline = await sunk(ctx);
  const stop = startCpu({
    junction: () => ctx.stack.junctionPids, backends: () => ctx.stack.backendPids,
    ...(ctx.servers.rabbitPid ? { rabbitPid: ctx.servers.rabbitPid } : {}), ...(ctx.servers.dbPid ? { dbPid: ctx.servers.dbPid } : {}),
  });
  const startedAt = performance.timeOrigin + performance.now();
  const result = await runClosedLoop({
    ...loop, durationMs: ctx.durationMs, request: (i) => request(i + 1_000_000),
    onAnswer: (headers, _body, at) => { sentAt.set(String(headers['x-junction-message-id']), at); },
    ...(ctx.maxRequests ? { maxRequests: ctx.maxRequests } : {}),
  });
  const complete = await drained(ctx, baseline + sentAt.size, 300_000);
  const cpu = stop();
  const arrivals = (await takeArrivals(ctx)).filter((a) => sentAt.has(a.id));
  const latency = new LatencyRecorder();
  const seen = new Set<string>();
  let last = startedAt;
  for (const arrival of arrivals) {
    if (seen.has(arrival.id)) continue; // a redelivery after a failure: counted once
    seen.add(arrival.id);
    latency.record(arrival.at - (sentAt.get(arrival.id) ?? arrival.at));
    last = Math.max(last, arrival.at);
  }
  const messages = seen.size;
  const elapsedMs = last - startedAt;
  const lost = sentAt.size - messages;
  return {
    scenario: 'async-orders', variant: 'junction', system: 'Junction: POST /orders → log + bus → map, xml → backend',
    payloadBytes, concurrency: point.concurrency, messages, errors: result.errors + lost,
    errorSamples: [...result.errorSamples, ...(complete ? [] : [`${lost} accepted messages had not arrived after 300 s`])],
    elapsedMs, msgPerSec: messages / (elapsedMs / 1000), latencyMs: latency.summary(), acceptLatencyMs: result.latency.summary(),
    cpuSeconds: cpu,
    cpuPer1000: { system: per1000(cpu.junction, messages), rabbitmq: per1000(cpu.rabbitmq, messages), mariadb: per1000(cpu.mariadb, messages) },
  };
}

/**
 * The baseline: bench/backends/bare-amqp.ts in a process of its own — persistent messages of the
 * same size, publish with confirms, `concurrency` publishes in flight, one consumer acking each.
 * Its CPU is its own process's over the measured span; RabbitMQ's is counted between the markers
 * it prints.
 */
export async function asyncBareAmqp(ctx: RunContext, point: Point): Promise<PointResult> {
  const out = path.join(ctx.outDir, `bare-amqp-${point.concurrency}-${point.payloadBytes}.json`);
  const args = [
    path.join(ctx.repo, 'dist', 'bench', 'backends', 'bare-amqp.js'), '--url', ctx.servers.amqpUrl,
    '--queue', `bench-bare-${randomBytes(4).toString('hex')}`, '--concurrency', String(point.concurrency), '--bytes', String(point.payloadBytes),
    '--warmup-ms', String(ctx.warmupMs), '--duration-ms', String(ctx.durationMs), '--out', out,
    ...(ctx.maxRequests ? ['--max', String(ctx.maxRequests)] : []),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let stop: (() => ReturnType<ReturnType<typeof startCpu>>) | undefined;
  let cpu: ReturnType<ReturnType<typeof startCpu>> | undefined;
  child.stdout.on('data', (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    if (text.includes('MEASURE-START')) {
      stop = startCpu({
        junction: () => [], backends: () => [], ...(ctx.servers.rabbitPid ? { rabbitPid: ctx.servers.rabbitPid } : {}),
        ...(ctx.servers.dbPid ? { dbPid: ctx.servers.dbPid } : {}),
      });
    }
    if (text.includes('MEASURE-END') && stop) cpu = stop();
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`bare-amqp exited with ${String(code)}`);
  const result = JSON.parse(readFileSync(out, 'utf8')) as BareAmqpResult;
  const used = cpu ?? { junction: 0, baseline: 0, rabbitmq: null, mariadb: null, backends: 0, loadGenerator: 0 };
  const cpuSeconds = { ...used, baseline: result.cpuSeconds };
  return {
    scenario: 'async-orders', variant: 'baseline', system: 'bare amqplib: publish with confirms / consume, persistent',
    payloadBytes: point.payloadBytes, concurrency: point.concurrency, messages: result.measured, errors: 0, errorSamples: [],
    elapsedMs: result.elapsedMs, msgPerSec: result.measured / (result.elapsedMs / 1000), latencyMs: result.latency, cpuSeconds,
    cpuPer1000: { system: per1000(result.cpuSeconds, result.measured), rabbitmq: per1000(cpuSeconds.rabbitmq, result.measured), mariadb: null },
  };
}
