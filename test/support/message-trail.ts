import type { CapturedRequest } from '../unit/endpoints/capturing-server';
import type { MessageRecord } from '../../src/core/transaction-log';
import type { JsonLogLine } from './cli-process';

/** A process whose JSON log lines a test can read, with a name for the report. */
export interface NamedLog {
  readonly name: string;
  readonly json: () => JsonLogLine[];
}

/** The ids that occur more than once in `ids`, each once. */
export function repeatedIds(ids: readonly string[]): string[] {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) repeated.add(id);
    seen.add(id);
  }
  return [...repeated];
}

/** The ids of `expected` missing from `actual`, and those of `actual` not in `expected`. */
export function idDifference(expected: readonly string[], actual: readonly string[]): { missing: string[]; unexpected: string[] } {
  const got = new Set(actual);
  const wanted = new Set(expected);
  return { missing: [...wanted].filter((id) => !got.has(id)), unexpected: [...got].filter((id) => !wanted.has(id)) };
}

/** What the report says about one message: everything each process logged about it, what the backend saw, what the log holds. */
export interface TrailSources {
  readonly processes: readonly NamedLog[];
  readonly requests: readonly CapturedRequest[];
  /** The header naming the message at the backend. */
  readonly idHeader: string;
  /** The message as the transaction log has it now (status and stages), when it can be read. */
  readonly load?: (id: string) => Promise<MessageRecord | undefined>;
}

function stageLine(s: MessageRecord['stages'][number]): string {
  const parts = [`#${s.seq}`, s.at.toISOString(), s.stage, s.status, `attempt ${s.attempt}`];
  if (s.endpoint !== undefined) parts.push(`endpoint ${s.endpoint}`);
  if (s.detail !== undefined) parts.push(`(${s.detail})`);
  if (s.error !== undefined) parts.push(`error ${s.error.code}: ${s.error.message}`);
  return parts.join(' ');
}

/**
 * A report for the ids a delivery check found wrong (`label: id`): for each, every JSON log line
 * of every process naming it (in the order each process wrote them), the backend's requests for it
 * (their position among all requests), and its status and stages in the transaction log. Meant for
 * an assertion's message, so a failure that happens once in a hundred runs explains itself.
 */
export async function messageTrail(problems: readonly (readonly [label: string, id: string])[], sources: TrailSources): Promise<string> {
  const out: string[] = [];
  for (const [label, id] of problems) {
    out.push(`=== ${label}: ${id}`);
    for (const p of sources.processes) {
      let lines: JsonLogLine[];
      try {
        lines = p.json();
      } catch (error) {
        out.push(`  [${p.name}] log unreadable: ${String(error)}`);
        continue;
      }
      for (const line of lines.filter((l) => l.messageId === id)) out.push(`  [${p.name}] ${JSON.stringify(line)}`);
    }
    sources.requests.forEach((r, i) => {
      if (r.headers[sources.idHeader] === id) {
        out.push(`  [backend] request #${i + 1} of ${sources.requests.length}: ${r.method} ${r.path} attempt=${r.headers['x-junction-attempt'] ?? '?'} traceparent=${r.headers.traceparent ?? '-'}`);
      }
    });
    if (sources.load) {
      try {
        const record = await sources.load(id);
        if (record === undefined) out.push('  [log] not in the transaction log');
        else {
          out.push(`  [log] status ${record.status}, attempts ${record.attempts}, updated ${record.updatedAt.toISOString()}`);
          for (const s of record.stages) out.push(`  [log]   ${stageLine(s)}`);
        }
      } catch (error) {
        out.push(`  [log] unreadable: ${String(error)}`);
      }
    }
  }
  return out.join('\n');
}
