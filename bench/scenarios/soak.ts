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
 * A steady asynchronous load (1 KB orders, `concurrency` clients) for `minutes`, sampling the
 * resident memory (/proc) and V8 heap (/metrics) of Junction's processes every `everyMs`. Memory is
 * "flat" when the mean of the last fifth of the samples is within 10 % of the first fifth's, not
 * counting the first minute (JIT, pools and caches filling up).
 */
export async function soak(ctx: RunContext, minutes: number, concurrency: number, everyMs = 10_000): Promise<SoakResult> {
  const durationMs = minutes * 60_000;
  const samples: { atSeconds: number; rssBytes: number; heapUsedBytes: number }[] = [];
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
      });
      await fetch(`${ctx.stack.backendUrl}/_arrivals`).then((r) => r.arrayBuffer()).catch(() => undefined); // keep the backend small
      ctx.log(`soak: ${Math.round((Date.now() - started) / 1000)} s, RSS ${(samples[samples.length - 1]!.rssBytes / 2 ** 20).toFixed(0)} MiB`);
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
  const heapFirst = mean(first.map((s) => s.heapUsedBytes));
  const heapLast = mean(last.map((s) => s.heapUsedBytes));
  return {
    minutes, concurrency, messages: result.completed, msgPerSec: result.completed / (result.elapsedMs / 1000), samples,
    rssFirstBytes: rssFirst, rssLastBytes: rssLast, heapFirstBytes: heapFirst, heapLastBytes: heapLast,
    rssGrowthPercent: ((rssLast - rssFirst) / rssFirst) * 100, heapGrowthPercent: ((heapLast - heapFirst) / heapFirst) * 100,
  };
}
