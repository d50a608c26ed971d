import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { startDemoStack, type DemoStack } from '../../support/demo-stack';
import { request } from '../../support/http';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../../../..');
const RULES_DIR = path.join(ROOT, 'deploy/prometheus');
const DASHBOARD = path.join(ROOT, 'deploy/grafana/junction-dashboard.json');

/** promtool from PATH, or where scripts/test-tools.sh unpacks it. */
function promtool(): string {
  const local = path.join(ROOT, '.junction/tools/prometheus/usr/bin/promtool');
  return existsSync(local) ? local : 'promtool';
}

/** The metric names PromQL expressions read (recorded series, `a:b:c`, left out; histogram suffixes dropped). */
function metricsIn(expressions: readonly string[]): Set<string> {
  const names = new Set<string>();
  for (const expr of expressions) {
    for (const match of expr.matchAll(/(?<![:\w])(?:junction|process|nodejs)_[a-z0-9_]+/g)) names.add(match[0].replace(/_(bucket|sum|count)$/, ''));
  }
  return names;
}

/** The `expr:` lines of a rules file (and the continuation lines of a folded one). */
function ruleExpressions(file: string): string[] {
  return readFileSync(file, 'utf8').split('\n').filter((line) => /^\s*expr:|^\s{10}\S/.test(line));
}

interface Panel { title: string; type: string; targets?: { expr: string }[] }

/**
 * deploy/: what a team loads into Prometheus and Grafana. promtool checks the rules' syntax and
 * runs their unit tests (junction-rules.test.yml: which alert fires when, with which words), and
 * the dashboard's queries (Grafana's variables filled in); every metric either reads is one a
 * running Junction — on RabbitMQ and MariaDB, the production path — serves, so a renamed metric
 * cannot leave an alert or a panel silently empty.
 */
describe('Prometheus rules and Grafana dashboard in deploy/', function () {
  this.timeout(120_000);
  let stack: DemoStack | undefined;
  let served: Set<string>;

  before(async () => {
    stack = await startDemoStack({ servers: 'real' });
    const page = (await request(`${stack.base}/metrics`)).text;
    served = new Set([...page.matchAll(/^# TYPE (\S+) /gm)].map((m) => String(m[1])));
  });
  after(async () => { await stack?.close(); });

  it('the rules pass promtool check rules and their unit tests', async () => {
    const check = await run(promtool(), ['check', 'rules', 'junction-rules.yml'], { cwd: RULES_DIR });
    expect(check.stdout).to.contain('SUCCESS: 15 rules found');
    const tests = await run(promtool(), ['test', 'rules', 'junction-rules.test.yml'], { cwd: RULES_DIR });
    expect(tests.stdout).to.contain('SUCCESS');
  });

  it('the rules read only metrics a running Junction serves', () => {
    const used = metricsIn(ruleExpressions(path.join(RULES_DIR, 'junction-rules.yml')));
    expect([...used]).to.include.members(['junction_broker_up', 'junction_queue_messages', 'junction_stage_duration_seconds', 'junction_messages_failed_total']);
    expect([...used].filter((name) => !served.has(name))).to.deep.equal([]);
  });

  it('every dashboard query is valid PromQL and reads only metrics a running Junction serves', async () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { uid: string; panels: Panel[] };
    expect(dashboard.uid).to.equal('junction-overview');
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    expect(exprs.length).to.be.at.least(20);
    // Grafana fills these in; any value of the right kind makes the query checkable.
    const filled = exprs.map((e) => e.replaceAll('$__rate_interval', '5m').replaceAll('$route', '.*'));
    const dir = mkdtempSync(path.join(os.tmpdir(), 'junction-dashboard-'));
    try {
      const rules = `groups:\n  - name: dashboard\n    rules:\n${filled.map((e, i) => `      - record: dashboard:query:${i}\n        expr: ${JSON.stringify(e)}\n`).join('')}`;
      writeFileSync(path.join(dir, 'queries.yml'), rules);
      const check = await run(promtool(), ['check', 'rules', 'queries.yml'], { cwd: dir });
      expect(check.stdout).to.contain(`SUCCESS: ${exprs.length} rules found`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const used = metricsIn(exprs);
    expect([...used]).to.include.members(['junction_messages_received_total', 'junction_store_commit_seconds', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_p99_seconds']);
    expect([...used].filter((name) => !served.has(name))).to.deep.equal([]);
  });
});
