import type { Broker, Delivery, Subscription } from '../core/broker';
import type { Envelope } from '../core/envelope';
import { describeError, JunctionError, toJunctionError } from '../core/errors';
import type { Logger } from '../core/logger';
import type { MessageStatus } from '../core/message-status';
import type { TransactionLog } from '../core/transaction-log';
import type { CompiledRoute, CompiledRoutes } from './compiled-route';

/** Statuses from which a worker may (re)start processing; a redelivered PROCESSING message was cut off mid-way. */
const PROCESSABLE: readonly MessageStatus[] = ['RECEIVED', 'QUEUED', 'RETRYING', 'PROCESSING'];

/** What a worker needs. */
export interface RouteWorkerDeps {
  readonly broker: Broker;
  readonly log: TransactionLog;
  readonly routes: CompiledRoutes;
  readonly logger: Logger;
  /** Unacknowledged messages held per route. */
  readonly prefetch: number;
}

/**
 * Consumes every route's queue, runs the route's steps, delivers to its endpoints and records
 * each outcome. A message is acknowledged only after its outcome is in the transaction log; if
 * the log cannot be written the handler fails and the bus redelivers the message later.
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
    const { log } = this.deps;
    const processing = { stage: 'processing', status: 'PROCESSING' as const, attempt: message.attempt, detail: delivery.redelivered ? 'redelivered' : undefined };
    let started = await log.transition(message.id, processing, PROCESSABLE);
    if (started === 'missing') {
      // Published but not in the log (a log restored from backup, say): record it rather than lose it.
      logger.warn('message on the bus was not in the transaction log; recording it now');
      await log.recordReceived(message);
      started = await log.transition(message.id, processing, PROCESSABLE);
    }
    if (started !== 'applied') {
      logger.info('message already settled; acknowledging without delivering it again');
      return;
    }

    let current = message;
    let stage = 'processing';
    const startedAt = Date.now();
    try {
      for (const step of route.steps) {
        stage = `step:${step.name}`;
        current = await step.run(current, { routeId: route.id, logger });
      }
      for (const name of route.to) {
        stage = `deliver:${name}`;
        const endpoint = this.deps.routes.endpoints.get(name);
        if (!endpoint) throw new JunctionError('JCT_INTERNAL', `Endpoint "${name}" is not built`);
        const sentAt = Date.now();
        await endpoint.send(current, { routeId: route.id, logger });
        if (route.to.length > 1) {
          await log.transition(message.id, { stage, status: 'PROCESSING', attempt: message.attempt, endpoint: name, durationMs: Date.now() - sentAt });
        }
      }
    } catch (error) {
      const failure = toJunctionError(error);
      if (!(error instanceof JunctionError)) logger.error('unexpected error while processing', { stage, error: describeError(error) });
      else logger.warn('message failed', { stage, code: failure.code, error: failure.message });
      await log.transition(message.id, {
        stage, status: 'FAILED', attempt: message.attempt, durationMs: Date.now() - startedAt, error: failure.toJSON(),
        ...(stage.startsWith('deliver:') ? { endpoint: stage.slice('deliver:'.length) } : {}),
      }, ['PROCESSING']);
      return;
    }
    await log.transition(message.id, {
      stage: route.to.length === 1 ? `deliver:${route.to[0]}` : 'delivered',
      status: 'DELIVERED', attempt: message.attempt, durationMs: Date.now() - startedAt,
      ...(route.to.length === 1 ? { endpoint: route.to[0] } : {}),
    }, ['PROCESSING']);
    logger.debug('message delivered');
  }
}
