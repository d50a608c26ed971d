import { randomBytes } from 'node:crypto';

/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/): the `traceparent` a caller sends is
 * taken in by the gateways, carried across the bus in the envelope's headers, and passed on to
 * every endpoint call, each hop with a span id of its own, so a trace started in the CRM continues
 * through Junction to the ERP. Junction records no spans itself; it keeps the trace id in its log
 * lines, which is what ties them to the caller's trace.
 */

/** Envelope and HTTP header carrying the trace position. */
export const TRACEPARENT_HEADER = 'traceparent';
/** Vendor trace state, passed on unchanged. */
export const TRACESTATE_HEADER = 'tracestate';

/** A parsed `traceparent`. */
export interface TraceContext {
  /** 32 lower-case hex digits, not all zero. */
  readonly traceId: string;
  /** The span id of the hop that sent this context (the next hop's parent), 16 hex digits. */
  readonly spanId: string;
  /** Trace flags, 2 hex digits (01 = sampled by the caller). */
  readonly flags: string;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/**
 * Parses a `traceparent` header; undefined when it is absent or invalid (the spec says to start a
 * new trace then). Version 00 must have exactly four fields; a later version may have more, and
 * its first four are read as version 00's. Version ff, an all-zero trace id or span id are invalid.
 */
export function parseTraceparent(value: string | undefined): TraceContext | undefined {
  if (value === undefined) return undefined;
  const match = TRACEPARENT.exec(value.trim());
  if (!match) return undefined;
  const [, version, traceId, spanId, flags, rest] = match as unknown as [string, string, string, string, string, string | undefined];
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return { traceId, spanId, flags };
}

/** The header value of a context (always version 00). */
export function formatTraceparent(context: TraceContext): string {
  return `00-${context.traceId}-${context.spanId}-${context.flags}`;
}

function newSpanId(): string {
  let id = ZERO_SPAN;
  while (id === ZERO_SPAN) id = randomBytes(8).toString('hex');
  return id;
}

/**
 * This hop's context: the caller's trace with a new span id for this hop, or a new trace (not
 * sampled) when the caller sent none or an invalid one.
 */
export function nextHop(parent: TraceContext | undefined): TraceContext {
  if (parent) return { traceId: parent.traceId, spanId: newSpanId(), flags: parent.flags };
  let traceId = ZERO_TRACE;
  while (traceId === ZERO_TRACE) traceId = randomBytes(16).toString('hex');
  return { traceId, spanId: newSpanId(), flags: '00' };
}

/**
 * The trace headers for a message a gateway creates from a caller's `traceparent` and
 * `tracestate`: this hop's `traceparent`, and the caller's `tracestate` when it came with a valid
 * `traceparent` (the spec drops tracestate otherwise).
 */
export function traceHeaders(traceparent: string | undefined, tracestate: string | undefined): Record<string, string> {
  const parent = parseTraceparent(traceparent);
  const headers: Record<string, string> = { [TRACEPARENT_HEADER]: formatTraceparent(nextHop(parent)) };
  if (parent && tracestate !== undefined && tracestate.length > 0 && tracestate.length <= 512) headers[TRACESTATE_HEADER] = tracestate;
  return headers;
}

/** The trace id of a message's headers, for log lines; undefined when it carries none. */
export function traceIdOf(headers: Readonly<Record<string, string>>): string | undefined {
  return parseTraceparent(headers[TRACEPARENT_HEADER])?.traceId;
}

/**
 * The headers of a message as the next hop (a worker) carries it on: its `traceparent` with a new
 * span id of this hop (a new trace when it had none), `tracestate` kept.
 */
export function continueTrace(headers: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
  const parent = parseTraceparent(headers[TRACEPARENT_HEADER]);
  return Object.freeze({ ...headers, [TRACEPARENT_HEADER]: formatTraceparent(nextHop(parent)) });
}

/** The trace headers to send to a backend with a message: `traceparent` and `tracestate` when it has them. */
export function outgoingTraceHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  const traceparent = headers[TRACEPARENT_HEADER];
  if (traceparent !== undefined) out[TRACEPARENT_HEADER] = traceparent;
  const tracestate = headers[TRACESTATE_HEADER];
  if (traceparent !== undefined && tracestate !== undefined) out[TRACESTATE_HEADER] = tracestate;
  return out;
}
