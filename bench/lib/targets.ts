import type { PointResult, SoakResult, TargetCheck } from './results';

function find(points: readonly PointResult[], scenario: string, variant: string, concurrency: number, payloadBytes?: number): PointResult | undefined {
  return points.find((p) => p.scenario === scenario && p.variant === variant && p.concurrency === concurrency
    && (payloadBytes === undefined || Math.abs(p.payloadBytes - payloadBytes) / payloadBytes < 0.2));
}

const pct = (x: number): string => `${(x * 100).toFixed(0)} %`;
const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(0);

/**
 * The targets, checked on this run's numbers (ratios against baselines of the same run):
 * async durable end-to-end ≥ 50 % of bare amqplib at the same concurrency and payload; the sync
 * path ≤ 2 ms over the direct call at p50 (concurrency 1) and ≥ 50 % of its throughput at 64;
 * memory flat over the soak (mean RSS and heap of the last fifth within 10 % of the first fifth).
 */
export function checkTargets(points: readonly PointResult[], soak: SoakResult | undefined): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const asyncJunction = points.filter((p) => p.scenario === 'async-orders' && p.variant === 'junction');
  for (const junction of asyncJunction) {
    const bare = points.find((p) => p.scenario === 'async-orders' && p.variant === 'baseline' && p.concurrency === junction.concurrency
      && Math.abs(p.payloadBytes - junction.payloadBytes) / junction.payloadBytes < 0.2);
    if (!bare || bare.msgPerSec === 0) continue;
    const ratio = junction.msgPerSec / bare.msgPerSec;
    checks.push({
      target: `async durable end-to-end ≥ 50 % of bare amqplib (${Math.round(junction.payloadBytes / 1024)} KB, concurrency ${junction.concurrency})`,
      measured: `${junction.msgPerSec.toFixed(0)} vs ${bare.msgPerSec.toFixed(0)} msg/s = ${pct(ratio)}`, met: ratio >= 0.5,
    });
  }
  const sync1 = find(points, 'sync-rest-soap', 'junction', 1);
  const direct1 = find(points, 'sync-rest-soap', 'baseline', 1);
  if (sync1 && direct1) {
    const added = sync1.latencyMs.p50 - direct1.latencyMs.p50;
    checks.push({
      target: 'sync REST→SOAP adds ≤ 2 ms at p50 over the direct call (concurrency 1)',
      measured: `${sync1.latencyMs.p50.toFixed(2)} vs ${direct1.latencyMs.p50.toFixed(2)} ms = +${added.toFixed(2)} ms`, met: added <= 2,
    });
  }
  const sync64 = find(points, 'sync-rest-soap', 'junction', 64);
  const direct64 = find(points, 'sync-rest-soap', 'baseline', 64);
  if (sync64 && direct64 && direct64.msgPerSec > 0) {
    const ratio = sync64.msgPerSec / direct64.msgPerSec;
    checks.push({
      target: 'sync REST→SOAP reaches ≥ 50 % of direct throughput (concurrency 64)',
      measured: `${sync64.msgPerSec.toFixed(0)} vs ${direct64.msgPerSec.toFixed(0)} msg/s = ${pct(ratio)}`, met: ratio >= 0.5,
    });
  }
  if (soak) {
    checks.push({
      target: `memory flat over a ${soak.minutes}-minute soak (last fifth within 10 % of the first: RSS, and heap after full collections)`,
      measured: `RSS ${mib(soak.rssFirstBytes)} → ${mib(soak.rssLastBytes)} MiB (${soak.rssGrowthPercent.toFixed(1)} %), `
        + `heap after full GC ${mib(soak.heapFirstBytes)} → ${mib(soak.heapLastBytes)} MiB (${soak.heapGrowthPercent.toFixed(1)} %); `
        + `heap in use ${mib(soak.heapUsedFirstBytes)} → ${mib(soak.heapUsedLastBytes)} MiB`,
      met: soak.rssGrowthPercent <= 10 && soak.heapGrowthPercent <= 10,
    });
  } else {
    checks.push({ target: 'memory flat over a 10-minute soak', measured: 'not run (npm run bench -- --soak 10)', met: null });
  }
  return checks;
}
