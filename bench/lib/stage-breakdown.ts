import { sampleValue } from '../../test/support/prometheus-text';

/** Sums and counts of `junction_stage_duration_seconds` and of group commits, read from a /metrics page. */
export interface StageSnapshot {
  readonly stages: Map<string, { sum: number; count: number }>;
  readonly commits: { sum: number; count: number; rows: number };
}

const STAGE = /^junction_stage_duration_seconds_(sum|count)\{route="([^"]+)",stage="([^"]+)"\} (\S+)$/;

/** Reads a /metrics page. */
export function snapshot(text: string): StageSnapshot {
  const stages = new Map<string, { sum: number; count: number }>();
  for (const line of text.split('\n')) {
    const match = STAGE.exec(line);
    if (!match) continue;
    const [, kind, route, stage, raw] = match as unknown as [string, 'sum' | 'count', string, string, string];
    const key = `${route} ${stage}`;
    const entry = stages.get(key) ?? { sum: 0, count: 0 };
    entry[kind] = Number(raw);
    stages.set(key, entry);
  }
  return {
    stages,
    commits: {
      sum: sampleValue(text, 'junction_store_commit_seconds_sum', 0),
      count: sampleValue(text, 'junction_store_commit_seconds_count', 0),
      rows: sampleValue(text, 'junction_store_write_batch_rows_sum', 0),
    },
  };
}

/** Mean time per stage (ms) and group commit figures between two snapshots of one process, as text lines. */
export function describeDelta(label: string, before: StageSnapshot | undefined, after: StageSnapshot): string[] {
  const lines: string[] = [];
  for (const [key, end] of after.stages) {
    const start = before?.stages.get(key) ?? { sum: 0, count: 0 };
    const count = end.count - start.count;
    if (count <= 0) continue;
    lines.push(`${label}  ${key.padEnd(44)} n=${String(count).padStart(6)}  mean ${(((end.sum - start.sum) / count) * 1000).toFixed(2).padStart(9)} ms`);
  }
  const commits = after.commits.count - (before?.commits.count ?? 0);
  if (commits > 0) {
    const rows = after.commits.rows - (before?.commits.rows ?? 0);
    const seconds = after.commits.sum - (before?.commits.sum ?? 0);
    lines.push(`${label}  group commits: ${commits}, ${(rows / commits).toFixed(1)} writes each, ${((seconds / commits) * 1000).toFixed(2)} ms each`);
  }
  return lines;
}
