import { createEnvelope, type Envelope } from '../core/envelope';
import { JunctionError } from '../core/errors';
import { JsonRefusedError, parseJsonSafely } from '../core/json-limits';
import { isJsonContentType } from '../core/pretty-body';
import { DEADLINE_HEADER, REPLAY_OF_HEADER, RESUME_AT_HEADER, SKIP_ENDPOINTS_HEADER } from '../core/headers';
import type { ReplaySource } from '../core/operator-records';
import type { MessageRecord, StageRecord } from '../core/transaction-log';
import type { CompiledRoute } from '../routes/compiled-route';
import { resumePoint, stageBefore } from '../routes/route-runner';
import { HELD_HEADER } from '../routes/route-worker';
import type { Masker } from '../security/masking/masker';
import { assertValid } from '../validators/json-schema-validator';
import { checkMaskedEdit } from './masked-edit';

/** What an operator asks of a replay (or a dry-run). */
export interface ReplayRequest {
  /** `original` (default): the message as it arrived; `failed-step`: the failed stage's input, starting at that stage. */
  readonly from?: ReplaySource;
  /** An edited payload instead (checked against the route before it is accepted; needs a reason). */
  readonly payload?: string;
  /** Content type of an edited payload (default: that of the payload it replaces). */
  readonly contentType?: string;
  readonly reason?: string;
  /** Admin only: replay a DELIVERED or already replayed message, to every recipient. */
  readonly force?: boolean;
}

/** The replay message, and what it was made from. */
export interface ReplayPlan {
  readonly envelope: Envelope;
  readonly from: ReplaySource;
  /** The stage the run starts at (from the failed step). */
  readonly resumeAt?: string;
  /** Recipients the original already reached, skipped by the replay. */
  readonly skipped: readonly string[];
  readonly edited: boolean;
  /** Paths of the masked fields whose value the edit changed, added or removed (empty without an edit). */
  readonly maskedFieldsChanged: readonly string[];
  /** The payload the replay would have had without the edit, and its content type. */
  readonly basePayload: string;
  readonly baseContentType: string;
}

const INTERNAL_HEADERS = [DEADLINE_HEADER, HELD_HEADER, RESUME_AT_HEADER, SKIP_ENDPOINTS_HEADER, REPLAY_OF_HEADER];
const MIME = /^[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+(\s*;.*)?$/;

function refuse(reason: string, text: string, details: Record<string, string> = {}): JunctionError {
  return new JunctionError('JCT_REPLAY_REFUSED', text, { details: { reason, ...details } });
}

/** The stage a message failed at: its last FAILED stage with an error. */
export function failedStage(record: MessageRecord): StageRecord | undefined {
  return [...record.stages].reverse().find((s) => s.status === 'FAILED' && s.error !== undefined);
}

/** Recipients a message (and the replays before it) already reached. */
export function reachedEndpoints(record: MessageRecord): string[] {
  const reached = new Set((record.headers[SKIP_ENDPOINTS_HEADER] ?? '').split(',').filter(Boolean));
  for (const s of record.stages) {
    if (s.stage.startsWith('deliver:') && s.endpoint && !s.error && s.status !== 'FAILED') reached.add(s.endpoint);
  }
  return [...reached].sort();
}

/** The latest recorded payload of `stage`, with the content type kept in its detail. */
function capturedOutput(record: MessageRecord, stage: string): { body: string; contentType: string } | undefined {
  const found = [...record.stages].reverse().find((s) => s.stage === stage && s.payload !== undefined);
  if (!found || found.payload === undefined) return undefined;
  return { body: found.payload, contentType: found.detail !== undefined && MIME.test(found.detail) ? found.detail : record.contentType };
}

/** The stage name under which a dry-run shows the REST entry's check of an edited payload. */
export const ENTRY_STAGE = 'entry';

/**
 * What the route's REST entry checks, for a payload the operator gave, replayed from the original
 * (a replay from a step starts after it): JSON the gateway's parser takes (json-limits: nesting,
 * no `__proto__` / `constructor` / `prototype` keys) and the entry's JSON Schema accepts. Throws
 * JCT_VALIDATION_FAILED. The replay and the dry-run both run it, so a dry-run never promises a
 * delivery that the replay would refuse.
 */
export function checkEditedEntry(route: CompiledRoute, plan: ReplayPlan): void {
  const { envelope } = plan;
  if (plan.resumeAt !== undefined || !isJsonContentType(envelope.contentType)) return;
  let parsed: unknown;
  try {
    parsed = parseJsonSafely(envelope.body);
  } catch (error) {
    const what = error instanceof JsonRefusedError ? 'is not accepted' : 'is not valid JSON';
    throw new JunctionError('JCT_VALIDATION_FAILED', `The edited payload ${what}: ${(error as Error).message}.`, { violations: [{ path: '', message: what }] });
  }
  if (route.rest?.check) assertValid(route.rest.check(parsed), 'The edited payload');
}

/**
 * Builds the replay of `record` on `route`: a new message (new id, attempt 1, now) linked to the
 * original, with its correlation id, business key and headers, carrying the original payload, the
 * failed stage's input (resuming there) or an edited payload. Recipients the original reached are
 * skipped unless forced. Throws JCT_REPLAY_REFUSED when what was asked cannot be built, and
 * JCT_REPLAY_PAYLOAD_MASKED for an edited payload that still holds `masker`'s mask (masked-edit.ts).
 */
export function planReplay(record: MessageRecord, route: CompiledRoute, request: ReplayRequest, masker: Masker, now: Date = new Date()): ReplayPlan {
  const from = request.from ?? 'original';
  let body = record.payload;
  let contentType = record.contentType;
  let resumeAt: string | undefined;
  if (from === 'failed-step') {
    const failed = failedStage(record);
    if (!failed) throw refuse('no-failed-step', `Message ${record.id} has no failed stage to start from; replay it from the original.`);
    try {
      resumePoint(route, failed.stage);
    } catch {
      throw refuse('not-a-step', `Message ${record.id} failed at "${failed.stage}", which is not a step of route ${route.id}; replay it from the original.`, { stage: failed.stage });
    }
    resumeAt = failed.stage;
    const before = stageBefore(route, failed.stage);
    if (before !== undefined) {
      const input = capturedOutput(record, before);
      if (!input) {
        throw refuse('input-not-captured', `The input of ${failed.stage} (the output of ${before}) was not kept: route ${route.id} captures "${route.capture}", not "steps". Replay from the original instead.`, { stage: failed.stage });
      }
      ({ body, contentType } = input);
    }
  }
  if (request.payload === undefined && route.capture === 'none' && (from === 'original' || resumeAt === undefined || stageBefore(route, resumeAt) === undefined)) {
    throw refuse('no-payload', `Route ${route.id} keeps no payloads (capture: none); give the payload to replay with.`);
  }
  const basePayload = body;
  const baseContentType = contentType;
  const edited = request.payload !== undefined && request.payload !== body;
  if (request.payload !== undefined) body = request.payload;
  if (request.contentType !== undefined) contentType = request.contentType;
  const skipped = request.force ? [] : reachedEndpoints(record);
  if (resumeAt !== undefined && !request.force) {
    const point = resumePoint(route, resumeAt);
    if (point.only) {
      const chosen = [...record.stages].reverse().find((s) => s.stage === 'route' && s.detail?.startsWith('to '))?.detail?.slice(3).split(', ') ?? [];
      const unreached = chosen.filter((e) => e !== point.only?.delivery.endpoint && !skipped.includes(e));
      if (unreached.length > 0) {
        throw refuse('other-recipients', `Starting at ${resumeAt} would deliver to ${point.only.delivery.endpoint} only, but ${unreached.join(', ')} did not get the message either; replay from the original (recipients already reached are skipped).`);
      }
    }
  }
  // An unedited payload is the base one: it holds the mask exactly as often, and no field changed.
  const maskedFieldsChanged = edited ? checkMaskedEdit(masker, { text: body, contentType }, { text: basePayload, contentType: baseContentType }) : [];
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(record.headers)) if (!INTERNAL_HEADERS.includes(name)) headers[name] = value;
  headers[REPLAY_OF_HEADER] = record.id;
  if (resumeAt !== undefined) headers[RESUME_AT_HEADER] = resumeAt;
  if (skipped.length > 0) headers[SKIP_ENDPOINTS_HEADER] = skipped.join(',');
  const envelope = createEnvelope({
    routeId: record.routeId, pattern: record.pattern, source: 'admin:replay', contentType, body, headers,
    correlationId: record.correlationId, replayOf: record.id, ...(record.businessKey !== undefined ? { businessKey: record.businessKey } : {}),
  }, now);
  return { envelope, from, ...(resumeAt !== undefined ? { resumeAt } : {}), skipped, edited, maskedFieldsChanged, basePayload, baseContentType };
}
