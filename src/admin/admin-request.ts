import type { Request } from 'express';
import { JunctionError } from '../core/errors';
import { isMessageStatus, type MessageStatus } from '../core/message-status';
import type { MessageCursor, MessageFilter, ReplaySource } from '../core/operator-records';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function bad(text: string): JunctionError {
  return new JunctionError('JCT_REQUEST_MALFORMED', text);
}

/** A message id from the path, lower-cased; JCT_MESSAGE_NOT_FOUND when it is not a UUID. */
export function messageIdOf(value: unknown): string {
  const id = String(value);
  if (!UUID.test(id)) throw new JunctionError('JCT_MESSAGE_NOT_FOUND', `No message has the id "${id.slice(0, 64)}".`);
  return id.toLowerCase();
}

function text(value: unknown, name: string, max = 255): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || value.length > max) throw bad(`"${name}" must be text of at most ${max} characters.`);
  return value;
}

function time(value: unknown, name: string): Date | undefined {
  const raw = text(value, name, 64);
  if (raw === undefined) return undefined;
  const date = new Date(raw);
  if (Number.isNaN(date.getTime())) throw bad(`"${name}" must be an ISO 8601 time, e.g. 2026-11-03T02:00:00Z (got "${raw}").`);
  return date;
}

/** The text fields of a filter: the MessageFilter key, and the name a request gives it (either is taken). */
const TEXT_FIELDS: readonly (readonly [keyof MessageFilter, string])[] = [
  ['routeId', 'route'], ['endpoint', 'endpoint'], ['errorCode', 'errorCode'], ['errorGroup', 'errorGroup'],
  ['correlationId', 'correlationId'], ['businessKey', 'businessKey'], ['replayOf', 'replayOf'],
];

/**
 * A message filter from query parameters or a JSON body: `status` (one or a comma-separated
 * list), `route`, `endpoint`, `errorCode`, `errorGroup`, `correlationId`, `businessKey`,
 * `replayOf`, `from`, `to` (ISO times) and `unresolved` (true).
 */
export function parseFilter(input: Record<string, unknown>): MessageFilter {
  const statusText = input.status;
  const statuses: MessageStatus[] = [];
  for (const s of (Array.isArray(statusText) ? statusText : String(statusText ?? '').split(',')).map((x) => String(x).trim().toUpperCase()).filter(Boolean)) {
    if (!isMessageStatus(s)) throw bad(`"status" must be one of RECEIVED, QUEUED, PROCESSING, RETRYING, HELD, DELIVERED, FAILED (got "${s}").`);
    statuses.push(s);
  }
  const unresolved = input.unresolved === true || input.unresolved === 'true';
  const from = time(input.from, 'from');
  const to = time(input.to, 'to');
  const filter: Record<string, unknown> = {};
  for (const [key, name] of TEXT_FIELDS) {
    const value = text(input[name] ?? input[key], name);
    if (value !== undefined) filter[key] = value;
  }
  return {
    ...filter, ...(statuses.length > 0 ? { statuses } : {}), ...(unresolved ? { unresolved } : {}),
    ...(from ? { receivedFrom: from } : {}), ...(to ? { receivedTo: to } : {}),
  } as MessageFilter;
}

/**
 * The keys a bulk operation's `filter` takes (POST /replay-jobs, POST /dry-runs): those parseFilter
 * reads, as the message search's query parameters name them.
 */
export const BULK_FILTER_KEYS: readonly string[] = ['status', ...TEXT_FIELDS.map(([, name]) => name), 'from', 'to', 'unresolved'];

/**
 * The MessageFilter keys parseFilter also takes for a differently named field (`routeId` for
 * `route`): a job shows its stored filter with them, and operators copy it.
 */
const FILTER_KEY_ALIASES: ReadonlyMap<string, string> = new Map(TEXT_FIELDS.filter(([key, name]) => key !== name));

/** What a job's stored filter calls a key, and the key a request gives instead. */
const STORED_KEYS: Readonly<Record<string, string>> = { statuses: 'status', receivedFrom: 'from', receivedTo: 'to' };

const isEmpty = (value: unknown): boolean => value === null || value === '' || (Array.isArray(value) && value.length === 0);

/**
 * The `filter` of a bulk replay or dry-run. Unlike the message search's query it refuses what it
 * does not understand — an unknown key (a typo such as `rout`), an empty value, a filter that is
 * not an object — with JCT_REQUEST_MALFORMED: a filter key ignored would widen the selection,
 * up to every unresolved failure. No filter at all (or `{}`) takes every unresolved failure.
 */
export function parseBulkFilter(value: unknown): MessageFilter {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw bad('"filter" must be a JSON object, e.g. {"route": "submit-order", "errorCode": "JCT_ENDPOINT_REJECTED"}; leave it out to take every unresolved failure.');
  }
  const input = value as Record<string, unknown>;
  const unknown = Object.keys(input).filter((key) => !FILTER_KEY_ALIASES.has(key) && !BULK_FILTER_KEYS.includes(key));
  if (unknown.length > 0) {
    const named = unknown.slice(0, 5).map((key) => `"${key.slice(0, 64)}"${Object.hasOwn(STORED_KEYS, key) ? ` (send "${STORED_KEYS[key]}")` : ''}`);
    throw bad(`"filter" has ${unknown.length === 1 ? 'an unknown key' : 'unknown keys'} ${named.join(', ')}${unknown.length > 5 ? ', …' : ''}; `
      + `a filter takes ${BULK_FILTER_KEYS.join(', ')} (${[...FILTER_KEY_ALIASES].map(([key, name]) => `${key} for ${name}`).join(', ')}). Nothing was done.`);
  }
  for (const [key, given] of Object.entries(input)) {
    if (isEmpty(given)) throw bad(`"filter.${key}" is empty: give a value, or leave "${key}" out.`);
  }
  for (const [key, name] of FILTER_KEY_ALIASES) {
    if (input[name] !== undefined && input[key] !== undefined && input[name] !== input[key]) {
      throw bad(`"filter" has both "${name}" and "${key}", with different values; they name the same thing: give one.`);
    }
  }
  if (input.unresolved !== undefined && input.unresolved !== true && input.unresolved !== 'true') {
    throw bad('"filter.unresolved" can only be true: bulk replays and dry-runs take unresolved FAILED messages only. Leave it out.');
  }
  return parseFilter(input);
}

/** A required query parameter: JCT_REQUEST_MALFORMED naming it when it is missing, empty or given twice. */
export function requiredQuery(value: unknown, name: string, what: string): string {
  if (value === undefined || value === '') throw bad(`Query parameter "${name}" is required: ${what}.`);
  if (typeof value !== 'string') throw bad(`Query parameter "${name}" must be given once: ${what}.`);
  return value;
}

/** The page size of a request (`limit`), or undefined. */
export function limitOf(value: unknown, max = 1000): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw bad(`"limit" must be a whole number from 1 to ${max}.`);
  return n;
}

/** Cursors travel as opaque base64url text. */
export function encodeCursor(cursor: MessageCursor): string {
  return Buffer.from(JSON.stringify({ t: cursor.receivedAt.toISOString(), id: cursor.id }), 'utf8').toString('base64url');
}

/** Reads a cursor written by {@link encodeCursor}. */
export function decodeCursor(value: unknown): MessageCursor | undefined {
  const raw = text(value, 'cursor', 200);
  if (raw === undefined) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as { t?: unknown; id?: unknown };
    const at = new Date(String(parsed.t));
    if (typeof parsed.id === 'string' && !Number.isNaN(at.getTime())) return { receivedAt: at, id: parsed.id };
  } catch {
    // fall through
  }
  throw bad('"cursor" is not one this API gave out; start again without it.');
}

/** The JSON object body of a request (read as text, so a syntax error is a clear 400). */
export function jsonBody(req: Request): Record<string, unknown> {
  const raw = typeof req.body === 'string' ? req.body : '';
  if (raw.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    throw bad(`Request body is not valid JSON: ${(error as Error).message}.`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('Request body must be a JSON object.');
  return value as Record<string, unknown>;
}

/** `from` of a replay: `original` (default) or `failed-step`. */
export function sourceOf(value: unknown): ReplaySource {
  if (value === undefined || value === 'original') return 'original';
  if (value === 'failed-step') return 'failed-step';
  throw bad('"from" must be "original" or "failed-step".');
}

/** An optional string field of a body. */
export function optionalText(body: Record<string, unknown>, name: string, max: number): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length > max) throw bad(`"${name}" must be text of at most ${max} characters.`);
  return value;
}
