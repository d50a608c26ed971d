import type { Broker, Delivery, Reply, Subscription } from '../core/broker';
import { withChanges, type Envelope } from '../core/envelope';
import { describeError, JunctionError, toJunctionError } from '../core/errors';
import { DEADLINE_HEADER } from '../core/headers';
import type { Logger } from '../core/logger';
import type { MessageStatus } from '../core/message-status';
import type { TransactionLog } from '../core/transaction-log';
import type { CompiledRoute, CompiledRoutes } from './compiled-route';

/** Statuses from which a worker may (re)start processing; a redelivered PROCESSING message was cut off mid-way. */
const PROCESSABLE: readonly MessageStatus[] = ['RECEIVED', 'QUEUED', 'RETRYING', 'PROCESSING'];
/** Statuses in which processing has not begun. */
const NOT_STARTED: readonly MessageStatus[] = ['RECEIVED', 'QUEUED', 'RETRYING'];

/** What a worker needs. */
export interface RouteWorkerDeps {
  readonly broker: Broker;
  readonly log: TransactionLog;
  readonly routes: CompiledRoutes;
  readonly logger: Logger;
  /** Unacknowledged messages held per route. */
  readonly prefetch: number;
}

/** Where processing stands when something fails, for the stage history. */
interface Progress {
  stage: string;
  current: Envelope;
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

  constructor(private readonly deps: RouteWorkerDeps) {}

  /** Starts one consumer per route. */
  async start(): Promise<void> {
    for (const route of this.deps.routes.routes) {
      const subscription = await this.deps.broker.consume(route.id, (message, delivery) => this.handle(route, message, delivery), {
        prefetch: this.deps.prefetch,
      });
      this.subscriptions.push(subscription);
    }
  }

  /** Stops consuming and waits for messages in flight. */
  async close(): Promise<void> {
    const subscriptions = this.subscriptions;
    this.subscriptions = [];
    await Promise.all(subscriptions.map((s) => s.cancel()));
  }

  /** Processes one message; resolves once its outcome is recorded (then the bus acks it). */
  async handle(route: CompiledRoute, message: Envelope, delivery: Delivery): Promise<void> {
    const logger = this.deps.logger.child({ messageId: message.id, routeId: route.id, correlationId: message.correlationId });
    if (await this.expired(message, logger)) return;
    if (!(await this.begin(message, delivery, logger))) return;

    const progress: Progress = { stage: 'processing', current: message };
    const startedAt = Date.now();
    let reply: Envelope;
    try {
      reply = await this.process(route, message, progress, logger);
    } catch (error) {
      const failure = toJunctionError(error);
      if (!(error instanceof JunctionError)) logger.error('unexpected error while processing', { stage: progress.stage, error: describeError(error) });
      else logger.warn('message failed', { stage: progress.stage, code: failure.code, error: failure.message });
      const endpoint = progress.stage.startsWith('deliver:') ? progress.stage.slice('deliver:'.length) : undefined;
      await this.deps.log.transition(message.id, {
        stage: progress.stage, status: 'FAILED', attempt: message.attempt, durationMs: Date.now() - startedAt, error: failure.toJSON(),
        ...(endpoint ? { endpoint } : {}),
      }, ['PROCESSING']);
      await this.sendReply(delivery, { requestId: message.id, outcome: 'error', error: failure.toJSON() }, logger);
      return;
    }
    const single = route.to.length === 1 ? route.to[0] : undefined;
    await this.deps.log.transition(message.id, {
      stage: single ? `deliver:${single}` : 'delivered', status: 'DELIVERED', attempt: message.attempt,
      durationMs: Date.now() - startedAt, ...(single ? { endpoint: single } : {}),
    }, ['PROCESSING']);
    logger.debug('message delivered');
    if (route.pattern === 'request-reply') await this.sendReply(delivery, { requestId: message.id, outcome: 'ok', message: reply }, logger);
  }

  /**
   * A request-reply message whose caller stopped waiting before processing began is not
   * delivered at all: FAILED with JCT_REPLY_TIMEOUT, so a late success never surprises anyone.
   */
  private async expired(message: Envelope, logger: Logger): Promise<boolean> {
    const deadline = message.headers[DEADLINE_HEADER];
    if (message.pattern !== 'request-reply' || !deadline || Date.parse(deadline) > Date.now()) return false;
    const error = new JunctionError('JCT_REPLY_TIMEOUT', 'The caller had stopped waiting before processing began, so the message was not delivered. Replay it if it is still wanted.');
    const result = await this.deps.log.transition(message.id, { stage: 'expired', status: 'FAILED', attempt: message.attempt, error: error.toJSON() }, NOT_STARTED);
    if (result === 'applied') logger.warn('request expired before processing; not delivered');
    return result === 'applied';
  }

  /** Marks the message PROCESSING; false when the log shows it settled already (never deliver twice). */
  private async begin(message: Envelope, delivery: Delivery, logger: Logger): Promise<boolean> {
    const { log } = this.deps;
    const processing = { stage: 'processing', status: 'PROCESSING' as const, attempt: message.attempt, ...(delivery.redelivered ? { detail: 'redelivered' } : {}) };
    let started = await log.transition(message.id, processing, PROCESSABLE);
    if (started === 'missing') {
      // Published but not in the log (a log restored from backup, say): record it rather than lose it.
      logger.warn('message on the bus was not in the transaction log; recording it now');
      await log.recordReceived(message);
      started = await log.transition(message.id, processing, PROCESSABLE);
    }
    if (started !== 'applied') logger.info('message already settled; acknowledging without delivering it again');
    return started === 'applied';
  }

  /** Steps, deliveries and (request-reply) reply steps; returns the reply message. */
  private async process(route: CompiledRoute, message: Envelope, progress: Progress, logger: Logger): Promise<Envelope> {
    const context = { routeId: route.id, logger, original: message };
    for (const step of route.steps) {
      progress.stage = `step:${step.name}`;
      progress.current = await step.run(progress.current, context);
    }
    let answer = progress.current;
    for (const name of route.to) {
      progress.stage = `deliver:${name}`;
      const endpoint = this.deps.routes.endpoints.get(name);
      if (!endpoint) throw new JunctionError('JCT_INTERNAL', `Endpoint "${name}" is not built`);
      const sentAt = Date.now();
      const reply = await endpoint.send(progress.current, { routeId: route.id, logger });
      answer = withChanges(progress.current, { body: reply.body, contentType: reply.contentType });
      if (route.to.length > 1) {
        await this.deps.log.transition(message.id, { stage: progress.stage, status: 'PROCESSING', attempt: message.attempt, endpoint: name, durationMs: Date.now() - sentAt });
      }
    }
    for (const step of route.replySteps) {
      progress.stage = `reply-step:${step.name}`;
      answer = await step.run(answer, context);
    }
    return answer;
  }

  /** Best effort: the outcome is already in the log, so a caller that has gone loses nothing. */
  private async sendReply(delivery: Delivery, reply: Reply, logger: Logger): Promise<void> {
    if (!delivery.replyTo) return;
    await this.deps.broker.reply(delivery.replyTo, reply)
      .catch((error: unknown) => logger.warn('could not send the reply; the caller will time out', { error: describeError(error) }));
  }
}
