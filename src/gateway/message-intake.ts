import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Broker, PendingReply } from '../core/broker';
import { withChanges, type Envelope } from '../core/envelope';
import { describeError, JunctionError } from '../core/errors';
import { noJunctionMetrics, STAGES, type JunctionMetrics } from '../core/junction-metrics';
import type { Logger } from '../core/logger';
import { messageLogger } from '../core/message-logger';
import { secondsSince } from '../core/metrics';
import type { MessageRecord, TransactionLog } from '../core/transaction-log';
import { mayHaveCommitted, PendingRefusals, REFUSED_DETAIL } from './pending-refusals';

/** Per-message options of the intake. */
export interface IntakeOptions {
  /** False when the route's capture level is `none`: the log records the message without its body. */
  readonly keepPayload?: boolean;
  /** The caller's idempotency key (checked by the gateway with {@link checkIdempotencyKey}); scoped to the route. */
  readonly idempotencyKey?: string;
}

/** What {@link MessageIntake.accept} answers. */
export interface Accepted {
  /** The message that holds the request: this one, or the first one sent with the same idempotency key. */
  readonly messageId: string;
  /** True when an earlier request with the same idempotency key answered for this one. */
  readonly replayed: boolean;
  /** The message's status when answered (QUEUED for a new message; whatever it is now for a replay). */
  readonly status: string;
}

/** What {@link MessageIntake.request} answers. */
export interface Answered {
  readonly messageId: string;
  readonly replayed: boolean;
  readonly reply: Envelope;
}

/** Stage recorded by the gateway with the reply of a request-reply message sent with an idempotency key. */
export const REPLY_STAGE = 'reply';

/** Longest idempotency key; visible ASCII only, so it fits the column on every database. */
const IDEMPOTENCY_KEY = /^[\x21-\x7E]{1,255}$/;

/** True for a text the transaction log takes as an idempotency key as it is. */
export function isStorableIdempotencyKey(key: string): boolean {
  return IDEMPOTENCY_KEY.test(key);
}

/**
 * Returns the key if it is usable, undefined when absent; throws JCT_REQUEST_MALFORMED otherwise,
 * naming the key as `what` (e.g. "The Idempotency-Key HTTP header").
 */
export function checkIdempotencyKey(value: string | undefined, what = 'The idempotency key'): string | undefined {
  if (value === undefined) return undefined;
  const key = value.trim();
  if (!isStorableIdempotencyKey(key)) {
    throw new JunctionError('JCT_REQUEST_MALFORMED', `${what} must be 1 to 255 visible ASCII characters (a UUID is a good choice).`);
  }
  return key;
}

/** Hex SHA-256 of a body as received: what tells a repeat from a different request under the same key. */
export function bodyHash(body: string): string {
  return createHash('sha256').update(body, 'utf8').digest('hex');
}

/** True when the gateway refused the message to its caller (publish failed): the key's retry may resubmit it. */
function wasRefused(record: MessageRecord): boolean {
  const last = record.stages[record.stages.length - 1];
  return record.status === 'FAILED' && last?.stage === 'publish' && last.status === 'FAILED';
}

/** Options of {@link MessageIntake}. */
export interface MessageIntakeDeps {
  readonly log: TransactionLog;
  readonly broker: Broker;
  readonly logger: Logger;
  /**
   * How long a repeat (same idempotency key) of a one-way request waits for the first request's
   * outcome while the first is still being recorded and published (default 5000 ms); then 409.
   */
  readonly repeatWaitMs?: number;
  /**
   * After how long a message still RECEIVED counts as abandoned by the request that recorded it
   * (its gateway died, or lost the database, between recording and publishing), so that a repeat
   * with the same key takes it over (default 20 000 ms: longer than a publish and a log write can
   * take).
   */
  readonly abandonedAfterMs?: number;
  /** Where received/refused counts and stage timings go (default: nowhere). */
  readonly metrics?: JunctionMetrics;
}

/** Options of {@link MessageIntake.publishRecorded}. */
export interface PublishOptions {
  /**
   * Wait for the QUEUED mark and check that nothing refused the message meanwhile. Only a repeat
   * with the same idempotency key can refuse a message while it is being published (it takes over
   * one it finds abandoned): the intake asks for the check only for messages with a key. Without
   * it the caller is answered once the message is durable in the log and confirmed by the broker —
   * what "accepted" means — while the QUEUED mark, bookkeeping for the recovery sweep, is written
   * without a wait, deferrable: it joins the transaction of the gateway's next write (within a
   * quarter of a second), not one of its own.
   */
  readonly checkRefusal: boolean;
}

/** `rest` or `soap`: the gateway a message came through (the part of its source before the colon). */
function sourceKind(message: Envelope): string {
  const colon = message.source.indexOf(':');
  return colon < 0 ? message.source : message.source.slice(0, colon);
}

/** Rounds of "reopen, publish" a repeat tries when something refuses the message under it. */
const RESUBMIT_ROUNDS = 3;

/**
 * Accepts a message for every gateway: records it (RECEIVED), publishes it and waits for the
 * broker's confirm, then marks it QUEUED. The caller hears "accepted" only when both the log and
 * the broker hold the message; otherwise it gets a 503-class JunctionError and the message is
 * either absent from the log or marked FAILED — never delivered behind the caller's back.
 */
export class MessageIntake {
  private readonly refusals: PendingRefusals;
  private readonly repeatWaitMs: number;
  private readonly abandonedAfterMs: number;
  private readonly metrics: JunctionMetrics;

  constructor(private readonly deps: MessageIntakeDeps) {
    this.refusals = new PendingRefusals({ log: deps.log, logger: deps.logger });
    this.repeatWaitMs = deps.repeatWaitMs ?? 5000;
    this.abandonedAfterMs = deps.abandonedAfterMs ?? 20_000;
    this.metrics = deps.metrics ?? noJunctionMetrics;
  }

  /**
   * Runs one acceptance with the gateway's in-flight gauge, the `accept` timing, and the refused
   * count when it fails because the log or the broker is down; `work` gets the message's logger.
   */
  private async measured<T>(message: Envelope, work: (logger: Logger) => Promise<T>): Promise<T> {
    const { metrics } = this;
    const route = message.routeId;
    const logger = messageLogger(this.deps.logger, message);
    const started = performance.now();
    metrics.inFlight.inc({ route, role: 'gateway' });
    try {
      return await work(logger);
    } catch (error) {
      if (error instanceof JunctionError && (error.code === 'JCT_STORE_UNAVAILABLE' || error.code === 'JCT_BROKER_UNAVAILABLE')) {
        metrics.refused.inc({ route, code: error.code });
      }
      throw error;
    } finally {
      metrics.inFlight.dec({ route, role: 'gateway' });
      metrics.stageSeconds.observe({ route, stage: STAGES.accept }, secondsSince(started));
    }
  }

  /**
   * True while `messageId` was refused to its caller after a log write that may have been
   * committed, and is not yet marked FAILED: the recovery sweep must leave it alone.
   */
  isRefusalPending(messageId: string): boolean {
    return this.refusals.has(messageId);
  }

  /** Marks what it can of the pending refusals one last time (see {@link PendingRefusals}). */
  close(): Promise<void> {
    return this.refusals.close();
  }

  /**
   * Resolves once the message is durable in the log and confirmed by the broker. With an
   * idempotency key already used on the route for the same body, nothing new is created: the
   * answer names the first message (`replayed`) once the first request has an outcome — a first
   * message that was refused is published again, one whose request was abandoned half-way is taken
   * over; for a different body it throws JCT_IDEMPOTENCY_KEY_REUSED.
   */
  async accept(message: Envelope, options: IntakeOptions = {}): Promise<Accepted> {
    return this.measured(message, (logger) => this.acceptMessage(message, options, logger));
  }

  private async acceptMessage(message: Envelope, options: IntakeOptions, logger: Logger): Promise<Accepted> {
    const existing = await this.record(message, options);
    if (existing === undefined) {
      if (!(await this.publishRecorded(message, undefined, { checkRefusal: options.idempotencyKey !== undefined }))) throw this.refusedMeanwhile(message.id);
      logger.info('message accepted', { source: message.source, status: 'QUEUED' });
      return { messageId: message.id, replayed: false, status: 'QUEUED' };
    }
    const deadline = Date.now() + this.repeatWaitMs;
    let record = existing;
    let delay = 25;
    for (let rounds = 0; ;) {
      if (wasRefused(record)) {
        if (rounds >= RESUBMIT_ROUNDS) throw this.refusedMeanwhile(record.id);
        rounds += 1;
        const again = this.resubmission(message, record);
        if (await this.reopen(again) && await this.publishRecorded(again, undefined)) {
          logger.info('message accepted again (the caller retried with the same idempotency key)', { source: message.source, status: 'QUEUED' });
          return { messageId: again.id, replayed: false, status: 'QUEUED' };
        }
      } else if (record.status !== 'RECEIVED') {
        return { messageId: record.id, replayed: true, status: record.status };
      } else if (this.abandoned(record)) {
        await this.takeOver(record);
      } else if (Date.now() >= deadline) {
        throw new JunctionError('JCT_IDEMPOTENCY_IN_PROGRESS',
          `Message ${record.id}, the first request with this idempotency key, is still being accepted; try again shortly.`,
          { details: { messageId: record.id, status: record.status } });
      } else {
        await sleep(Math.min(delay, Math.max(1, deadline - Date.now())));
        delay = Math.min(delay * 2, 500);
      }
      record = await this.reload(record.id);
    }
  }

  /**
   * Request-reply: accepts the message like {@link accept}, then waits for the worker's answer.
   * Resolves with the reply message; throws the processing error (with the message id), or
   * JCT_REPLY_TIMEOUT when no answer came within `timeoutMs`.
   */
  async request(message: Envelope, timeoutMs: number, options: IntakeOptions = {}): Promise<Answered> {
    return this.measured(message, (logger) => this.requestMessage(message, timeoutMs, options, logger));
  }

  private async requestMessage(message: Envelope, timeoutMs: number, options: IntakeOptions, logger: Logger): Promise<Answered> {
    const pending = this.deps.broker.expectReply(message.id, timeoutMs);
    let existing: MessageRecord | undefined;
    try {
      existing = await this.record(message, options);
      if (existing === undefined
        && !(await this.publishRecorded(message, this.deps.broker.replyAddress(), { checkRefusal: options.idempotencyKey !== undefined }))) {
        throw this.refusedMeanwhile(message.id);
      }
    } catch (error) {
      pending.cancel();
      throw error;
    }
    if (existing === undefined) {
      return { messageId: message.id, replayed: false, reply: await this.awaitReply(message, pending, timeoutMs, options, logger) };
    }
    pending.cancel();
    if (existing.status === 'RECEIVED' && this.abandoned(existing)) {
      await this.takeOver(existing);
      existing = await this.reload(existing.id);
    }
    if (wasRefused(existing)) {
      const again = this.resubmission(message, existing);
      const resumed = this.deps.broker.expectReply(again.id, timeoutMs);
      let reopened = false;
      try {
        reopened = await this.reopen(again);
        if (reopened && !(await this.publishRecorded(again, this.deps.broker.replyAddress()))) throw this.refusedMeanwhile(again.id);
      } catch (error) {
        resumed.cancel();
        throw error;
      }
      if (reopened) return { messageId: again.id, replayed: false, reply: await this.awaitReply(again, resumed, timeoutMs, options, logger) };
      resumed.cancel();
    }
    return this.awaitStoredOutcome(existing.id, timeoutMs);
  }

  /** Waits for the worker's answer to a message this process published; keeps the reply when the request had a key. */
  private async awaitReply(message: Envelope, pending: PendingReply, timeoutMs: number, options: IntakeOptions, logger: Logger): Promise<Envelope> {
    let reply;
    const waiting = performance.now();
    try {
      reply = await pending.reply;
      this.metrics.stageSeconds.observe({ route: message.routeId, stage: STAGES.replyWait }, secondsSince(waiting));
    } catch (error) {
      if (error instanceof JunctionError && error.code === 'JCT_REPLY_TIMEOUT') {
        throw new JunctionError('JCT_REPLY_TIMEOUT', `No answer within ${timeoutMs} ms. Message ${message.id} was accepted; ask for its status before sending it again.`, {
          details: { messageId: message.id },
        });
      }
      if (error instanceof JunctionError && error.code === 'JCT_BROKER_UNAVAILABLE') {
        // The message is on the bus (its publish was confirmed): a 503 would say "not accepted" and invite a second one.
        throw new JunctionError('JCT_REPLY_TIMEOUT', `The connection to RabbitMQ was lost before the answer arrived. Message ${message.id} was accepted `
          + 'and is processed, or failed if its time runs out first; ask for its status before sending it again.', {
          details: { messageId: message.id }, cause: error,
        });
      }
      throw error;
    }
    if (reply.outcome === 'ok') {
      if (options.idempotencyKey !== undefined) await this.keepReply(message, reply.message);
      logger.info('message answered', { source: message.source });
      return reply.message;
    }
    const failure = JunctionError.fromJSON(reply.error);
    throw new JunctionError(failure.code, failure.message, {
      retryable: failure.retryable, violations: failure.violations, details: { ...failure.details, messageId: message.id },
    });
  }

  /**
   * Records the reply (stage `reply`, its body as the stage payload, its content type as the
   * detail) so a repeat of the request with the same idempotency key can be answered the same.
   * Best effort: the caller gets its answer even if this write fails.
   */
  private async keepReply(message: Envelope, reply: Envelope): Promise<void> {
    try {
      await this.deps.log.transition(message.id, {
        stage: REPLY_STAGE, status: 'DELIVERED', attempt: message.attempt, payload: reply.body, detail: reply.contentType,
      }, ['DELIVERED']);
    } catch (error) {
      this.deps.logger.warn('could not keep the reply for idempotent repeats', { messageId: message.id, correlationId: message.correlationId, error: describeError(error) });
    }
  }

  /**
   * A repeat of a request-reply request: answers with the first message's kept reply, or its
   * error if it FAILED; while it is still in flight, polls the log until `timeoutMs` has passed,
   * then throws JCT_IDEMPOTENCY_IN_PROGRESS.
   */
  private async awaitStoredOutcome(messageId: string, timeoutMs: number): Promise<Answered> {
    const deadline = Date.now() + timeoutMs;
    let delay = 25;
    for (;;) {
      const record = await this.deps.log.load(messageId);
      if (record === undefined) throw new JunctionError('JCT_INTERNAL', `Message ${messageId} vanished from the transaction log.`);
      const kept = [...record.stages].reverse().find((s) => s.stage === REPLY_STAGE && s.payload !== undefined);
      if (kept) {
        const reply: Envelope = Object.freeze({
          id: record.id, correlationId: record.correlationId, routeId: record.routeId, pattern: record.pattern,
          source: record.source, headers: Object.freeze({}), contentType: kept.detail ?? 'application/json',
          body: kept.payload ?? '', attempt: record.attempts, receivedAt: record.receivedAt.toISOString(),
        });
        return { messageId, replayed: true, reply };
      }
      if (record.status === 'FAILED') {
        const failure = JunctionError.fromJSON(record.lastError ?? { code: 'JCT_INTERNAL', message: 'The message failed.', retryable: false });
        throw new JunctionError(failure.code, failure.message, {
          retryable: failure.retryable, violations: failure.violations, details: { ...failure.details, messageId, idempotentReplay: true },
        });
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        const text = record.status === 'DELIVERED'
          ? `Message ${messageId}, the first request with this idempotency key, was delivered but its reply was not kept (its caller had gone); ask for its status.`
          : `Message ${messageId}, the first request with this idempotency key, is still ${record.status}; try again later or ask for its status.`;
        throw new JunctionError('JCT_IDEMPOTENCY_IN_PROGRESS', text, { details: { messageId, status: record.status } });
      }
      await sleep(Math.min(delay, left));
      delay = Math.min(delay * 2, 500);
    }
  }

  /**
   * Records a new message; with an idempotency key already taken on the route, records nothing and
   * returns the first message (same body) or throws JCT_IDEMPOTENCY_KEY_REUSED (different body).
   */
  private async record(message: Envelope, options: IntakeOptions): Promise<MessageRecord | undefined> {
    const { log, logger } = this.deps;
    const key = options.idempotencyKey;
    const hash = key === undefined ? undefined : bodyHash(message.body);
    try {
      const started = performance.now();
      // capture: none — the log keeps the message's history but not its content.
      await log.recordReceived(options.keepPayload === false ? withChanges(message, { body: '' }) : message,
        key === undefined ? {} : { idempotencyKey: key, bodyHash: hash });
      this.metrics.stageSeconds.observe({ route: message.routeId, stage: STAGES.record }, secondsSince(started));
      this.metrics.received.inc({ route: message.routeId, source: sourceKind(message) });
      return undefined;
    } catch (error) {
      if (key !== undefined && error instanceof JunctionError && error.code === 'JCT_IDEMPOTENCY_KEY_REUSED') {
        const first = await log.findByIdempotencyKey(message.routeId, key);
        if (first) {
          if (first.bodyHash !== hash) {
            throw new JunctionError('JCT_IDEMPOTENCY_KEY_REUSED',
              `Idempotency key "${key}" was already used with a different request (message ${first.id}); send a new request with a new key.`,
              { details: { messageId: first.id, idempotencyKey: key } });
          }
          logger.info('repeat of an idempotent request', { messageId: first.id, routeId: message.routeId });
          return first;
        }
      }
      logger.error('could not record a new message', { messageId: message.id, correlationId: message.correlationId, error: describeError(error) });
      const failure = error instanceof JunctionError && (error.code === 'JCT_STORE_UNAVAILABLE' || error.code === 'JCT_REQUEST_MALFORMED')
        ? error
        : new JunctionError('JCT_STORE_UNAVAILABLE', 'The transaction log could not record the message; nothing was accepted. Try again shortly.', { cause: error });
      // The insert may have been committed without us hearing so: make the log say "refused" once it answers.
      if (mayHaveCommitted(failure)) this.refusals.add(message.id, failure);
      throw failure;
    }
  }

  /** The first (refused) message again, carrying this request's headers (a fresh reply deadline). */
  private resubmission(message: Envelope, first: MessageRecord): Envelope {
    return Object.freeze({ ...message, id: first.id, correlationId: first.correlationId, receivedAt: first.receivedAt.toISOString() });
  }

  /** Moves a refused message back to RECEIVED for a retry with its key; false if another request did it first. */
  private async reopen(message: Envelope): Promise<boolean> {
    const result = await this.deps.log.transition(message.id, {
      stage: 'resubmitted', status: 'RECEIVED', attempt: message.attempt, detail: 'the caller retried with the same idempotency key',
    }, ['FAILED']);
    return result === 'applied';
  }

  /** The message as the log has it now (throws JCT_INTERNAL if it vanished). */
  private async reload(messageId: string): Promise<MessageRecord> {
    const record = await this.deps.log.load(messageId);
    if (record === undefined) throw new JunctionError('JCT_INTERNAL', `Message ${messageId} vanished from the transaction log.`);
    return record;
  }

  /** True for a message left RECEIVED for longer than any request takes between recording and publishing. */
  private abandoned(record: MessageRecord): boolean {
    return record.status === 'RECEIVED' && Date.now() - record.updatedAt.getTime() >= this.abandonedAfterMs;
  }

  /**
   * A repeat found the first message RECEIVED long after it was recorded: the request that recorded
   * it died or lost the log before publishing, and its caller — who is repeating now — never heard
   * "accepted". Marks it refused (from RECEIVED only), so the repeat can reopen and publish it as for
   * any refused message, and no sweep publishes it a second time.
   */
  private async takeOver(record: MessageRecord): Promise<void> {
    const error = new JunctionError('JCT_BROKER_UNAVAILABLE', `Message ${record.id} was recorded but its request never finished; its caller's repeat takes it over.`,
      { details: { messageId: record.id } });
    const result = await this.deps.log.transition(record.id, {
      stage: 'publish', status: 'FAILED', attempt: Math.max(1, record.attempts), error: error.toJSON(),
      detail: `${REFUSED_DETAIL} (abandoned half-way; taken over by a repeat)`,
    }, ['RECEIVED']);
    if (result === 'applied') this.deps.logger.warn('a repeat takes over a message its first request abandoned', { messageId: record.id });
  }

  private refusedMeanwhile(messageId: string): JunctionError {
    return new JunctionError('JCT_BROKER_UNAVAILABLE', 'The message was refused while it was being published; nothing was accepted. Try again shortly.',
      { details: { messageId } });
  }

  /**
   * Publishes a recorded (RECEIVED) message and marks it QUEUED. True when the message is accepted
   * (QUEUED, or already taken further by a worker); false when, after the publish, the log shows it
   * refused meanwhile (a repeat took it over): the caller must not be told "accepted" for it.
   * On a broker failure marks it FAILED (refused) and throws — unless a worker has the message
   * already (RabbitMQ stored it but its confirm was lost): then it was accepted after all.
   * The second half of intake, also used for an operator's replay (recorded by TransactionLog.recordReplay).
   * Without `checkRefusal` the QUEUED mark is written without waiting for it (see {@link PublishOptions}).
   */
  async publishRecorded(message: Envelope, replyTo: string | undefined, options: PublishOptions = { checkRefusal: true }): Promise<boolean> {
    const { log, broker, logger } = this.deps;
    try {
      const started = performance.now();
      await broker.publish(message.routeId, message, replyTo ? { replyTo } : {});
      this.metrics.stageSeconds.observe({ route: message.routeId, stage: STAGES.publish }, secondsSince(started));
    } catch (error) {
      const failure = error instanceof JunctionError && error.code === 'JCT_BROKER_UNAVAILABLE'
        ? error
        : new JunctionError('JCT_BROKER_UNAVAILABLE', 'The message broker did not take the message; nothing was accepted. Try again shortly.', { cause: error });
      // The caller is told "no": make sure no later sweep delivers it behind their back.
      let marked;
      try {
        marked = await log.transition(message.id, { stage: 'publish', status: 'FAILED', attempt: message.attempt, error: failure.toJSON(), detail: REFUSED_DETAIL }, ['RECEIVED']);
      } catch (markError) {
        logger.error('could not mark a refused message FAILED; will try again', { messageId: message.id, correlationId: message.correlationId, error: describeError(markError) });
        this.refusals.add(message.id, failure);
      }
      if (marked === 'skipped') {
        const now = await log.load(message.id).catch(() => undefined);
        if (now !== undefined && now.status !== 'RECEIVED' && !wasRefused(now)) {
          logger.warn('the broker reported a failed publish, but a worker has the message already: accepted', { messageId: message.id, status: now.status });
          return true;
        }
      }
      logger.error('publish failed; refusing the message', { messageId: message.id, correlationId: message.correlationId, error: describeError(error) });
      throw failure;
    }
    // Unchecked, nobody waits for the mark: it may join the next write's transaction (deferrable).
    const marking = log.transition(message.id, { stage: 'queued', status: 'QUEUED', attempt: message.attempt }, ['RECEIVED'],
      { deferrable: !options.checkRefusal });
    // Durable in both already; QUEUED is bookkeeping (it tells the recovery sweep the message was
    // published) and the worker moves the status on anyway.
    const unmarked = (error: unknown): void => {
      logger.warn('could not mark message QUEUED', { messageId: message.id, correlationId: message.correlationId, error: describeError(error) });
    };
    if (!options.checkRefusal) {
      marking.catch(unmarked);
      return true;
    }
    try {
      if (await marking === 'skipped' && wasRefused(await this.reload(message.id))) {
        logger.warn('a message was refused while it was being published; not accepting it', { messageId: message.id });
        return false;
      }
    } catch (error) {
      unmarked(error);
    }
    return true;
  }
}
