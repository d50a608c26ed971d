import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { startDemoStack, type DemoStack } from '../../support/demo-stack';
import { request } from '../../support/http';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../../../..');
const RULES_DIR = path.join(ROOT, 'deploy/prometheus');

/** promtool from PATH, or where scripts/test-tools.sh unpacks it. */
function promtool(): string {
  const local = path.join(ROOT, '.junction/tools/prometheus/usr/bin/promtool');
  return existsSync(local) ? local : 'promtool';
}

/** The metric names a rule expression reads (recorded series, `a:b:c`, left out; histogram suffixes dropped). */
function metricsIn(rules: string): Set<string> {
  const names = new Set<string>();
  for (const line of rules.split('\n')) {
    if (!/^\s*expr:|^\s{10}\S/.test(line)) continue;
    for (const match of line.matchAll(/(?<![:\w])junction_[a-z0-9_]+/g)) names.add(match[0].replace(/_(bucket|sum|count)$/, ''));
  }
  return names;
}

/**
 * deploy/prometheus: the recording and alerting rules a team loads into Prometheus. promtool checks
 * their syntax and runs their unit tests (junction-rules.test.yml: which alert fires when, with
 * which words); and every metric they read is one a running Junction — on RabbitMQ and MariaDB,
 * the production path — serves, so a renamed metric cannot leave an alert silently dead.
 */
describe('Prometheus rules in deploy/prometheus', function () {
  this.timeout(120_000);
  let stack: DemoStack | undefined;
  after(async () => { await stack?.close(); });

  it('pass promtool check rules and the rules\' unit tests', async () => {
    const check = await run(promtool(), ['check', 'rules', 'junction-rules.yml'], { cwd: RULES_DIR });
    expect(check.stdout).to.contain('SUCCESS: 14 rules found');
    const tests = await run(promtool(), ['test', 'rules', 'junction-rules.test.yml'], { cwd: RULES_DIR });
    expect(tests.stdout).to.contain('SUCCESS');
  });

  it('read only metrics a running Junction serves', async () => {
    const used = metricsIn(readFileSync(path.join(RULES_DIR, 'junction-rules.yml'), 'utf8'));
    expect([...used]).to.include.members(['junction_broker_up', 'junction_queue_messages', 'junction_stage_duration_seconds', 'junction_messages_failed_total']);
    stack = await startDemoStack({ servers: 'real' });
    const page = (await request(`${stack.base}/metrics`)).text;
    const served = new Set([...page.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
    expect([...used].filter((name) => !served.has(name))).to.deep.equal([]);
  });
});
