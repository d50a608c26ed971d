import type { Broker } from '../core/broker';
import { describeError, JunctionError } from '../core/errors';
import { DEADLINE_HEADER } from '../core/headers';
import type { JunctionMetrics } from '../core/junction-metrics';
import type { Logger } from '../core/logger';
import type { MessageStatus } from '../core/message-status';
import type { MessageQuery, MessageRecord, TransactionLog } from '../core/transaction-log';
import { announcedWaitMs, recoveredDetail } from '../routes/announced-wait';
import { envelopeOf } from './stored-envelope';

/** Statuses in which a message waits for its copy on the bus to come back (a later try, or its endpoint). */
const WAITING: readonly MessageStatus[] = ['RETRYING', 'HELD'];

/** RabbitMQ's delay queues round a wait to the nearest of 2^(k/4) ms: up to 2^(1/8) ≈ 9 % longer. */
const BUCKET_ROUNDING = 1.1;

/** The longest any copy waits on the bus (amqp-topology's MAX_DELAY_MS): assumed when a stage does not say. */
const LONGEST_WAIT_MS = 86_400_000;

/** At most this many pages of `batchSize` candidates per status per round. */
const MAX_PAGES = 10;

/** Options of {@link OverdueTries}. */
export interface OverdueTriesOptions {
  readonly log: TransactionLog;
  readonly broker: Broker;
  readonly logger: Logger;
  /** How long after its copy was due a message counts as overdue. */
  readonly graceMs: number;
  /** At most this many candidates loaded per status per round, and the size of a page of candidates. */
  readonly batchSize: number;
  /** False for routes with capture `none` (their body was not kept, so it cannot be published again). */
  readonly keepsPayload?: (routeId: string) => boolean;
  /** Counts what was put back (`lost-copy`) and what was marked FAILED. */
  readonly metrics: JunctionMetrics;
}

/** What happened to one overdue candidate; `waiting` when its copy is not yet overdue. */
type Outcome = 'published' | 'failed' | 'skipped' | 'waiting';

/** What a round did, by candidate id. */
interface RoundResult {
  readonly published: string[];
  readonly failed: string[];
  readonly skipped: string[];
}

/** One round's state, shared by its passes over the two statuses. */
interface Pass {
  readonly now: Date;
  readonly closed: () => boolean;
  readonly result: RoundResult;
  /** Per route, whether its queue has messages ready (asked once a round). */
  readonly backlogs: Map<string, Promise<boolean>>;
  /** The candidates looked at this round. */
  readonly seen: Set<string>;
}

/**
 * Finds messages whose copy on the bus was lost while they waited RETRYING or HELD, and puts them
 * back: published again at the attempt the copy carried (a `recovered` stage; the status stays), or
 * FAILED when that cannot help (a request-reply caller that has gone, a body that was not kept).
 *
 * How a copy gets lost: RabbitMQ moves a copy out of its delay queue by dead-lettering, which for
 * classic queues is at most once — a broker killed at that moment can drop it (the fault test
 * "kill -9 of RabbitMQ mid-stream" met it); the in-process bus loses its waiting copies with the
 * process. A message counts as overdue once `graceMs` has passed since its copy was due (the wait
 * its `retry`/`held` stage announced, plus RabbitMQ's rounding) — and only while its route's queue
 * has nothing ready: a copy that is merely late (workers stopped, a backlog after an outage) waits
 * there, and is left to come.
 */
export class OverdueTries {
  /**
   * When a candidate looked at and found not yet overdue will be, for the change (updatedAt) that
   * was computed from: it is not loaded again before then — a long outage keeps thousands of
   * messages HELD, and each look reads a message's whole history.
   */
  private readonly notBefore = new Map<string, { readonly updatedAt: number; readonly at: number }>();

  constructor(private readonly options: OverdueTriesOptions) {}

  /** One pass over both statuses; each candidate's id lands in the list of what was done with it. */
  async round(now: Date, closed: () => boolean): Promise<RoundResult> {
    const result: RoundResult = { published: [], failed: [], skipped: [] };
    const pass: Pass = { now, closed, result, backlogs: new Map(), seen: new Set() };
    let complete = true;
    for (const status of WAITING) {
      if (!(await this.sweepStatus(status, pass))) complete = false;
      if (closed()) return result;
    }
    // Forget what no longer helps: a time that has passed, or (after a pass that saw every
    // candidate) a message no longer among them — it moved on, or changed since.
    for (const [id, known] of this.notBefore) {
      if (known.at <= now.getTime() || (complete && !pass.seen.has(id))) this.notBefore.delete(id);
    }
    return result;
  }

  /**
   * The candidates of one status, page by page, changed longest ago first: up to `batchSize`
   * loads and {@link MAX_PAGES} pages. Candidates known not to be overdue yet cost no load, so a
   * wall of messages waiting out long backoffs does not hide a lost copy behind it. True when
   * every candidate was seen.
   */
  private async sweepStatus(status: MessageStatus, pass: Pass): Promise<boolean> {
    const { log, logger, graceMs, batchSize } = this.options;
    const updatedBefore = new Date(pass.now.getTime() - graceMs);
    let loads = 0;
    let after: MessageQuery['changedAfter'];
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const candidates = await log.find({ status, updatedBefore, limit: batchSize, ...(after ? { changedAfter: after } : {}) });
      for (const candidate of candidates) {
        if (pass.closed() || loads >= batchSize) return false;
        pass.seen.add(candidate.id);
        const known = this.notBefore.get(candidate.id);
        if (known && known.updatedAt === candidate.updatedAt.getTime() && pass.now.getTime() < known.at) continue;
        loads += 1;
        let outcome: Outcome;
        try {
          outcome = await this.recover(candidate.id, pass.now, pass.backlogs);
        } catch (error) {
          logger.warn('could not put back a message whose copy on the bus was lost', { messageId: candidate.id, error: describeError(error) });
          outcome = 'skipped';
        }
        if (outcome !== 'waiting') pass.result[outcome].push(candidate.id);
      }
      const last = candidates.at(-1);
      if (candidates.length < batchSize || last === undefined) return true;
      after = { updatedAt: last.updatedAt, id: last.id };
    }
    return false;
  }

  private async recover(id: string, now: Date, backlogs: Map<string, Promise<boolean>>): Promise<Outcome> {
    const { log, broker, logger, graceMs } = this.options;
    const record = await log.load(id);
    if (!record || !WAITING.includes(record.status)) return 'skipped';
    // The stage that scheduled the copy; deliveries recorded after it by a handling it overtook keep
    // the status and announce nothing (route-worker.ts, recordReached).
    const last = record.stages.findLast((s) => !(s.stage.startsWith('deliver:') && s.status === record.status));
    if (!last || last.status !== record.status) return 'skipped';
    const dueAt = last.at.getTime() + (announcedWaitMs(last.detail) ?? LONGEST_WAIT_MS) * BUCKET_ROUNDING;
    if (now.getTime() < dueAt + graceMs) return this.waitUntil(record, dueAt + graceMs);
    if (await this.hasBacklog(record.routeId, backlogs)) return 'skipped';
    const context = { messageId: id, routeId: record.routeId, status: record.status, dueAt: new Date(dueAt).toISOString() };
    // Without a deadline nobody waits for the answer (an operator's replay): put back like one-way.
    const deadlineHeader = record.headers[DEADLINE_HEADER];
    if (record.pattern === 'request-reply' && deadlineHeader !== undefined) {
      if (Date.parse(deadlineHeader) > now.getTime()) return this.waitUntil(record, Date.parse(deadlineHeader)); // its caller still waits; after that, FAILED below
      return this.fail(record, 'expired', new JunctionError('JCT_REPLY_TIMEOUT',
        `Message ${id} was waiting for its next try, but its copy on the bus was lost and its caller has gone; it is not delivered. Replay it if it is still wanted.`,
        { details: { messageId: id } }));
    }
    // A replay keeps the body it was replayed with (given by the operator on a capture: none route).
    if (this.options.keepsPayload?.(record.routeId) === false && record.replayOf === undefined) {
      return this.fail(record, 'retry', new JunctionError('JCT_BROKER_UNAVAILABLE',
        `Message ${id} was waiting for its next try, but its copy on the bus was lost and its body was not kept (capture: none); it cannot be delivered.`,
        { details: { messageId: id } }));
    }
    // The copy the message waits for, as the worker's copy guard sees it (TransitionOptions.copy):
    // after a failed try the next attempt after the log's attempts; after a hold the same one,
    // marked held. The `recovered` stage keeps the log's attempts, so a later round (this one's
    // publish failed) gives the same copy again.
    const attempt = record.status === 'HELD' ? record.attempts : record.attempts + 1;
    // Recorded first, so the history reads in order (the new copy may be taken at once). The status
    // stays: the message still waits for that try. Should the publish fail, this stage announces no
    // wait, so the next round after the grace period tries again.
    const recorded = await log.transition(id, {
      stage: 'recovered', status: record.status, attempt: record.attempts, detail: recoveredDetail(new Date(dueAt), attempt),
    }, [record.status]);
    if (recorded !== 'applied') return 'skipped';
    await broker.publish(record.routeId, envelopeOf(record, attempt));
    this.options.metrics.recovered.inc({ route: record.routeId, reason: 'lost-copy' });
    logger.warn('a message waiting for its next try had lost its copy on the bus; published it again', context);
    return 'published';
  }

  private waitUntil(record: MessageRecord, at: number): Outcome {
    this.notBefore.set(record.id, { updatedAt: record.updatedAt.getTime(), at });
    return 'waiting';
  }

  private async fail(record: MessageRecord, stage: string, error: JunctionError): Promise<Outcome> {
    const applied = await this.options.log.transition(record.id, {
      stage, status: 'FAILED', attempt: Math.max(1, record.attempts), error: error.toJSON(),
      detail: 'its copy on the bus was lost; failed by the recovery sweep',
    }, [record.status]);
    if (applied !== 'applied') return 'skipped';
    this.options.logger.warn('a message waiting for its next try had lost its copy on the bus; marked FAILED', { messageId: record.id, code: error.code });
    this.options.metrics.recovered.inc({ route: record.routeId, reason: 'failed' });
    this.options.metrics.failed.inc({ route: record.routeId, endpoint: '', code: error.code });
    return 'failed';
  }

  /** True when the route's queue has messages ready (or cannot be counted): a late copy may be among them. */
  private hasBacklog(routeId: string, backlogs: Map<string, Promise<boolean>>): Promise<boolean> {
    let backlog = backlogs.get(routeId);
    if (backlog === undefined) {
      backlog = this.options.broker.queueDepth(routeId).then((depth) => depth.ready > 0, () => true);
      backlogs.set(routeId, backlog);
    }
    return backlog;
  }
}
