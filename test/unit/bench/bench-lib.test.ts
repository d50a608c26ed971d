import { expect } from 'chai';
import { renderChart } from '../../../bench/lib/chart';
import { LatencyRecorder } from '../../../bench/lib/latency';
import { buyStocksEnvelope, orderBody } from '../../../bench/lib/payloads';
import { areaOf } from '../../../bench/lib/profile-summary';
import type { PointResult } from '../../../bench/lib/results';
import { describeDelta, snapshot } from '../../../bench/lib/stage-breakdown';
import { checkTargets } from '../../../bench/lib/targets';

function point(scenario: string, variant: 'junction' | 'baseline', concurrency: number, msgPerSec: number, p50: number, payloadBytes = 1024): PointResult {
  return {
    scenario, variant, system: variant, payloadBytes, concurrency, messages: 100, errors: 0, errorSamples: [], elapsedMs: 1000, msgPerSec,
    latencyMs: { count: 100, p50, p90: p50, p99: p50 * 2, max: p50 * 3, mean: p50 },
    cpuSeconds: { junction: 1, baseline: 0, rabbitmq: null, mariadb: null, backends: 0, loadGenerator: 0 },
    cpuPer1000: { system: 10, rabbitmq: null, mariadb: null },
  };
}

describe('benchmark helpers', () => {
  it('percentiles are nearest-rank over the recorded samples', () => {
    const latency = new LatencyRecorder();
    for (let i = 1; i <= 100; i += 1) latency.record(i);
    expect(latency.summary()).to.deep.include({ count: 100, p50: 50, p90: 90, p99: 99, max: 100 });
    expect(new LatencyRecorder().summary().count).to.equal(0);
  });

  it('builds payloads of the asked size that the routes accept', () => {
    for (const bytes of [1024, 102_400]) {
      const body = orderBody('SO-1', bytes);
      expect(body.length).to.be.within(bytes * 0.9, bytes * 1.05);
      const order = JSON.parse(body) as { lines: unknown[] };
      expect(order.lines.length).to.be.at.most(1000);
    }
    for (const bytes of [1024, 10_240]) expect(buyStocksEnvelope(bytes).length).to.be.within(bytes * 0.85, bytes * 1.05);
  });

  it('checks the targets as ratios against the same run\'s baselines', () => {
    const targets = checkTargets([
      point('async-orders', 'baseline', 64, 1000, 2), point('async-orders', 'junction', 64, 600, 20),
      point('sync-rest-soap', 'baseline', 1, 500, 1), point('sync-rest-soap', 'junction', 1, 200, 4),
      point('sync-rest-soap', 'baseline', 64, 1000, 10), point('sync-rest-soap', 'junction', 64, 400, 100),
    ], undefined);
    expect(targets.map((t) => t.met)).to.deep.equal([true, false, false, null]);
    expect(targets[1]?.measured).to.equal('4.00 vs 1.00 ms = +3.00 ms');
  });

  it('tells Junction\'s code, packages and V8 apart in a profile', () => {
    expect(areaOf('file:///srv/junction/node_modules/@xmldom/xmldom/lib/dom.js', 'x')).to.equal('@xmldom/xmldom');
    expect(areaOf('file:///srv/junction/dist/src/store/typeorm/group-commit.js', 'x')).to.equal('junction/src/store');
    expect(areaOf('node:internal/streams/readable', 'x')).to.equal('node:internal/streams');
    expect(areaOf('', '(garbage collector)')).to.equal('(garbage collector)');
  });

  it('reads stage timings out of two /metrics pages', () => {
    const page = (sum: number, count: number): string => [
      `junction_stage_duration_seconds_sum{route="r",stage="deliver:x"} ${sum}`,
      `junction_stage_duration_seconds_count{route="r",stage="deliver:x"} ${count}`,
      'junction_store_commit_seconds_sum 0.5', 'junction_store_commit_seconds_count 10', 'junction_store_write_batch_rows_sum 40',
    ].join('\n');
    const lines = describeDelta('p', snapshot(page(1, 10)), snapshot(page(3, 20)));
    expect(lines[0]).to.match(/r deliver:x\s+n=\s+10\s+mean\s+200\.00 ms$/);
  });

  it('draws one panel per scenario and payload, log axes, as standalone SVG', () => {
    const svg = renderChart([point('async-orders', 'junction', 1, 50, 10), point('async-orders', 'junction', 64, 500, 100), point('async-orders', 'baseline', 1, 400, 0.5)], 'sub & title');
    expect(svg).to.match(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg).to.contain('async durable orders, 1 KB').and.contain('sub &#38; title').and.contain('stroke-dasharray');
    expect((svg.match(/<circle/g) ?? []).length).to.equal(3);
  });
});
