import { createHash } from 'node:crypto';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const TIMESTAMP = /\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?/g;
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
const NUMBER = /\d+(?:[.,]\d+)*/g;

/**
 * An error message with what varies from message to message taken out — ids, times, e-mail
 * addresses, numbers — so that "customer C-42 unknown" and "customer C-43 unknown" read the same:
 * `customer C-<n> unknown`. Failures are grouped by this (with route, endpoint and code).
 */
export function normaliseErrorMessage(message: string): string {
  return message
    .replace(UUID, '<id>')
    .replace(TIMESTAMP, '<time>')
    .replace(EMAIL, '<email>')
    .replace(NUMBER, '<n>')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 500);
}

/**
 * The 16-hex-digit key of a failure's cause: endpoint (or none), error code and normalised message.
 * Stored with a failed message (`error_group`), so "everything that failed the same way" is one
 * indexed lookup; the route is grouped on separately.
 */
export function errorGroupKey(endpoint: string | undefined, code: string, message: string): string {
  return createHash('sha256').update(`${endpoint ?? ''}\u0000${code}\u0000${normaliseErrorMessage(message)}`, 'utf8').digest('hex').slice(0, 16);
}

/** The endpoint a stage names: `deliver:<endpoint>` → `<endpoint>`; anything else → undefined. */
export function endpointOfStage(stage: string): string | undefined {
  return stage.startsWith('deliver:') ? stage.slice('deliver:'.length) : undefined;
}
