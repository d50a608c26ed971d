import { randomUUID } from 'node:crypto';
import { JunctionError } from './errors';

/** How a caller waits: one-way (accepted, answered later by status) or request-reply (answered in-line). */
export type MessagePattern = 'one-way' | 'request-reply';

/**
 * A message travelling through Junction. The body is kept as text, exactly as received or as the
 * last step produced it, so decimals and long integers never pass through a JavaScript number.
 */
export interface Envelope {
  /** Unique id, assigned by the gateway; stable across retries and sent downstream. A replay gets a new id. */
  readonly id: string;
  /** Ties related messages together (the caller's, or the id of the first message). */
  readonly correlationId: string;
  /** The route that processes this message. */
  readonly routeId: string;
  readonly pattern: MessagePattern;
  /** Where it came in, e.g. `rest:POST /api/v1/orders`. */
  readonly source: string;
  /** Transport-neutral headers carried along (lower-case names). */
  readonly headers: Readonly<Record<string, string>>;
  /** MIME type of `body`, e.g. `application/json`. */
  readonly contentType: string;
  readonly body: string;
  /** Delivery attempt, starting at 1. */
  readonly attempt: number;
  /** Business key configured per route (order id, customer id), for search. */
  readonly businessKey?: string;
  /** The message this one replays. */
  readonly replayOf?: string;
  /** ISO-8601 time the gateway accepted the message. */
  readonly receivedAt: string;
}

/** What a gateway knows when it creates a message. */
export interface NewEnvelope {
  readonly routeId: string;
  readonly pattern: MessagePattern;
  readonly source: string;
  readonly contentType: string;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly correlationId?: string;
  readonly businessKey?: string;
  readonly replayOf?: string;
}

/** Creates a fresh envelope with a new id, attempt 1 and the current time. */
export function createEnvelope(init: NewEnvelope, now: Date = new Date()): Envelope {
  const id = randomUUID();
  return Object.freeze({
    id,
    correlationId: init.correlationId ?? id,
    routeId: init.routeId,
    pattern: init.pattern,
    source: init.source,
    headers: Object.freeze({ ...(init.headers ?? {}) }),
    contentType: init.contentType,
    body: init.body,
    attempt: 1,
    ...(init.businessKey !== undefined ? { businessKey: init.businessKey } : {}),
    ...(init.replayOf !== undefined ? { replayOf: init.replayOf } : {}),
    receivedAt: now.toISOString(),
  });
}

/** A copy of `envelope` with some fields replaced (envelopes are immutable). */
export function withChanges(envelope: Envelope, changes: Partial<Omit<Envelope, 'id'>>): Envelope {
  return Object.freeze({ ...envelope, ...changes });
}

/** The wire form on the bus: UTF-8 JSON. */
export function encodeEnvelope(envelope: Envelope): Buffer {
  return Buffer.from(JSON.stringify(envelope), 'utf8');
}

const REQUIRED_STRINGS = ['id', 'correlationId', 'routeId', 'source', 'contentType', 'body', 'receivedAt'] as const;

/** Parses and checks the wire form; throws JCT_BUS_MALFORMED_MESSAGE naming the first problem. */
export function decodeEnvelope(data: Buffer | string): Envelope {
  let value: unknown;
  try {
    value = JSON.parse(typeof data === 'string' ? data : data.toString('utf8'));
  } catch (error) {
    throw new JunctionError('JCT_BUS_MALFORMED_MESSAGE', 'Message on the bus is not JSON.', { cause: error });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new JunctionError('JCT_BUS_MALFORMED_MESSAGE', 'Message on the bus is not a JSON object.');
  }
  const record = value as Record<string, unknown>;
  for (const field of REQUIRED_STRINGS) {
    if (typeof record[field] !== 'string') {
      throw new JunctionError('JCT_BUS_MALFORMED_MESSAGE', `Message on the bus lacks the string field "${field}".`);
    }
  }
  if (record.pattern !== 'one-way' && record.pattern !== 'request-reply') {
    throw new JunctionError('JCT_BUS_MALFORMED_MESSAGE', 'Message on the bus has an unknown pattern.');
  }
  if (typeof record.attempt !== 'number' || !Number.isInteger(record.attempt) || record.attempt < 1) {
    throw new JunctionError('JCT_BUS_MALFORMED_MESSAGE', 'Message on the bus has an invalid attempt number.');
  }
  const headers = record.headers;
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)
      || Object.values(headers).some((v) => typeof v !== 'string')) {
    throw new JunctionError('JCT_BUS_MALFORMED_MESSAGE', 'Message on the bus has invalid headers.');
  }
  for (const optional of ['businessKey', 'replayOf'] as const) {
    if (record[optional] !== undefined && typeof record[optional] !== 'string') {
      throw new JunctionError('JCT_BUS_MALFORMED_MESSAGE', `Message on the bus has an invalid "${optional}".`);
    }
  }
  return Object.freeze({ ...(record as unknown as Envelope), headers: Object.freeze({ ...(headers as Record<string, string>) }) });
}
