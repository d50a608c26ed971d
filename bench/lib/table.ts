import type { BenchRun, PointResult } from './results';

function fixed(value: number | null | undefined, digits: number): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits);
}

function size(bytes: number): string {
  return bytes >= 1024 ? `${Math.round(bytes / 1024)} KB` : `${bytes} B`;
}

const COLUMNS = ['scenario', 'system', 'payload', 'conc', 'msg/s', 'p50 ms', 'p99 ms', 'CPU-s/1k', 'RabbitMQ', 'MariaDB', 'errors'] as const;

/** One row of the table. */
function row(point: PointResult): string[] {
  return [
    point.scenario, point.system, size(point.payloadBytes), String(point.concurrency), fixed(point.msgPerSec, 0),
    fixed(point.latencyMs.p50, 2), fixed(point.latencyMs.p99, 2), fixed(point.cpuPer1000.system, 2),
    fixed(point.cpuPer1000.rabbitmq, 2), fixed(point.cpuPer1000.mariadb, 2), String(point.errors),
  ];
}

/**
 * The run as one plain-text table, baselines next to Junction: msg/s, p50 and p99 latency (ms),
 * and CPU-seconds per 1,000 messages of Junction's own processes (the baseline's own process for
 * bare amqplib), of RabbitMQ and of MariaDB.
 */
export function renderTable(points: readonly PointResult[]): string {
  const rows = points.map(row);
  const widths = COLUMNS.map((c, i) => Math.max(c.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = (i: number): boolean => i >= 2;
  const line = (cells: readonly string[]): string => cells.map((cell, i) => (numeric(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ');
  return [line(COLUMNS), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The same table in Markdown, for docs/performance.md. */
export function renderMarkdownTable(points: readonly PointResult[]): string {
  const header = `| ${COLUMNS.join(' | ')} |`;
  const rule = `| ${COLUMNS.map((_, i) => (i >= 2 ? '---:' : '---')).join(' | ')} |`;
  return [header, rule, ...points.map((p) => `| ${row(p).join(' | ')} |`)].join('\n');
}

/** The targets, one per line. */
export function renderTargets(run: BenchRun): string {
  return run.targets.map((t) => `${t.met === null ? '  ?' : t.met ? ' ok' : 'MISS'}  ${t.target}: ${t.measured}`).join('\n');
}
