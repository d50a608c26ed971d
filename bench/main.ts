/**
 * `npm run bench`: Junction against its baselines on real RabbitMQ and MariaDB, in one run, one
 * table. See docs/performance.md for the method and the latest numbers.
 *
 *   npm run bench                        default: every scenario, concurrency 1/16/64/256 (≈ 10 min)
 *   npm run bench -- --full              concurrency 1/4/16/64/128/256 everywhere, longer points
 *   npm run bench -- --soak 10           and a 10-minute memory soak
 *   npm run bench -- --quick             a smoke run with tiny counts (the test suite runs it)
 *   npm run bench -- --scenarios sync,async --concurrency 1,64 --payloads 1024 --duration 10 --warmup 3
 *   npm run bench -- --profile           Junction's processes write V8 CPU profiles (see the summary)
 *   npm run bench -- --topology all      Junction as one process (default: a gateway and a worker)
 *
 * Results: bench/results/<time>/results.json, table.txt, chart.svg, logs (git-ignored).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { renderChart } from './lib/chart';
import { machineLoad } from './lib/proc-stats';
import { summariseProfiles } from './lib/profile-summary';
import type { BenchRun, PointResult, SoakResult } from './lib/results';
import { ensureServers } from './lib/services';
import { Stack, type Topology } from './lib/stack';
import { renderMarkdownTable, renderTable, renderTargets } from './lib/table';
import { checkTargets } from './lib/targets';
import { asyncBareAmqp, asyncThroughJunction } from './scenarios/async';
import type { Point, RunContext } from './scenarios/context';
import { esbDirect, esbThroughJunction, syncDirect, syncThroughJunction } from './scenarios/request-reply';
import { soak } from './scenarios/soak';
import { storeWrites } from './scenarios/store';

/** What a run measures. */
interface Plan {
  readonly mode: 'quick' | 'default' | 'full';
  readonly scenarios: ReadonlySet<string>;
  readonly concurrency: readonly number[];
  readonly esbConcurrency: readonly number[];
  readonly asyncPayloads: readonly number[];
  readonly esbPayloads: readonly number[];
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly maxRequests?: number;
  readonly soakMinutes?: number;
  readonly soakConcurrency: number;
  readonly topology: Topology;
  readonly profile: boolean;
  readonly outDir: string;
}

const ALL_SCENARIOS = ['sync', 'async', 'esb', 'store'];

function numbers(text: string | undefined): number[] | undefined {
  return text === undefined ? undefined : text.split(',').map((v) => Number(v.trim())).filter((n) => Number.isInteger(n) && n > 0);
}

function plan(argv: readonly string[], repo: string): Plan {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false }, full: { type: 'boolean', default: false },
      soak: { type: 'string' }, 'soak-concurrency': { type: 'string', default: '8' },
      scenarios: { type: 'string' }, concurrency: { type: 'string' }, duration: { type: 'string' }, warmup: { type: 'string' },
      topology: { type: 'string', default: 'split' }, profile: { type: 'boolean', default: false }, out: { type: 'string' },
      payloads: { type: 'string' },
    },
  });
  const mode = values.quick ? 'quick' : values.full ? 'full' : 'default';
  const concurrency = numbers(values.concurrency) ?? { quick: [1, 4], default: [1, 16, 64, 256], full: [1, 4, 16, 64, 128, 256] }[mode];
  const topology = values.topology === 'all' ? 'all' : 'split';
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return {
    mode,
    scenarios: new Set(values.scenarios?.split(',').map((s) => s.trim()) ?? ALL_SCENARIOS),
    concurrency,
    esbConcurrency: numbers(values.concurrency) ?? { quick: [1, 4], default: [1, 64], full: concurrency }[mode],
    asyncPayloads: numbers(values.payloads) ?? (mode === 'quick' ? [1024] : [1024, 102_400]),
    esbPayloads: numbers(values.payloads) ?? (mode === 'quick' ? [1024] : [1024, 10_240]),
    warmupMs: values.warmup !== undefined ? Number(values.warmup) * 1000 : { quick: 300, default: 2000, full: 3000 }[mode],
    durationMs: values.duration !== undefined ? Number(values.duration) * 1000 : { quick: 1500, default: 6000, full: 10_000 }[mode],
    ...(mode === 'quick' ? { maxRequests: 24 } : {}),
    ...(values.soak !== undefined ? { soakMinutes: Number(values.soak) } : {}),
    soakConcurrency: Number(values['soak-concurrency']),
    topology,
    profile: values.profile,
    outDir: path.resolve(values.out ?? path.join(repo, 'bench', 'results', stamp)),
  };
}

/** Runs every point of the plan, baselines next to Junction, printing each as it is measured. */
async function measureAll(ctx: RunContext, p: Plan): Promise<PointResult[]> {
  const results: PointResult[] = [];
  const run = async (name: string, work: () => Promise<PointResult>): Promise<void> => {
    const result = await work();
    results.push(result);
    if (result.variant === 'junction') await ctx.stack.saveMetrics(ctx.outDir, `${result.scenario}-${result.payloadBytes}-${result.concurrency}`);
    ctx.log(`${name}: ${result.msgPerSec.toFixed(0)} msg/s, p50 ${result.latencyMs.p50.toFixed(2)} ms, p99 ${result.latencyMs.p99.toFixed(2)} ms, errors ${result.errors}`);
  };
  for (const concurrency of p.scenarios.has('sync') ? p.concurrency : []) {
    const point: Point = { concurrency, payloadBytes: 0 };
    await run(`sync direct c=${concurrency}`, () => syncDirect(ctx, point));
    await run(`sync Junction c=${concurrency}`, () => syncThroughJunction(ctx, point));
  }
  for (const payloadBytes of p.scenarios.has('async') ? p.asyncPayloads : []) {
    for (const concurrency of p.concurrency) {
      const point: Point = { concurrency, payloadBytes };
      await run(`async bare amqplib ${payloadBytes} B c=${concurrency}`, () => asyncBareAmqp(ctx, point));
      await run(`async Junction ${payloadBytes} B c=${concurrency}`, () => asyncThroughJunction(ctx, point));
    }
  }
  for (const concurrency of p.scenarios.has('store') ? p.concurrency : []) {
    const point: Point = { concurrency, payloadBytes: 1024 };
    await run(`store one transaction per write c=${concurrency}`, () => storeWrites(ctx, point, false));
    await run(`store group commit c=${concurrency}`, () => storeWrites(ctx, point, true));
  }
  for (const payloadBytes of p.scenarios.has('esb') ? p.esbPayloads : []) {
    for (const concurrency of p.esbConcurrency) {
      const point: Point = { concurrency, payloadBytes };
      await run(`esb backend direct ${payloadBytes} B c=${concurrency}`, () => esbDirect(ctx, point));
      for (const proxy of ['direct', 'cbr', 'xslt'] as const) {
        await run(`esb ${proxy} ${payloadBytes} B c=${concurrency}`, () => esbThroughJunction(ctx, point, proxy));
      }
    }
  }
  return results;
}

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<BenchRun> {
  const repo = path.resolve(__dirname, '..', '..');
  const p = plan(argv, repo);
  mkdirSync(p.outDir, { recursive: true });
  const log = (line: string): void => { process.stderr.write(`[bench] ${line}\n`); };
  const startedAt = new Date();
  const loadBefore = machineLoad();
  log(`mode ${p.mode}, topology ${p.topology}, results in ${p.outDir}; load average ${loadBefore.loadAverage1m} on ${loadBefore.cpus} CPUs`);
  const servers = ensureServers(repo, log);
  let stack: Stack | undefined;
  try {
    stack = await Stack.start({ repo, servers, topology: p.topology, outDir: p.outDir, profile: p.profile });
    const ctx: RunContext = {
      repo, servers, stack, outDir: p.outDir, warmupMs: p.warmupMs, durationMs: p.durationMs, log,
      ...(p.maxRequests ? { maxRequests: p.maxRequests } : {}),
    };
    const points = await measureAll(ctx, p);
    let soakResult: SoakResult | undefined;
    if (p.soakMinutes !== undefined) {
      log(`soak: ${p.soakMinutes} min at concurrency ${p.soakConcurrency}`);
      soakResult = await soak(ctx, p.soakMinutes, p.soakConcurrency, p.mode === 'quick' ? 1000 : 5_000);
    }
    await stack.stop();
    stack = undefined;
    const loadAfter = machineLoad();
    const run: BenchRun = {
      startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), mode: p.mode,
      machine: { cpus: loadBefore.cpus, loadAverageBefore: loadBefore.loadAverage1m, loadAverageAfter: loadAfter.loadAverage1m, node: process.version },
      topology: p.topology, settings: { warmupMs: p.warmupMs, durationMs: p.durationMs, concurrency: p.concurrency },
      points, targets: checkTargets(points, soakResult), ...(soakResult ? { soak: soakResult } : {}),
    };
    const subtitle = `${run.startedAt.slice(0, 16)} UTC, ${os.cpus().length} CPUs, Node ${process.version}, load ${loadBefore.loadAverage1m}→${loadAfter.loadAverage1m}, Junction as ${p.topology === 'split' ? 'a gateway and a worker process' : 'one process'}`;
    writeFileSync(path.join(p.outDir, 'results.json'), `${JSON.stringify(run, null, 2)}\n`);
    writeFileSync(path.join(p.outDir, 'chart.svg'), renderChart(points, subtitle));
    const table = renderTable(points);
    writeFileSync(path.join(p.outDir, 'table.txt'), `${table}\n\n${renderTargets(run)}\n`);
    writeFileSync(path.join(p.outDir, 'table.md'), `${renderMarkdownTable(points)}\n`);
    if (p.profile) {
      const summary = summariseProfiles(path.join(p.outDir, 'profiles'));
      writeFileSync(path.join(p.outDir, 'profile.txt'), summary);
      process.stdout.write(`\n${summary}\n`);
    }
    process.stdout.write(`\n${table}\n\nTargets (ratios against this run's baselines):\n${renderTargets(run)}\n\nResults: ${p.outDir}\n`);
    return run;
  } finally {
    await stack?.stop().catch(() => undefined);
    servers.stop();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`[bench] failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    process.exit(1);
  });
}
