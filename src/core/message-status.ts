/**
 * The lifecycle of a message in the transaction log.
 *
 * RECEIVED → QUEUED → PROCESSING → DELIVERED, with RETRYING (waiting for the next attempt),
 * HELD (the endpoint's circuit is open) and FAILED (needs an operator). DELIVERED and FAILED
 * are terminal for an attempt; a replay creates a new message linked by `replayOf`.
 */
export const MESSAGE_STATUSES = [
  'RECEIVED',
  'QUEUED',
  'PROCESSING',
  'RETRYING',
  'HELD',
  'DELIVERED',
  'FAILED',
] as const;

/** One of {@link MESSAGE_STATUSES}. */
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/** Statuses after which a worker must not deliver the message again. */
export const TERMINAL_STATUSES: readonly MessageStatus[] = ['DELIVERED', 'FAILED'];

/** True when `value` names a message status; used to check operator input and stored rows. */
export function isMessageStatus(value: unknown): value is MessageStatus {
  return typeof value === 'string' && (MESSAGE_STATUSES as readonly string[]).includes(value);
}
