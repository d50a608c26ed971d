import { expect } from 'chai';
import type { TransactionLog } from '../../src/core/transaction-log';

/** What a run of messages came to, counted like Jepsen's queue checker. */
export interface QueueCheck {
  /** Accepted by Junction (202), but not both applied by the backend and DELIVERED in the log, nor FAILED. */
  readonly lost: readonly string[];
  /** Applied by the backend more than once. */
  readonly duplicated: readonly string[];
  /** Applied by the backend, but never accepted (or meant to fail). */
  readonly unexpected: readonly string[];
  /** Delivered in the end after at least one failed or repeated attempt. */
  readonly recovered: number;
  /** Ended FAILED (for poison messages: expected). */
  readonly failed: readonly string[];
}

/**
 * Counts the outcome of a stream: every accepted message must be applied exactly once at the
 * backend and be DELIVERED in the log — or be FAILED and visible to an operator.
 */
export async function checkQueue(log: TransactionLog, accepted: readonly string[], applied: readonly string[]): Promise<QueueCheck> {
  const statuses = new Map<string, { status: string; retried: boolean }>();
  for (let i = 0; i < accepted.length; i += 50) {
    const batch = accepted.slice(i, i + 50);
    const records = await Promise.all(batch.map((id) => log.load(id)));
    records.forEach((record, k) => {
      if (record) statuses.set(String(batch[k]), { status: record.status, retried: record.attempts > 1 || record.stages.some((s) => s.detail === 'redelivered') });
    });
  }
  const failed = accepted.filter((id) => statuses.get(id)?.status === 'FAILED');
  const times = new Map<string, number>();
  for (const id of applied) times.set(id, (times.get(id) ?? 0) + 1);
  const acceptedSet = new Set(accepted);
  return {
    lost: accepted.filter((id) => statuses.get(id)?.status !== 'FAILED' && (!times.has(id) || statuses.get(id)?.status !== 'DELIVERED')),
    duplicated: [...times].filter(([, n]) => n > 1).map(([id]) => id),
    unexpected: [...times.keys()].filter((id) => !acceptedSet.has(id) || failed.includes(id)),
    recovered: [...statuses.values()].filter((s) => s.status === 'DELIVERED' && s.retried).length,
    failed,
  };
}

/** The promise every fault scenario must keep: nothing lost, nothing doubled, nothing unexpected. */
export function expectNothingLostOrDoubled(check: QueueCheck, expectedFailed: readonly string[] = []): void {
  expect(check.lost, 'lost').to.deep.equal([]);
  expect(check.duplicated, 'duplicated at the backend').to.deep.equal([]);
  expect(check.unexpected, 'unexpected at the backend').to.deep.equal([]);
  expect([...check.failed].sort(), 'FAILED').to.deep.equal([...expectedFailed].sort());
}
