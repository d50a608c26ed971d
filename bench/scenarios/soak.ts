import { setTimeout as sleep } from 'node:timers/promises';
import { sampleValue } from '../../test/support/prometheus-text';
import { runClosedLoop } from '../lib/http-load';
import { orderBody } from '../lib/payloads';
import { residentBytes } from '../lib/proc-stats';
import type { SoakResult } from '../lib/results';
import type { RunContext } from './context';

function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

/**
 * The heap after the latest full collection, summed over Junction's processes; NaN while a process
 * has not had one yet (its gauge reads 0) or a page could not be read.
 */
function heapAfterGc(texts: readonly string[], processes: number): number {
  const values = texts.map((t) => sampleValue(t, 'nodejs_heap_after_major_gc_bytes', 0));
  return values.length < processes || values.some((v) => v <= 0) ? Number.NaN : values.reduce((a, b) => a + b, 0);
}

/**
 * A steady asynchronous load (1 KB orders, `concurrency` clients) for `minutes`, sampling the
 * resident memory (/proc) and V8 heap (/metrics) of Junction's processes every `everyMs`. Memory is
 * "flat" when the mean of the last fifth of the samples is within 10 % of the first fifth's, not
 * counting the first minute (JIT, pools and caches filling up). The heap is judged on what each
 * process kept after its latest full collection (`nodejs_heap_after_major_gc_bytes`): the heap in
 * use swings by half or more between collections, so the mean of a dozen samples of it moves by
 * about 10 % from one fifth to the next with nothing kept at all; the heap in use is recorded too.
 */
export async function soak(ctx: RunContext, minutes: number, concurrency: number, everyMs = 5_000): Promise<SoakResult> {
  const durationMs = minutes * 60_000;
  const samples: { atSeconds: number; rssBytes: number; heapUsedBytes: number; heapAfterGcBytes: number }[] = [];
  const started = Date.now();
  let running = true;
  const sampler = (async () => {
    while (running) {
      await sleep(Math.min(everyMs, Math.max(0, started + durationMs - Date.now())));
      const texts = await ctx.stack.metricsTexts().catch(() => [] as string[]);
      samples.push({
        atSeconds: (Date.now() - started) / 1000,
        rssBytes: ctx.stack.junctionPids.reduce((sum, pid) => sum + (residentBytes(pid) ?? 0), 0),
        heapUsedBytes: texts.reduce((sum, t) => sum + sampleValue(t, 'nodejs_heap_size_used_bytes', 0), 0),
        heapAfterGcBytes: heapAfterGc(texts, ctx.stack.junctionPids.length),
      });
      await fetch(`${ctx.stack.backendUrl}/_arrivals`).then((r) => r.arrayBuffer()).catch(() => undefined); // keep the backend small
      ctx.log(`soak: ${Math.round((Date.now() - started) / 1000)} s, RSS ${(samples[samples.length - 1]!.rssBytes / 2 ** 20).toFixed(0)} MiB, `
        + `heap after full GC ${texts.map((t) => (sampleValue(t, 'nodejs_heap_after_major_gc_bytes', 0) / 2 ** 20).toFixed(0)).join(' + ')} MiB`);
    }
  })();
  const result = await runClosedLoop({
    origin: ctx.stack.junctionUrl, concurrency, durationMs, expectStatus: 202,
    request: (i) => ({ method: 'POST', path: '/api/v1/orders', headers: { 'content-type': 'application/json' }, body: orderBody(`SOAK-${i}`, 1024) }),
  });
  running = false;
  await sampler;
  const settled = samples.filter((s) => s.atSeconds >= Math.min(60, durationMs / 5000));
  const fifth = Math.max(1, Math.floor(settled.length / 5));
  const first = settled.slice(0, fifth);
  const last = settled.slice(-fifth);
  const rssFirst = mean(first.map((s) => s.rssBytes));
  const rssLast = mean(last.map((s) => s.rssBytes));
  const kept = settled.filter((s) => !Number.isNaN(s.heapAfterGcBytes));
  const keptFifth = Math.max(1, Math.floor(kept.length / 5));
  const heapFirst = mean(kept.slice(0, keptFifth).map((s) => s.heapAfterGcBytes));
  const heapLast = mean(kept.slice(-keptFifth).map((s) => s.heapAfterGcBytes));
  const heapUsedFirst = mean(first.map((s) => s.heapUsedBytes));
  const heapUsedLast = mean(last.map((s) => s.heapUsedBytes));
  return {
    minutes, concurrency, messages: result.completed, msgPerSec: result.completed / (result.elapsedMs / 1000), samples,
    rssFirstBytes: rssFirst, rssLastBytes: rssLast, heapFirstBytes: heapFirst, heapLastBytes: heapLast,
    heapUsedFirstBytes: heapUsedFirst, heapUsedLastBytes: heapUsedLast,
    rssGrowthPercent: ((rssLast - rssFirst) / rssFirst) * 100, heapGrowthPercent: ((heapLast - heapFirst) / heapFirst) * 100,
  };
}
