import type { Broker, Delivery, Reply, Subscription } from '../core/broker';
import { withChanges, type Envelope } from '../core/envelope';
import { describeError, JunctionError, toJunctionError } from '../core/errors';
import { DEADLINE_HEADER, RESUME_AT_HEADER, SKIP_ENDPOINTS_HEADER } from '../core/headers';
import { noJunctionMetrics, STAGES, type JunctionMetrics } from '../core/junction-metrics';
import { KeyedQueue } from '../core/keyed-queue';
import type { Logger } from '../core/logger';
import { messageLogger } from '../core/message-logger';
import { secondsSince } from '../core/metrics';
import { continueTrace } from '../core/trace-context';
import { maskJunctionError } from '../security/masking/mask-error';
import type { Masker } from '../security/masking/masker';
import type { MessageStatus } from '../core/message-status';
import { HELD_STAGE, type BusCopy, type StageEvent, type TransactionLog, type TransitionOptions } from '../core/transaction-log';
import type { CompiledRoute, CompiledRoutes, RetryPolicy } from './compiled-route';
import { UnrecordedDeliveries } from './unrecorded-deliveries';
import { CapturedStages, capturable } from './captured-stages';
import { planRoute, StageFailure } from './route-runner';
import { holdDetail, retryDetail } from './announced-wait';

/** Statuses from which a worker may (re)start processing; a redelivered PROCESSING message was cut off mid-way. */
const PROCESSABLE: readonly MessageStatus[] = ['RECEIVED', 'QUEUED', 'RETRYING', 'HELD', 'PROCESSING'];
/** Statuses in which processing has not begun. */
const NOT_STARTED: readonly MessageStatus[] = ['RECEIVED', 'QUEUED', 'RETRYING', 'HELD'];
/** Statuses in which a message waits for another try (its copy on the bus). */
const WAITING: readonly MessageStatus[] = ['RETRYING', 'HELD'];

/**
 * Set on the copy of a message held for an open circuit: how many times it has been held. It comes
 * back at the same attempt, so this is what tells the worker to skip the recipients already reached.
 */
export const HELD_HEADER = 'x-junction-held';

/** Which copy of its message an envelope is: its attempt and the holds it has been through. */
function busCopy(message: Envelope): BusCopy {
  const held = Number(message.headers[HELD_HEADER] ?? 0);
  return { attempt: message.attempt, held: Number.isInteger(held) && held >= 0 ? held : 0 };
}

/**
 * The options of a handling's outcome (RETRYING, HELD, FAILED): its captured stages go with it, and
 * it is not recorded once a later copy's handling has begun (TransitionOptions.handling).
 */
function outcomeOptions(message: Envelope, captured: CapturedStages): TransitionOptions {
  return { ...captured.take(), handling: busCopy(message) };
}

/** The error an endpoint behind an open circuit breaker fails with, without calling its backend. */
const CIRCUIT_OPEN = 'JCT_ENDPOINT_CIRCUIT_OPEN';

function isCircuitOpen(reason: unknown): boolean {
  return reason instanceof StageFailure && reason.error.code === CIRCUIT_OPEN;
}

/**
 * True for a failure of Junction's own infrastructure while processing (the transaction log
 * could not be written or read), as opposed to a failure of the message at a step or endpoint
 * (those come wrapped in a StageFailure). Such a failure says nothing about the message: the
 * handler fails, the bus gives the message back later at the same attempt, and it is never
 * retried as a try nor marked FAILED for it.
 */
function isInfrastructureFailure(reason: unknown): boolean {
  return !(reason instanceof StageFailure) && reason instanceof JunctionError
    && (reason.code === 'JCT_STORE_UNAVAILABLE' || reason.code === 'JCT_BROKER_UNAVAILABLE');
}

/**
 * How long a message held for an open circuit waits: the breaker's remaining open time plus up to
 * 20 % (at most 5 s) of it, so the held messages do not all come back at the same instant.
 */
export function holdDelayMs(retryAfterMs: number, random: () => number = Math.random): number {
  const wait = Math.max(1, Math.round(retryAfterMs));
  return wait + Math.round(Math.min(wait * 0.2, 5000) * random());
}

/** What a worker needs. */
export interface RouteWorkerDeps {
  readonly broker: Broker;
  readonly log: TransactionLog;
  readonly routes: CompiledRoutes;
  readonly logger: Logger;
  /** Unacknowledged messages held per route. */
  readonly prefetch: number;
  /** Masks the message's sensitive values wherever a failure quotes them (logs, the log's errors, replies). */
  readonly masker?: Masker;
  /** Where delivered/failed/retried/held counts and stage timings go (default: nowhere). */
  readonly metrics?: JunctionMetrics;
}

/** What one handling's processing came to. */
interface Processed {
  /** The answer for a request-reply caller (after the reply steps). */
  readonly reply: Envelope;
  /**
   * False when the message's DELIVERED could not be recorded because another handling had settled
   * it meanwhile (a copy that took over): this handling's outcome is not the message's.
   */
  readonly recorded: boolean;
  /** Recipients this handling called (every one answered). */
  readonly sent: number;
}

/** Request-reply: time a try's answer needs to travel back to the caller, kept free before the deadline. */
const REPLY_SLACK_MS = 100;

/** The policy of a route without one (built by hand): tried once. */
const TRY_ONCE: RetryPolicy = { attempts: 1, initialDelayMs: 1, multiplier: 1, maxDelayMs: 1, jitter: 0 };

/**
 * How long to wait after try `attempt` (1-based) failed before the next one:
 * min(maxDelayMs, initialDelayMs × multiplier^(attempt−1)), spread by ± jitter (a fraction of that
 * wait; never above maxDelayMs). `random` returns a number in [0, 1).
 */
export function retryDelayMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.multiplier ** Math.max(0, attempt - 1));
  const spread = base * policy.jitter * (2 * random() - 1);
  return Math.max(0, Math.min(policy.maxDelayMs, Math.round(base + spread)));
}

/** The stage, error and endpoint of a processing failure, for the stage history. */
function describeFailure(error: unknown): { stage: string; failure: JunctionError; endpoint?: string } {
  const stage = error instanceof StageFailure ? error.stage : 'processing';
  const failure = error instanceof StageFailure ? error.error : toJunctionError(error);
  const endpoint = stage.startsWith('deliver:') ? stage.slice('deliver:'.length) : undefined;
  return { stage, failure, ...(endpoint ? { endpoint } : {}) };
}

/**
 * Consumes every route's queue, runs the route's steps, delivers to its endpoints and records
 * each outcome. A message is acknowledged only after its outcome is in the transaction log; if
 * the log cannot be written the handler fails and the bus redelivers the message later.
 * Request-reply messages get their answer (or error) sent back to the waiting gateway after the
 * outcome is recorded.
 */
export class RouteWorker {
  private subscriptions: Subscription[] = [];
  private readonly perMessage = new KeyedQueue();
  private readonly unrecorded = new UnrecordedDeliveries();
  private readonly metrics: JunctionMetrics;

  constructor(private readonly deps: RouteWorkerDeps) {
    this.metrics = deps.metrics ?? noJunctionMetrics;
  }

  /** Starts one consumer per route. */
  async start(): Promise<void> {
    for (const route of this.deps.routes.routes) {
      const subscription = await this.deps.broker.consume(route.id, (message, delivery) => this.handle(route, message, delivery), {
        prefetch: this.deps.prefetch,
      });
      this.subscriptions.push(subscription);
    }
  }

  /**
   * Stops consuming and waits for the messages in flight: each finishes and is acked once its
   * outcome is recorded; one waiting to be requeued after a failure is requeued at once.
   */
  async close(): Promise<void> {
    const subscriptions = this.subscriptions;
    this.subscriptions = [];
    if (subscriptions.length > 0) this.deps.logger.info('worker stopping: no new messages; finishing those in flight', { inFlight: this.perMessage.size });
    await Promise.all(subscriptions.map((s) => s.cancel()));
    if (subscriptions.length > 0) this.deps.logger.info('worker stopped: every message in flight finished or returned to the bus');
  }

  /**
   * Processes one message; resolves once its outcome is recorded (then the bus acks it). Copies of
   * one message id are handled one after another within this process (see {@link KeyedQueue}).
   */
  handle(route: CompiledRoute, message: Envelope, delivery: Delivery): Promise<void> {
    return this.perMessage.run(message.id, () => this.handleOne(route, message, delivery));
  }

  private async handleOne(route: CompiledRoute, incoming: Envelope, delivery: Delivery): Promise<void> {
    // This worker is the next hop of the message's trace: backends see its span as their parent.
    const message = withChanges(incoming, { headers: continueTrace(incoming.headers) });
    const logger = messageLogger(this.deps.logger, message, { attempt: message.attempt });
    const labels = { route: route.id, role: 'worker' };
    const started = performance.now();
    this.metrics.inFlight.inc(labels);
    try {
      await this.handleMessage(route, message, delivery, logger);
    } finally {
      this.metrics.inFlight.dec(labels);
      this.metrics.stageSeconds.observe({ route: route.id, stage: STAGES.process }, secondsSince(started));
    }
  }

  private async handleMessage(route: CompiledRoute, message: Envelope, delivery: Delivery, logger: Logger): Promise<void> {
    if (await this.expired(message, logger)) return;
    const beginning = performance.now();
    if (!(await this.begin(route, message, delivery, logger))) return;
    this.metrics.stageSeconds.observe({ route: route.id, stage: STAGES.begin }, secondsSince(beginning));

    const startedAt = Date.now();
    // Captured steps wait for this handling's next write (its outcome, usually) and go with it.
    const captured = new CapturedStages(message.attempt, message.body);
    let processed: Processed;
    try {
      processed = await this.process(route, message, delivery, logger, route.capture === 'steps' ? captured : undefined);
    } catch (error) {
      if (isInfrastructureFailure(error)) {
        logger.warn('could not record the processing of a message; the bus will give it back', { error: describeError(error) });
        throw error;
      }
      const described = describeFailure(error);
      const { stage, endpoint } = described;
      const { masker } = this.deps;
      const failure = masker ? maskJunctionError(described.failure, masker, masker.sensitiveValues(message.body, message.contentType)) : described.failure;
      if (failure.code === 'JCT_INTERNAL') logger.error('unexpected error while processing', { stage, error: describeError(failure.cause ?? failure) });
      else logger.warn('message failed', { stage, code: failure.code, error: failure.message });
      if (failure.code === CIRCUIT_OPEN) {
        if (await this.hold(route, message, delivery, failure, stage, Date.now() - startedAt, logger, captured)) return;
      } else if (await this.retry(route, message, delivery, failure, stage, Date.now() - startedAt, logger, captured)) return;
      const failed = await this.deps.log.transition(message.id, {
        stage, status: 'FAILED', attempt: message.attempt, durationMs: Date.now() - startedAt, error: failure.toJSON(),
        ...(endpoint ? { endpoint } : {}),
      }, ['PROCESSING'], outcomeOptions(message, captured));
      if (failed !== 'applied') {
        await this.overtaken(message, logger, 'recording FAILED');
        return;
      }
      this.metrics.failed.inc({ route: route.id, endpoint: endpoint ?? '', code: failure.code });
      this.observeEndToEnd(route, message, 'failed');
      logger.warn('message FAILED: parked for an operator', { stage, code: failure.code, durationMs: Date.now() - startedAt });
      await this.park(route, message, failure, logger);
      await this.sendReply(delivery, { requestId: message.id, outcome: 'error', error: failure.toJSON() }, logger);
      return;
    }
    const { reply, recorded, sent } = processed;
    if (recorded) {
      this.observeEndToEnd(route, message, 'delivered');
      logger.info('message delivered', { durationMs: Date.now() - startedAt });
    } else if (sent > 0) {
      // Another handling (a copy that took over, docs/delivery.md "Limits, honestly") recorded the outcome first.
      const status = (await this.deps.log.load(message.id).catch(() => undefined))?.status;
      if (status === 'DELIVERED') {
        logger.warn('message delivered again: another handling had settled it DELIVERED meanwhile, so a backend received this id twice', { durationMs: Date.now() - startedAt });
      } else {
        logger.warn(`message delivered, but another handling had settled it ${status ?? 'elsewhere'} meanwhile; that outcome stands`, { durationMs: Date.now() - startedAt });
      }
    } else {
      logger.info('message already settled by another handling; nothing delivered', { durationMs: Date.now() - startedAt });
    }
    if (route.pattern === 'request-reply') await this.sendReply(delivery, { requestId: message.id, outcome: 'ok', message: reply }, logger);
  }

  /** From the gateway's receipt to the outcome recorded (first attempts only: a retry's wait is the policy's, not Junction's). */
  private observeEndToEnd(route: CompiledRoute, message: Envelope, outcome: 'delivered' | 'failed'): void {
    const receivedAt = Date.parse(message.receivedAt);
    if (message.attempt === 1 && Number.isFinite(receivedAt)) {
      this.metrics.endToEndSeconds.observe({ route: route.id, outcome }, Math.max(0, Date.now() - receivedAt) / 1000);
    }
  }

  /**
   * Schedules the next try of a message that failed with a retryable error and has tries left:
   * records RETRYING, then publishes a copy with `attempt + 1` (same id) to come back after the
   * backoff; the caller then acks this delivery. False (the caller records FAILED) when the error is
   * permanent, the tries are used up, or — request-reply — the next try could not finish before the
   * caller's deadline (it would start after it, or too close to it for a try as long as this one).
   * Throws when the copy cannot be published (the broker is down, most likely): the bus gives this
   * delivery back, and as the message now waits for attempt + 1 it is acknowledged without a try
   * ({@link begin}); the recovery sweep publishes the missing copy once it is overdue.
   */
  private async retry(route: CompiledRoute, message: Envelope, delivery: Delivery, failure: JunctionError, stage: string, durationMs: number,
    logger: Logger, captured: CapturedStages): Promise<boolean> {
    const policy = route.retry ?? TRY_ONCE;
    if (!failure.retryable || message.attempt >= policy.attempts) return false;
    const delayMs = retryDelayMs(policy, message.attempt);
    const deadline = message.headers[DEADLINE_HEADER];
    // The next try must also have time to finish (as long as this one took, plus slack for the bus).
    if (message.pattern === 'request-reply' && deadline && Date.parse(deadline) <= Date.now() + delayMs + durationMs + REPLY_SLACK_MS) {
      logger.info('not retrying: the next try could not finish before the caller stops waiting', { attempt: message.attempt, delayMs });
      return false;
    }
    const next = message.attempt + 1;
    const scheduled = await this.deps.log.transition(message.id, {
      stage: 'retry', status: 'RETRYING', attempt: message.attempt, durationMs, error: failure.toJSON(),
      ...(stage.startsWith('deliver:') ? { endpoint: stage.slice('deliver:'.length) } : {}),
      detail: retryDetail(next, policy.attempts, delayMs, stage),
    }, ['PROCESSING'], outcomeOptions(message, captured));
    if (scheduled !== 'applied') return this.overtaken(message, logger);
    try {
      await this.deps.broker.publishDelayed(route.id, withChanges(message, { attempt: next }), delayMs,
        delivery.replyTo === undefined ? {} : { replyTo: delivery.replyTo });
    } catch (error) {
      logger.warn('could not schedule the next try; the bus will redeliver this one', { error: describeError(error) });
      throw error;
    }
    this.metrics.retried.inc({ route: route.id, endpoint: stage.startsWith('deliver:') ? stage.slice('deliver:'.length) : '' });
    logger.info('message will be tried again', { stage, code: failure.code, attempt: next, of: policy.attempts, delayMs });
    return true;
  }

  /**
   * Holds a message whose endpoint's circuit is open: records HELD (stage `held`), then publishes a
   * copy at the SAME attempt — a hold does not use up a try — to come back once the breaker lets a
   * trial through; the caller then acks this delivery. False (the caller records FAILED) for a
   * request-reply message whose caller would stop waiting before then. Throws when the copy cannot
   * be published: the bus gives this delivery back, it is acknowledged without a try (the message
   * now waits for a copy held once more: {@link begin}), and the recovery sweep publishes the held
   * copy once it is overdue.
   */
  private async hold(route: CompiledRoute, message: Envelope, delivery: Delivery, failure: JunctionError, stage: string, durationMs: number,
    logger: Logger, captured: CapturedStages): Promise<boolean> {
    const retryAfter = Number(failure.details['retryAfterMs']);
    const delayMs = holdDelayMs(Number.isFinite(retryAfter) ? retryAfter : 1000);
    const endpoint = String(failure.details['endpoint'] ?? stage.replace(/^deliver:/, ''));
    const deadline = message.headers[DEADLINE_HEADER];
    if (message.pattern === 'request-reply' && deadline && Date.parse(deadline) <= Date.now() + delayMs + durationMs + REPLY_SLACK_MS) {
      logger.info('not holding: the endpoint would still be down when the caller stops waiting', { endpoint, delayMs });
      return false;
    }
    const held = busCopy(message).held + 1;
    const holding = await this.deps.log.transition(message.id, {
      stage: HELD_STAGE, status: 'HELD', attempt: message.attempt, durationMs, error: failure.toJSON(), endpoint,
      detail: holdDetail(endpoint, delayMs),
    }, ['PROCESSING'], outcomeOptions(message, captured));
    if (holding !== 'applied') return this.overtaken(message, logger);
    try {
      await this.deps.broker.publishDelayed(route.id, withChanges(message, { headers: { ...message.headers, [HELD_HEADER]: String(held) } }), delayMs,
        delivery.replyTo === undefined ? {} : { replyTo: delivery.replyTo });
    } catch (error) {
      logger.warn('could not schedule the held message; the bus will redeliver this one', { error: describeError(error) });
      throw error;
    }
    this.metrics.held.inc({ route: route.id, endpoint });
    logger.info('message held: its endpoint is down', { endpoint, attempt: message.attempt, delayMs, held });
    return true;
  }

  /**
   * An outcome (RETRYING, HELD, FAILED) not recorded because another handling (a copy that took
   * over) settled the message meanwhile, scheduled its next try, or began a later one (TransitionOptions.handling).
   * That one decides; this handling schedules no copy of its own (a second chain of tries), sends
   * no answer, and its delivery is acknowledged. True: handled.
   */
  private async overtaken(message: Envelope, logger: Logger, not = 'scheduling another try'): Promise<boolean> {
    const status = (await this.deps.log.load(message.id).catch(() => undefined))?.status;
    const why = status === 'PROCESSING'
      ? 'another handling has carried it on to a later try meanwhile; that one decides'
      : `another handling had settled it ${status ?? 'elsewhere'} meanwhile; that outcome stands`;
    logger.warn(`not ${not}: ${why}`, { attempt: message.attempt });
    return true;
  }

  /** Best effort, after FAILED is recorded: parks the message on its dead-letter queue for operators. */
  private async park(route: CompiledRoute, message: Envelope, failure: JunctionError, logger: Logger): Promise<void> {
    await this.deps.broker.deadLetter(route.id, message, failure.toJSON())
      .catch((error: unknown) => logger.warn('could not park the failed message on the dead-letter queue; it stays FAILED in the log', { error: describeError(error) }));
  }

  /**
   * A request-reply message whose caller stopped waiting before processing began is not
   * delivered at all: FAILED with JCT_REPLY_TIMEOUT, so a late success never surprises anyone.
   */
  private async expired(message: Envelope, logger: Logger): Promise<boolean> {
    const deadline = message.headers[DEADLINE_HEADER];
    if (message.pattern !== 'request-reply' || !deadline || Date.parse(deadline) > Date.now()) return false;
    const error = new JunctionError('JCT_REPLY_TIMEOUT', 'The caller had stopped waiting before processing began, so the message was not delivered. Replay it if it is still wanted.');
    const result = await this.deps.log.transition(message.id, { stage: 'expired', status: 'FAILED', attempt: message.attempt, error: error.toJSON() }, NOT_STARTED,
      { copy: busCopy(message) });
    if (result === 'applied') logger.warn('request expired before processing; not delivered');
    return result === 'applied';
  }

  /**
   * Marks the message PROCESSING; false when the log shows it settled already (never deliver twice).
   * Only a redelivered copy may take over a message the log shows PROCESSING (its first handling was
   * cut off). A fresh copy meeting PROCESSING is a second copy of a message being handled right now
   * elsewhere (a gateway published it again after a lost confirm, say): it is given back to the bus
   * (JCT_MESSAGE_IN_FLIGHT) and comes back later as redelivered, by when the log has the outcome.
   * A copy older than the one the message waits for (RETRYING or HELD: see
   * TransitionOptions.copy) is acknowledged without a try: the copy it waits for is on the bus, or
   * the recovery sweep puts one back.
   */
  private async begin(route: CompiledRoute, message: Envelope, delivery: Delivery, logger: Logger): Promise<boolean> {
    const { log } = this.deps;
    const processing = { stage: 'processing', status: 'PROCESSING' as const, attempt: message.attempt, ...(delivery.redelivered ? { detail: 'redelivered' } : {}) };
    const from = delivery.redelivered ? PROCESSABLE : NOT_STARTED;
    const guard = { copy: busCopy(message) };
    let started = await log.transition(message.id, processing, from, guard);
    if (started === 'missing') {
      // Published but not in the log (a log restored from backup, say): record it rather than lose it.
      logger.warn('message on the bus was not in the transaction log; recording it now');
      await log.recordReceived(message);
      started = await log.transition(message.id, processing, from, guard);
    }
    if (started === 'applied') return true;
    this.unrecorded.forget(message.id);
    if (started === 'skipped') {
      const record = await log.load(message.id);
      if (record?.status === 'PROCESSING' && !delivery.redelivered) {
        this.metrics.copiesSkipped.inc({ route: route.id, reason: 'in-flight' });
        throw new JunctionError('JCT_MESSAGE_IN_FLIGHT', `Message ${message.id} is being processed by another handling; this copy goes back to the bus and is looked at again later.`,
          { details: { messageId: message.id } });
      }
      if (record !== undefined && WAITING.includes(record.status)) {
        this.metrics.copiesSkipped.inc({ route: route.id, reason: 'outdated' });
        logger.info(`copy outdated: the message is ${record.status} after attempt ${record.attempts} and waits for another copy; acknowledging this one without a try`,
          { status: record.status, attempts: record.attempts, held: guard.copy.held });
        return false;
      }
    }
    this.metrics.copiesSkipped.inc({ route: route.id, reason: 'settled' });
    logger.info('message already settled; acknowledging without delivering it again');
    return false;
  }

  /**
   * Plans the route (steps, choice of recipients, their own steps), delivers to every chosen
   * endpoint at once — a slow or failing one does not hold the others back — and records
   * DELIVERED; for request-reply routes runs the reply steps on the answer and returns it.
   * Endpoints a redelivered message already reached are skipped, so each delivery is retried on
   * its own.
   */
  private async process(route: CompiledRoute, message: Envelope, delivery: Delivery, logger: Logger, captured: CapturedStages | undefined): Promise<Processed> {
    const { log } = this.deps;
    const context = { routeId: route.id, logger, original: message };
    const capture = captured !== undefined;
    let plan;
    try {
      plan = await planRoute(route, message, context, captured ? async (stage) => { captured.add(stage); } : undefined, message.headers[RESUME_AT_HEADER]);
    } catch (error) {
      throw error instanceof StageFailure ? error : new StageFailure('processing', toJunctionError(error));
    }
    for (const stage of plan.trace.stages) this.metrics.stageSeconds.observe({ route: route.id, stage: stage.stage }, stage.seconds);
    const done = delivery.redelivered || message.attempt > 1 || message.headers[HELD_HEADER] !== undefined ? await this.reachedEndpoints(message.id) : new Set<string>();
    // A replay skips the recipients its original already reached (docs/operators.md).
    for (const endpoint of (message.headers[SKIP_ENDPOINTS_HEADER] ?? '').split(',')) if (endpoint) done.add(endpoint);
    const single = plan.deliveries.length === 1;
    // Several recipients each record their delivery as it happens: the captured steps go first, on their own.
    if (!single) await captured?.flush(log, message.id);
    let recorded = await this.recordLate(message, plan.deliveries.map((d) => d.endpoint), done, single, logger, captured);
    const pending = plan.deliveries.filter((d) => !done.has(d.endpoint));
    const outcomes = await Promise.allSettled(pending.map(async (planned) => {
      const endpoint = this.deps.routes.endpoints.get(planned.endpoint);
      if (!endpoint) throw new JunctionError('JCT_INTERNAL', `Endpoint "${planned.endpoint}" is not built`);
      const sentAt = Date.now();
      const sending = performance.now();
      let answer;
      try {
        answer = await endpoint.send(planned.message, { routeId: route.id, logger });
      } catch (error) {
        throw new StageFailure(`deliver:${planned.endpoint}`, toJunctionError(error));
      } finally {
        this.metrics.stageSeconds.observe({ route: route.id, stage: `deliver:${planned.endpoint}` }, secondsSince(sending));
      }
      const stage = {
        stage: `deliver:${planned.endpoint}`, attempt: message.attempt, endpoint: planned.endpoint, durationMs: Date.now() - sentAt,
        ...(capture ? { payload: capturable(planned.message.body) } : {}),
      };
      try {
        if (single) {
          recorded = (await log.transition(message.id, { ...stage, status: 'DELIVERED' }, ['PROCESSING'], captured?.take())) === 'applied';
          if (!recorded) await this.keepReached(message.id, stage, captured?.shared());
        }
        else if (!(await this.recordReached(message.id, stage, captured?.shared()))) {
          logger.warn('delivered to a recipient, but another handling had settled the message meanwhile; this delivery is not in the log', { endpoint: planned.endpoint });
        }
      } catch (error) {
        // The backend has it; the log does not say so. If the message comes back here, record instead of resending.
        if (message.pattern === 'one-way') this.unrecorded.remember(message.id, planned.endpoint);
        throw error;
      }
      this.metrics.delivered.inc({ route: route.id, endpoint: planned.endpoint });
      return withChanges(planned.message, { body: answer.body, contentType: answer.contentType });
    }));
    const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed.length > 0) {
      if (failed.length > 1) logger.warn('several recipients failed', { count: failed.length });
      // A real failure decides (retry or FAILED); only when every failed recipient is merely behind an
      // open circuit is the message held — for the longest of their waits.
      const reasons = failed.map((f) => f.reason as unknown);
      // The log failed while recording a delivery: the message's state is unknown, the bus gives it back.
      const infrastructure = reasons.find(isInfrastructureFailure);
      if (infrastructure !== undefined) throw infrastructure;
      const blocking = reasons.find((r) => !isCircuitOpen(r));
      if (blocking !== undefined) throw blocking;
      const waitOf = (r: unknown): number => Number((r as StageFailure).error.details['retryAfterMs'] ?? 0);
      throw reasons.reduce((longest, r) => (waitOf(r) > waitOf(longest) ? r : longest));
    }
    if (!single || pending.length === 0) {
      recorded = (await log.transition(message.id, {
        stage: 'delivered', status: 'DELIVERED', attempt: message.attempt,
        detail: `to ${plan.deliveries.map((d) => d.endpoint).join(', ')}${done.size > 0 ? ` (already reached before: ${[...done].join(', ')})` : ''}`,
      }, ['PROCESSING'], captured?.take())) === 'applied' || (single && recorded);
    }
    let answer = outcomes[0]?.status === 'fulfilled' ? outcomes[0].value : message;
    for (const step of route.replySteps) {
      try {
        answer = await step.run(answer, context);
      } catch (error) {
        throw new StageFailure(`reply-step:${step.name}`, toJunctionError(error));
      }
    }
    return { reply: answer, recorded, sent: pending.length };
  }

  /**
   * Records the deliveries of this message that an earlier handling in this process made but could
   * not record (see {@link UnrecordedDeliveries}), and adds them to `done` so they are not made
   * again. For a single recipient that is the message's DELIVERED; true when that was recorded here.
   */
  private async recordLate(message: Envelope, endpoints: readonly string[], done: Set<string>, single: boolean, logger: Logger,
    captured: CapturedStages | undefined): Promise<boolean> {
    const remembered = this.unrecorded.of(message.id);
    let recorded = false;
    for (const endpoint of endpoints) {
      if (!remembered.has(endpoint) || done.has(endpoint)) continue;
      const late = {
        stage: `deliver:${endpoint}`, attempt: message.attempt, endpoint,
        detail: 'delivered by an earlier handling; recorded late (the transaction log had failed)',
      };
      if (!single) await this.recordReached(message.id, late);
      else if ((await this.deps.log.transition(message.id, { ...late, status: 'DELIVERED' }, ['PROCESSING'], captured?.take())) === 'applied') recorded = true;
      logger.info('recorded a delivery the log had failed to record; not sending it again', { endpoint });
      done.add(endpoint);
    }
    this.unrecorded.forget(message.id);
    return recorded;
  }

  /**
   * Records the delivery to one of several recipients: a PROCESSING stage, only while the message is
   * PROCESSING — had another handling settled it meanwhile (docs/delivery.md, "Limits, honestly"), an
   * unguarded write would move its status back and this handling's closing DELIVERED would overwrite
   * that outcome. When the other handling left it waiting for another try (RETRYING, HELD), the
   * delivery is recorded all the same, keeping that status, so that try skips this recipient (best
   * effort). False when it is not in the log (the message was settled DELIVERED or FAILED meanwhile).
   */
  private async recordReached(messageId: string, stage: Omit<StageEvent, 'status'>, options?: TransitionOptions): Promise<boolean> {
    if ((await this.deps.log.transition(messageId, { ...stage, status: 'PROCESSING' }, ['PROCESSING'], options)) !== 'skipped') return true;
    return this.keepReached(messageId, stage, options);
  }

  /**
   * A delivery made while another handling settled the message: recorded (keeping the status) only
   * if it waits for another try (RETRYING, HELD), so that try skips the recipient; best effort.
   */
  private async keepReached(messageId: string, stage: Omit<StageEvent, 'status'>, options?: TransitionOptions): Promise<boolean> {
    const { log } = this.deps;
    try {
      const status = (await log.load(messageId))?.status;
      if (status === undefined || !WAITING.includes(status)) return false;
      return (await log.transition(messageId, { ...stage, status }, [status], options)) === 'applied';
    } catch (error) {
      this.deps.logger.warn('could not record a delivery to a message another handling had settled meanwhile', { messageId, endpoint: stage.endpoint, error: describeError(error) });
      return false;
    }
  }

  /** Endpoints this message already reached (stages of earlier tries), to deliver only to the rest. */
  private async reachedEndpoints(messageId: string): Promise<Set<string>> {
    const record = await this.deps.log.load(messageId);
    const reached = (record?.stages ?? []).filter((s) => s.stage.startsWith('deliver:') && s.endpoint && !s.error && s.status !== 'FAILED');
    return new Set(reached.map((s) => String(s.endpoint)));
  }

  /** Best effort: the outcome is already in the log, so a caller that has gone loses nothing. */
  private async sendReply(delivery: Delivery, reply: Reply, logger: Logger): Promise<void> {
    if (!delivery.replyTo) return;
    await this.deps.broker.reply(delivery.replyTo, reply)
      .catch((error: unknown) => logger.warn('could not send the reply; the caller will time out', { error: describeError(error) }));
  }
}
