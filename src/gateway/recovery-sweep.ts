import type { Broker } from '../core/broker';
import { describeError, JunctionError } from '../core/errors';
import { noJunctionMetrics, type JunctionMetrics } from '../core/junction-metrics';
import type { Logger } from '../core/logger';
import type { TransactionLog, TransitionResult } from '../core/transaction-log';
import { InProcessOrphans } from './in-process-orphans';
import { OverdueTries } from './overdue-tries';
import { envelopeOf } from './stored-envelope';

/** Options of {@link RecoverySweep}. */
export interface RecoverySweepOptions {
  readonly log: TransactionLog;
  readonly broker: Broker;
  readonly logger: Logger;
  /** How often to look (default 10 s). */
  readonly intervalMs?: number;
  /** How long a message may stay RECEIVED before it counts as stranded (default 30 s; far longer than any publish). */
  readonly graceMs?: number;
  /** At most this many messages per round (default 100). */
  readonly batchSize?: number;
  /** False for routes with capture `none` (their body was not kept, so it cannot be published again). */
  readonly keepsPayload?: (routeId: string) => boolean;
  /**
   * True for a message this process refused to its caller and is still trying to mark FAILED
   * (MessageIntake.isRefusalPending): it was never accepted, so it must not be published.
   */
  readonly refused?: (messageId: string) => boolean;
  /** Where recovered and failed counts go (default: nowhere). */
  readonly metrics?: JunctionMetrics;
  /**
   * Set with the in-process bus only: when this process, and so its bus, started. Messages left
   * QUEUED or PROCESSING before then lost their copy with the last process ({@link InProcessOrphans}).
   */
  readonly busStartedAt?: Date;
}

/** What one round did. */
export interface SweepResult {
  /** Published again: stranded RECEIVED ones (then QUEUED), and RETRYING/HELD ones whose copy on the bus was lost. */
  readonly published: string[];
  /** Marked FAILED (request-reply whose caller has gone, or a body that was not kept). */
  readonly failed: string[];
  /** Found but left for the next round (a publish failed, or someone else moved it on). */
  readonly skipped: string[];
}

export const DEFAULT_SWEEP_INTERVAL_MS = 10_000;
export const DEFAULT_SWEEP_GRACE_MS = 30_000;

/**
 * Finishes what a crash between "log RECEIVED" and "publish" left undone: messages still RECEIVED
 * after the grace period are published and marked QUEUED (from RECEIVED only, so a concurrent
 * normal path wins harmlessly; the worker skips settled messages, so a duplicate is harmless).
 * Request-reply messages found so are marked FAILED with JCT_REPLY_TIMEOUT instead: their caller
 * has gone. Messages the gateway refused are FAILED already and never swept. Then puts back the
 * messages waiting RETRYING or HELD whose copy on the bus was lost ({@link OverdueTries}). One
 * round at a time per process; several processes may sweep together.
 */
export class RecoverySweep {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<SweepResult> | undefined;
  private closed = false;
  private readonly intervalMs: number;
  private readonly graceMs: number;
  private readonly batchSize: number;
  private readonly logger: Logger;
  private readonly overdue: OverdueTries;
  private readonly metrics: JunctionMetrics;
  private readonly orphans: InProcessOrphans | undefined;

  constructor(private readonly options: RecoverySweepOptions) {
    this.intervalMs = options.intervalMs ?? DEFAULT_SWEEP_INTERVAL_MS;
    this.graceMs = options.graceMs ?? DEFAULT_SWEEP_GRACE_MS;
    this.batchSize = options.batchSize ?? 100;
    this.logger = options.logger.child({ component: 'recovery-sweep' });
    this.metrics = options.metrics ?? noJunctionMetrics;
    this.overdue = new OverdueTries({
      log: options.log, broker: options.broker, logger: this.logger, graceMs: this.graceMs, batchSize: this.batchSize, metrics: this.metrics,
      ...(options.keepsPayload ? { keepsPayload: options.keepsPayload } : {}),
    });
    this.orphans = options.busStartedAt === undefined ? undefined : new InProcessOrphans({
      log: options.log, broker: options.broker, logger: this.logger, batchSize: this.batchSize, metrics: this.metrics, busStartedAt: options.busStartedAt,
      ...(options.keepsPayload ? { keepsPayload: options.keepsPayload } : {}),
    });
  }

  /** Starts sweeping every `intervalMs` (the first round after one interval). */
  start(): void {
    if (this.closed || this.timer) return;
    this.timer = setInterval(() => { void this.sweep().catch(() => undefined); }, this.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a round in progress. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** One round now; if a round is already running, returns that one's result (never two at once). */
  sweep(now: Date = new Date()): Promise<SweepResult> {
    this.running ??= this.round(now).finally(() => { this.running = undefined; });
    return this.running;
  }

  private async round(now: Date): Promise<SweepResult> {
    const { log } = this.options;
    const cutoff = new Date(now.getTime() - this.graceMs);
    const result: SweepResult = { published: [], failed: [], skipped: [] };
    let stranded;
    try {
      stranded = await log.find({ status: 'RECEIVED', receivedBefore: cutoff, limit: this.batchSize });
    } catch (error) {
      this.logger.warn('could not look for stranded messages', { error: describeError(error) });
      throw error;
    }
    for (const summary of stranded) {
      if (this.closed) break;
      try {
        const outcome = await this.recover(summary.id, cutoff);
        result[outcome].push(summary.id);
      } catch (error) {
        this.logger.warn('could not recover a stranded message', { messageId: summary.id, error: describeError(error) });
        result.skipped.push(summary.id);
      }
    }
    if (result.published.length + result.failed.length > 0) {
      this.logger.warn('recovered stranded messages', { published: result.published.length, failed: result.failed.length });
    }
    if (this.closed) return result;
    let overdue;
    try {
      overdue = await this.overdue.round(now, () => this.closed);
    } catch (error) {
      this.logger.warn('could not look for messages whose copy on the bus was lost', { error: describeError(error) });
      throw error;
    }
    const parts = [result, overdue];
    if (this.orphans && !this.closed) {
      try {
        parts.push(await this.orphans.round(() => this.closed));
      } catch (error) {
        this.logger.warn('could not look for messages the in-process bus lost with the last process', { error: describeError(error) });
        throw error;
      }
    }
    return {
      published: parts.flatMap((p) => p.published), failed: parts.flatMap((p) => p.failed), skipped: parts.flatMap((p) => p.skipped),
    };
  }

  private async recover(id: string, cutoff: Date): Promise<keyof SweepResult> {
    const { log, broker } = this.options;
    if (this.options.refused?.(id) === true) return 'skipped';
    const record = await log.load(id);
    // Changed since (another sweeper, the gateway resubmitting a refused message): leave it.
    if (!record || record.status !== 'RECEIVED' || record.updatedAt.getTime() >= cutoff.getTime()) return 'skipped';
    const attempt = Math.max(1, record.attempts);
    // An operator's replay has no caller waiting and keeps the body it was replayed with (given by
    // the operator on a capture: none route): it is published like any one-way message.
    const replay = record.replayOf !== undefined;
    if (record.pattern === 'request-reply' && !replay) {
      const error = new JunctionError('JCT_REPLY_TIMEOUT',
        `Message ${id} was recorded but never published (the gateway stopped); its caller has gone, so it is not delivered.`,
        { details: { messageId: id } });
      const applied = await log.transition(id, {
        stage: 'expired', status: 'FAILED', attempt, error: error.toJSON(), detail: 'stranded before publishing; failed by the recovery sweep',
      }, ['RECEIVED']);
      return this.failedIf(applied, record.routeId, error);
    }
    if (this.options.keepsPayload?.(record.routeId) === false && !replay) {
      const error = new JunctionError('JCT_BROKER_UNAVAILABLE',
        `Message ${id} was recorded but never published, and its body was not kept (capture: none); it cannot be delivered.`,
        { details: { messageId: id } });
      const applied = await log.transition(id, {
        stage: 'publish', status: 'FAILED', attempt, error: error.toJSON(), detail: 'stranded before publishing; body not kept',
      }, ['RECEIVED']);
      return this.failedIf(applied, record.routeId, error);
    }
    await broker.publish(record.routeId, envelopeOf(record));
    this.metrics.recovered.inc({ route: record.routeId, reason: 'stranded' });
    await log.transition(id, { stage: 'recovered', status: 'QUEUED', attempt, detail: 'published by the recovery sweep' }, ['RECEIVED']);
    return 'published';
  }

  private failedIf(applied: TransitionResult, routeId: string, error: JunctionError): keyof SweepResult {
    if (applied !== 'applied') return 'skipped';
    this.metrics.recovered.inc({ route: routeId, reason: 'failed' });
    this.metrics.failed.inc({ route: routeId, endpoint: '', code: error.code });
    return 'failed';
  }
}
