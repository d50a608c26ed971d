import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import v8 from 'node:v8';
import client from 'prom-client';

/** Name of the gauge {@link registerHeapAfterGc} adds. */
export const HEAP_AFTER_GC_METRIC = 'nodejs_heap_after_major_gc_bytes';

/** True for a `gc` performance entry of a full (mark-sweep-compact) collection. */
export function isMajorGc(entry: PerformanceEntry): boolean {
  const { detail } = entry as PerformanceEntry & { readonly detail?: { readonly kind?: unknown } | null };
  return detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR;
}

/**
 * Adds `nodejs_heap_after_major_gc_bytes` to `registry`: the V8 heap in use just after the latest
 * full (mark-sweep-compact) collection — what the process really keeps. `nodejs_heap_size_used_bytes`
 * is a sawtooth (garbage piles up between collections, by a half or more under load), so a leak
 * hides in it for a long time; the level after a full collection only rises when something is kept.
 * 0 until the first full collection. Read when the observer hears of the collection, a moment
 * after it: what was allocated in between is counted too, a little.
 */
export function registerHeapAfterGc(registry: client.Registry): void {
  let bytes: number | undefined;
  const observer = new PerformanceObserver((list) => {
    if (list.getEntries().some(isMajorGc)) bytes = v8.getHeapStatistics().used_heap_size;
  });
  observer.observe({ entryTypes: ['gc'] });
  new client.Gauge({
    name: HEAP_AFTER_GC_METRIC,
    help: 'V8 heap in use right after the latest full garbage collection (bytes): rises only when memory is kept.',
    registers: [registry],
    collect() {
      if (bytes !== undefined) this.set(bytes);
    },
  });
}
