import type { Broker } from '../core/broker';
import { withChanges, type Envelope } from '../core/envelope';
import { describeError, JunctionError } from '../core/errors';
import type { Logger } from '../core/logger';
import type { TransactionLog } from '../core/transaction-log';

/** Per-message options of the intake. */
export interface IntakeOptions {
  /** False when the route's capture level is `none`: the log records the message without its body. */
  readonly keepPayload?: boolean;
}

/**
 * Accepts a message for every gateway: records it (RECEIVED), publishes it and waits for the
 * broker's confirm, then marks it QUEUED. The caller hears "accepted" only when both the log and
 * the broker hold the message; otherwise it gets a 503-class JunctionError and the message is
 * either absent from the log or marked FAILED — never delivered behind the caller's back.
 */
export class MessageIntake {
  constructor(private readonly deps: { log: TransactionLog; broker: Broker; logger: Logger }) {}

  /** Resolves once the message is durable in the log and confirmed by the broker. */
  async accept(message: Envelope, options: IntakeOptions = {}): Promise<void> {
    await this.recordAndPublish(message, undefined, options);
  }

  /**
   * Request-reply: accepts the message like {@link accept}, then waits for the worker's answer.
   * Resolves with the reply message; throws the processing error (with the message id), or
   * JCT_REPLY_TIMEOUT when no answer came within `timeoutMs`.
   */
  async request(message: Envelope, timeoutMs: number, options: IntakeOptions = {}): Promise<Envelope> {
    const pending = this.deps.broker.expectReply(message.id, timeoutMs);
    try {
      await this.recordAndPublish(message, this.deps.broker.replyAddress(), options);
    } catch (error) {
      pending.cancel();
      throw error;
    }
    let reply;
    try {
      reply = await pending.reply;
    } catch (error) {
      if (error instanceof JunctionError && error.code === 'JCT_REPLY_TIMEOUT') {
        throw new JunctionError('JCT_REPLY_TIMEOUT', `No answer within ${timeoutMs} ms. Message ${message.id} was accepted; ask for its status before sending it again.`, {
          details: { messageId: message.id },
        });
      }
      throw error;
    }
    if (reply.outcome === 'ok') return reply.message;
    const failure = JunctionError.fromJSON(reply.error);
    throw new JunctionError(failure.code, failure.message, {
      retryable: failure.retryable, violations: failure.violations, details: { ...failure.details, messageId: message.id },
    });
  }

  private async recordAndPublish(message: Envelope, replyTo: string | undefined, options: IntakeOptions): Promise<void> {
    const { log, broker, logger } = this.deps;
    try {
      // capture: none — the log keeps the message's history but not its content.
      await log.recordReceived(options.keepPayload === false ? withChanges(message, { body: '' }) : message);
    } catch (error) {
      logger.error('could not record a new message', { messageId: message.id, error: describeError(error) });
      throw error instanceof JunctionError && error.code === 'JCT_STORE_UNAVAILABLE'
        ? error
        : new JunctionError('JCT_STORE_UNAVAILABLE', 'The transaction log could not record the message; nothing was accepted. Try again shortly.', { cause: error });
    }
    try {
      await broker.publish(message.routeId, message, replyTo ? { replyTo } : {});
    } catch (error) {
      const failure = error instanceof JunctionError && error.code === 'JCT_BROKER_UNAVAILABLE'
        ? error
        : new JunctionError('JCT_BROKER_UNAVAILABLE', 'The message broker did not take the message; nothing was accepted. Try again shortly.', { cause: error });
      logger.error('publish failed; refusing the message', { messageId: message.id, error: describeError(error) });
      // The caller is told "no": make sure no later sweep delivers it behind their back.
      await log.transition(message.id, { stage: 'publish', status: 'FAILED', attempt: message.attempt, error: failure.toJSON(), detail: 'refused to the caller' }, ['RECEIVED'])
        .catch((e: unknown) => logger.error('could not mark a refused message FAILED', { messageId: message.id, error: describeError(e) }));
      throw failure;
    }
    try {
      await log.transition(message.id, { stage: 'queued', status: 'QUEUED', attempt: message.attempt }, ['RECEIVED']);
    } catch (error) {
      // Durable in both already; QUEUED is bookkeeping and the worker moves the status on anyway.
      logger.warn('could not mark message QUEUED', { messageId: message.id, error: describeError(error) });
    }
  }
}
