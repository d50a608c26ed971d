import { expect } from 'chai';
import type { MessageStatus } from '../../src/core/message-status';
import type { TransactionLog } from '../../src/core/transaction-log';

/** Statuses a message may not be left in once a stream has settled: neither DELIVERED nor FAILED. */
export const HALF_WAY: readonly MessageStatus[] = ['RECEIVED', 'QUEUED', 'PROCESSING', 'RETRYING', 'HELD'];

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

/** One request the backend applied: the message id it came with and the business key inside it. */
export interface Applied {
  readonly messageId: string;
  readonly orderId: string;
}

/** What callers were told (see test/support/patient-client.ts), per order id. */
export interface CallersView {
  /** orderId → message id of the 202. */
  readonly accepted: ReadonlyMap<string, string>;
  /** Orders whose callers were refused and gave up. */
  readonly refused: ReadonlySet<string>;
  /** Orders whose callers never got an answer (either outcome is right, but at most once). */
  readonly unknown: ReadonlySet<string>;
}

/** {@link QueueCheck} plus what only the callers' view shows. */
export interface OrderCheck extends QueueCheck {
  /** Orders the backend applied more than once under any ids: e.g. a retried key that created a second message. */
  readonly doubledOrders: readonly string[];
  /** Orders refused to callers who gave up, applied anyway: delivered behind the caller's back. */
  readonly behindBack: readonly string[];
}

/**
 * Counts a stream sent by callers that retry (test/support/patient-client.ts): every accepted
 * message delivered once, nothing refused delivered, no order applied twice under any id.
 */
export async function checkOrders(log: TransactionLog, callers: CallersView, applied: readonly Applied[]): Promise<OrderCheck> {
  const known = applied.filter((a) => !callers.unknown.has(a.orderId));
  const check = await checkQueue(log, [...callers.accepted.values()], known.map((a) => a.messageId));
  const perOrder = new Map<string, number>();
  for (const a of applied) perOrder.set(a.orderId, (perOrder.get(a.orderId) ?? 0) + 1);
  return {
    ...check,
    doubledOrders: [...perOrder].filter(([, n]) => n > 1).map(([orderId]) => orderId),
    behindBack: [...new Set(applied.filter((a) => callers.refused.has(a.orderId)).map((a) => a.orderId))],
  };
}

/** The promise every fault scenario with retrying callers must keep. */
export function expectEveryOrderOnce(check: OrderCheck): void {
  expectNothingLostOrDoubled(check);
  expect(check.doubledOrders, 'orders applied twice (under two message ids)').to.deep.equal([]);
  expect(check.behindBack, 'refused orders delivered behind the caller\'s back').to.deep.equal([]);
}

/** One line, like Jepsen's checker output, for the test log: what a scenario came to. */
export function describeCheck(check: OrderCheck, callers: { readonly refusals: number; readonly noAnswer: number; readonly replayed: number; readonly refused: ReadonlySet<string>; readonly unknown: ReadonlySet<string> }, repeatsAtBackend: number): string {
  return `lost ${check.lost.length}, duplicated ${check.duplicated.length}, unexpected ${check.unexpected.length}, `
    + `recovered ${check.recovered}, failed ${check.failed.length}; callers: ${callers.refusals} refusals, ${callers.noAnswer} unanswered tries, `
    + `${callers.replayed} idempotent replays, ${callers.refused.size} gave up, ${callers.unknown.size} unknown; `
    + `backend recognised ${repeatsAtBackend} repeats by message id`;
}
