import { expect } from 'chai';
import { PerformanceObserver } from 'node:perf_hooks';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import client from 'prom-client';
import { HEAP_AFTER_GC_METRIC, isMajorGc, registerHeapAfterGc } from '../../../src/observability/heap-after-gc';
import { PrometheusMetrics } from '../../../src/observability/prometheus-metrics';
import { sampleValue } from '../../support/prometheus-text';

/** A full collection on demand (the flag set at runtime, `gc` taken from a fresh context). */
function fullGc(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/**
 * Collects fully, waits until observers have heard of it, and reads the gauge. Node hands `gc`
 * entries to observers from a native callback that does not wake an idle event loop, so the wait
 * keeps the loop turning.
 */
async function afterGc(registry: client.Registry, gc: () => void): Promise<number> {
  let heard = false;
  const observer = new PerformanceObserver((list) => {
    if (list.getEntries().some(isMajorGc)) heard = true;
  });
  observer.observe({ entryTypes: ['gc'] });
  gc();
  for (let waited = 0; !heard; waited += 5) {
    if (waited > 10_000) throw new Error('no observer heard of the full collection');
    await sleep(5);
  }
  observer.disconnect();
  await nextTurn();
  const value = sampleValue(await registry.metrics(), HEAP_AFTER_GC_METRIC);
  if (value === undefined) throw new Error('no value after a full collection');
  return value;
}

describe('Heap after the latest full collection (nodejs_heap_after_major_gc_bytes)', () => {
  it('follows what the process keeps, not the garbage between collections', async () => {
    const gc = fullGc();
    const registry = new client.Registry();
    registerHeapAfterGc(registry);
    const before = await afterGc(registry, gc);
    // Between collections the heap grows with what is allocated; the gauge stays at the last level.
    // (Tried again should V8 start a full collection of its own meanwhile.)
    for (let tries = 1; ; tries += 1) {
      let own = false;
      const watcher = new PerformanceObserver((list) => { if (list.getEntries().some(isMajorGc)) own = true; });
      watcher.observe({ entryTypes: ['gc'] });
      const pile = Array.from({ length: 500 }, (_, i) => new Array<number>(1000).fill(i + 0.25)); // 4 MB in small pieces: no full collection
      const grown = process.memoryUsage().heapUsed - before;
      const scraped = sampleValue(await registry.metrics(), HEAP_AFTER_GC_METRIC);
      await sleep(20);
      watcher.disconnect();
      if (own && tries < 3) continue;
      expect(pile.length).to.equal(500);
      expect(grown).to.be.greaterThan(3 * 2 ** 20);
      expect(scraped).to.equal(before);
      break;
    }
    // 40 MB kept alive: the level after a full collection rises by about that much.
    let kept: number[][] | undefined = Array.from({ length: 5 }, (_, i) => new Array<number>(1_000_000).fill(i + 0.5));
    const holding = await afterGc(registry, gc);
    expect(kept.length).to.equal(5);
    expect(holding - before).to.be.greaterThan(30 * 2 ** 20);
    // Dropped: the next full collection gives it back, and so does the gauge.
    kept = undefined;
    const released = await afterGc(registry, gc);
    expect(holding - released).to.be.greaterThan(30 * 2 ** 20);
  });

  it('is served with the process metrics on /metrics', async () => {
    await afterGc(new client.Registry(), fullGc()).catch(() => undefined); // a full collection has happened and been heard
    const text = await new PrometheusMetrics().render();
    expect(text).to.match(new RegExp(`^${HEAP_AFTER_GC_METRIC} \\d+`, 'm'));
    expect(text).to.contain(`# HELP ${HEAP_AFTER_GC_METRIC} V8 heap in use right after the latest full garbage collection`);
  });
});
