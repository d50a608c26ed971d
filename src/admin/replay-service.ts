import { describeError, JunctionError, toJunctionError } from '../core/errors';
import type { Logger } from '../core/logger';
import type { AuditMethod, AuditRecord, MessageCursor } from '../core/operator-records';
import type { MessageRecord, TransactionLog } from '../core/transaction-log';
import type { MessageIntake } from '../gateway/message-intake';
import type { CompiledRoute, CompiledRoutes } from '../routes/compiled-route';
import { planRoute, StageFailure } from '../routes/route-runner';
import type { Masker } from '../security/masking/masker';
import { maskJunctionError } from '../security/masking/mask-error';
import { bodiesOf, ViewMasking } from './admin-masking';
import { findRoute } from './dry-run';
import { checkEditedEntry, planReplay, type ReplayPlan, type ReplayRequest } from './replay-plan';
import { diffBodies, diffText } from './text-diff';

/** Who acts, as the audit trail records it: a principal's name, role and how it signed in (`replay-job` for a bulk job's replays). */
export interface Actor {
  readonly name: string;
  readonly role: string;
  readonly method: AuditMethod;
}

/** What a replay answers. */
export interface ReplayResult {
  readonly replayId: string;
  readonly replayOf: string;
  /** QUEUED once the bus confirmed it. */
  readonly status: 'QUEUED';
  readonly from: ReplayPlan['from'];
  readonly resumeAt?: string;
  readonly skipped: readonly string[];
  readonly edited: boolean;
  readonly audit: AuditRecord;
}

const REFUSALS: Readonly<Record<string, string>> = {
  missing: 'is not in the transaction log',
  'not-settled': 'is still in flight (not DELIVERED or FAILED); wait until it settles',
  delivered: 'was DELIVERED; replaying it would deliver it again (an admin may force it)',
  replayed: 'was replayed already; replay its latest replay instead (an admin may force it)',
  resolved: 'was resolved by an operator (an admin may force it)',
};

/**
 * Replays messages for operators: builds the replay (replay-plan.ts), checks an edited payload
 * against the route, records it — claiming the original and writing the audit entry in the same
 * transaction — and publishes it through the normal intake (RECEIVED → publish with confirm →
 * QUEUED), so the replay has every delivery guarantee a new message has.
 */
export class ReplayService {
  constructor(private readonly deps: { log: TransactionLog; routes: CompiledRoutes; intake: MessageIntake; logger: Logger; masker: Masker }) {}

  /** The message or JCT_MESSAGE_NOT_FOUND. */
  async load(messageId: string): Promise<MessageRecord> {
    const record = await this.deps.log.load(messageId);
    if (!record) throw new JunctionError('JCT_MESSAGE_NOT_FOUND', `No message has the id "${messageId.slice(0, 64)}".`);
    return record;
  }

  /**
   * Replays one message. `job` counts it for a bulk job in the same transaction. Throws
   * JCT_REPLAY_REFUSED (state, input), JCT_VALIDATION_FAILED (an edited payload the route refuses),
   * JCT_REPLAY_PAYLOAD_MASKED (an edit that still holds the mask of a masked view), JCT_REQUEST_MALFORMED
   * (an edit or force without a reason), JCT_BROKER_UNAVAILABLE (recorded, not published: FAILED).
   * The audit entry is masked (security.masking): the edit's diff, the masked fields it changed
   * (paths only) and the reason never hold a sensitive value in clear.
   */
  async replay(messageId: string, request: ReplayRequest, principal: Actor, job?: { id: string; cursor: MessageCursor }): Promise<ReplayResult> {
    const reason = request.reason?.trim() ?? '';
    if ((request.payload !== undefined || request.force) && reason === '') {
      throw new JunctionError('JCT_REQUEST_MALFORMED', 'An edited payload or a forced replay needs a reason (it goes to the audit trail).');
    }
    const record = await this.load(messageId);
    const route = findRoute(this.deps.routes, record.routeId);
    const { masker } = this.deps;
    const plan = planReplay(record, route, request, masker);
    const base = { text: plan.basePayload, contentType: plan.baseContentType };
    const edit = { text: plan.envelope.body, contentType: plan.envelope.contentType };
    // What the audit entry and a refusal show is masked with every sensitive value the message
    // (and the edit) holds; finding them parses every body, so only when something is shown.
    let view: ViewMasking | undefined;
    const viewOf = (): ViewMasking => (view ??= ViewMasking.of(masker, [...bodiesOf(record), ...(plan.edited ? [edit] : [])]));
    if (request.payload !== undefined) await this.checkEdited(route, plan, viewOf);
    const detail: Record<string, unknown> = {
      from: plan.from, edited: plan.edited, force: request.force === true, skipped: plan.skipped,
      ...(plan.resumeAt ? { resumeAt: plan.resumeAt } : {}),
      ...(plan.edited ? {
        contentType: plan.envelope.contentType,
        payloadDiff: diffText(diffBodies(viewOf().payload(base.text, base.contentType), base.contentType, viewOf().payload(edit.text, edit.contentType), edit.contentType)).slice(0, 20_000),
        ...(plan.maskedFieldsChanged.length > 0 ? { maskedFieldsChanged: plan.maskedFieldsChanged } : {}),
      } : {}),
    };
    // A bulk job's reason was masked when the job was created (admin-api.ts), for all its messages.
    const result = await this.deps.log.recordReplay(plan.envelope, {
      originalId: record.id, force: request.force === true,
      audit: {
        actor: principal.name, role: principal.role, method: principal.method, action: 'replay',
        ...(reason ? { reason: job ? masker.maskText(reason) : viewOf().text(reason) } : {}), detail, ...(job ? { jobId: job.id } : {}),
      },
      ...(job ? { job } : {}),
    });
    if (result.outcome === 'refused') {
      throw new JunctionError('JCT_REPLAY_REFUSED', `Message ${record.id} ${REFUSALS[result.reason] ?? 'cannot be replayed'}.`, {
        details: { reason: result.reason, ...(result.status ? { status: result.status } : {}), ...(result.replayedBy ? { replayedBy: result.replayedBy } : {}) },
      });
    }
    this.deps.logger.info('message replayed', { messageId: record.id, replayId: plan.envelope.id, by: principal.name, from: plan.from, edited: plan.edited });
    await this.deps.intake.publishRecorded(plan.envelope, undefined);
    return {
      replayId: plan.envelope.id, replayOf: record.id, status: 'QUEUED', from: plan.from, skipped: plan.skipped, edited: plan.edited,
      audit: result.audit, ...(plan.resumeAt ? { resumeAt: plan.resumeAt } : {}),
    };
  }

  /** Marks an unresolved FAILED message resolved by hand (needs a reason; masked like the message before it is audited). */
  async resolve(messageId: string, reason: string | undefined, principal: Actor): Promise<void> {
    if (!reason?.trim()) throw new JunctionError('JCT_REQUEST_MALFORMED', 'Resolving a message needs a reason (it goes to the audit trail).');
    const record = await this.deps.log.load(messageId);
    const view = ViewMasking.of(this.deps.masker, record ? bodiesOf(record) : []);
    const outcome = await this.deps.log.resolve(messageId, { actor: principal.name, role: principal.role, method: principal.method, action: 'resolve', reason: view.text(reason.trim()) });
    if (outcome === 'missing') throw new JunctionError('JCT_MESSAGE_NOT_FOUND', `No message has the id "${messageId.slice(0, 64)}".`);
    if (outcome === 'skipped') {
      throw new JunctionError('JCT_REPLAY_REFUSED', `Message ${messageId} is not an unresolved FAILED message; only those can be resolved.`, { details: { reason: 'not-unresolved' } });
    }
  }

  /**
   * An edited payload must pass what the route checks: the REST entry's JSON Schema (for a
   * replay from the original) and the route's steps and recipient choice, as a dry-run runs them.
   */
  private async checkEdited(route: CompiledRoute, plan: ReplayPlan, viewOf: () => ViewMasking): Promise<void> {
    try {
      await this.runEdited(route, plan);
    } catch (error) {
      if (!(error instanceof JunctionError)) throw error;
      // A violation may quote the edited payload's sensitive values back: mask them as the admin API shows data.
      const masked = maskJunctionError(error, this.deps.masker, viewOf().sensitiveValues);
      this.deps.logger.info('edited payload refused', { error: describeError(masked) });
      throw masked;
    }
  }

  private async runEdited(route: CompiledRoute, plan: ReplayPlan): Promise<void> {
    const { envelope } = plan;
    checkEditedEntry(route, plan);
    try {
      await planRoute(route, envelope, { routeId: route.id, logger: this.deps.logger, original: envelope }, undefined, plan.resumeAt);
    } catch (error) {
      const failure = error instanceof StageFailure ? error.error : toJunctionError(error);
      const stage = error instanceof StageFailure ? error.stage : 'processing';
      throw new JunctionError('JCT_VALIDATION_FAILED', `The edited payload fails at ${stage}: ${failure.message}`, {
        violations: failure.violations.length > 0 ? failure.violations : [{ path: '', message: failure.message }],
        details: { stage, code: failure.code },
      });
    }
  }
}
