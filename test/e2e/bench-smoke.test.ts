import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import type { BenchRun } from '../../bench/lib/results';
import { requireEnv } from '../support/env';

const run = promisify(execFile);

/**
 * `npm run bench -- --quick` so the benchmark does not rot: it must start its processes against the
 * real RabbitMQ and MariaDB, measure every scenario next to its baseline, and write well-formed
 * results. Nothing here is about speed.
 */
describe('the benchmark, smoke run (npm run bench -- --quick)', function () {
  this.timeout(240_000);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'junction-bench-'));
  let result: BenchRun;
  let stdout = '';

  before(async () => {
    requireEnv('JUNCTION_TEST_AMQP_URL');
    requireEnv('JUNCTION_TEST_DB_URL');
    const out = await run(process.execPath, ['dist/bench/main.js', '--quick', '--out', dir], { maxBuffer: 16 * 1024 * 1024 });
    stdout = out.stdout;
    result = JSON.parse(readFileSync(path.join(dir, 'results.json'), 'utf8')) as BenchRun;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('measures every scenario, Junction and its baseline, at each concurrency, without errors', () => {
    const keys = new Set(result.points.map((p) => `${p.scenario}/${p.variant}/${p.concurrency}`));
    for (const concurrency of [1, 4]) {
      for (const key of ['sync-rest-soap/junction', 'sync-rest-soap/baseline', 'async-orders/junction', 'async-orders/baseline',
        'esb-direct/junction', 'esb-cbr/junction', 'esb-xslt/junction', 'esb/baseline', 'store-writes/junction', 'store-writes/baseline']) {
        expect(keys.has(`${key}/${concurrency}`), `${key}/${concurrency}`).to.equal(true);
      }
    }
    for (const point of result.points) {
      const where = `${point.scenario} ${point.variant} c=${point.concurrency}`;
      expect(point.errors, `${where}: ${point.errorSamples.join('; ')}`).to.equal(0);
      expect(point.messages, where).to.be.greaterThan(0);
      expect(Number.isFinite(point.msgPerSec) && point.msgPerSec > 0, where).to.equal(true);
      expect(point.latencyMs.p50, where).to.be.a('number').and.satisfy(Number.isFinite);
      expect(point.latencyMs.p99, where).to.be.at.least(point.latencyMs.p50);
    }
    const junctionAsync = result.points.find((p) => p.scenario === 'async-orders' && p.variant === 'junction');
    expect(junctionAsync?.cpuPer1000.system, 'CPU of Junction\'s processes').to.be.a('number').and.above(0);
    expect(junctionAsync?.acceptLatencyMs?.count).to.be.above(0);
  });

  it('checks the targets against this run\'s baselines and writes the table and the chart', () => {
    expect(result.targets.map((t) => t.target).join('\n')).to.contain('bare amqplib').and.contain('direct call').and.contain('soak');
    const table = readFileSync(path.join(dir, 'table.txt'), 'utf8');
    expect(table.split('\n')[0]).to.match(/^scenario\s+system\s+payload\s+conc\s+msg\/s\s+p50 ms\s+p99 ms\s+CPU-s\/1k/);
    expect(stdout).to.contain(table.split('\n')[0]);
    const svg = readFileSync(path.join(dir, 'chart.svg'), 'utf8');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).to.equal(true);
    expect(svg.trim().endsWith('</svg>')).to.equal(true);
    expect(svg).to.contain('sync REST→SOAP').and.contain('async durable orders').and.contain('ESB proxies');
    expect(readFileSync(path.join(dir, 'table.md'), 'utf8')).to.match(/^\| scenario \| system \|/);
  });
});
