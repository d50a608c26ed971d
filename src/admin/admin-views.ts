import type { SerializedError } from '../core/errors';
import type { AuditRecord, FailureGroup, ReplayJob } from '../core/operator-records';
import { prettyBody } from '../core/pretty-body';
import type { MessageRecord, MessageSummary } from '../core/transaction-log';
import type { Masker } from '../security/masking/masker';
import { bodiesOf, stageContentType, ViewMasking } from './admin-masking';
import { failedStage } from './replay-plan';

/**
 * What the admin API answers, masked (security.masking) — the one place its records become
 * answers, so nothing leaves unmasked: payloads of the message and of every stage, errors,
 * headers, audit entries, jobs and failure groups (docs/security.md, "Masking").
 */

/** A message summary (search results, replays): its last error masked. */
export function summaryView(summary: MessageSummary, masker: Masker): MessageSummary {
  return summary.lastError ? { ...summary, lastError: masker.redactError(summary.lastError) } : summary;
}

/** A message with its timeline: every payload masked (`pretty` adds pretty-printed ones), errors and headers too. */
export function messageView(record: MessageRecord, replays: readonly MessageSummary[], pretty: boolean, masker: Masker) {
  const view = ViewMasking.of(masker, bodiesOf(record));
  const failed = failedStage(record);
  const payload = view.payload(record.payload, record.contentType);
  const error = (e: SerializedError | undefined): { error?: SerializedError } => (e ? { error: view.error(e) } : {});
  return {
    ...record,
    headers: view.headers(record.headers),
    payload,
    ...(record.lastError ? { lastError: view.error(record.lastError) } : {}),
    ...(pretty ? { prettyPayload: prettyBody(payload, record.contentType) } : {}),
    failedStage: failed?.stage,
    stages: record.stages.map((s) => {
      const contentType = stageContentType(record, s.detail);
      const shown = s.payload === undefined ? undefined : view.payload(s.payload, contentType);
      return {
        ...s, ...error(s.error),
        ...(s.detail !== undefined ? { detail: view.text(s.detail) } : {}),
        ...(shown !== undefined ? { payload: shown, contentType } : {}),
        ...(pretty && shown !== undefined ? { prettyPayload: prettyBody(shown, contentType) } : {}),
      };
    }),
    replays: replays.map((r) => summaryView(r, masker)),
  };
}

/** A failure group: its normalised message masked by name and shape. */
export function groupView(group: FailureGroup, masker: Masker): FailureGroup {
  return { ...group, message: masker.maskText(group.message) };
}

/** A bulk replay job: its reason and last error masked. */
export function jobView(job: ReplayJob, masker: Masker): ReplayJob {
  return { ...job, reason: masker.maskText(job.reason), ...(job.lastError ? { lastError: masker.redactError(job.lastError) } : {}) };
}

function maskStrings(value: unknown, mask: (text: string) => string): unknown {
  if (typeof value === 'string') return mask(value);
  if (Array.isArray(value)) return value.map((v) => maskStrings(v, mask));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskStrings(v, mask)]));
  }
  return value;
}

/**
 * An audit entry. Entries are masked before they are stored (replay-service.ts); this masks them
 * again by name and shape, for entries written before masking covered them.
 */
export function auditView(entry: AuditRecord, masker: Masker): AuditRecord {
  const mask = (text: string): string => masker.maskText(text);
  return {
    ...entry,
    ...(entry.reason !== undefined ? { reason: mask(entry.reason) } : {}),
    ...(entry.detail !== undefined ? { detail: maskStrings(entry.detail, mask) as Record<string, unknown> } : {}),
  };
}
