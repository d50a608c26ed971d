import type { MessageHandler, Subscription } from '../../core/broker';
import { decodeEnvelope, type Envelope } from '../../core/envelope';
import { describeError } from '../../core/errors';
import type { Logger } from '../../core/logger';
import { InFlight } from '../in-flight';

/** One message held in memory: the wire form, as RabbitMQ would hold it. */
export interface QueuedMessage {
  readonly data: Buffer;
  /** True once a consumer has had it and given it back. */
  readonly redelivered: boolean;
  /** Where the caller waits for the answer (request-reply), as given to publish. */
  readonly replyTo?: string;
}

/** What a subscription needs from its queue (kept narrow so the two files do not import each other). */
export interface MessageSource {
  /** Puts a message back at the head of the queue, marked redelivered. */
  requeue(message: QueuedMessage): void;
  /** Removes this consumer from the queue's round-robin. */
  unsubscribe(subscription: MemorySubscription): void;
  /** Asks for another dispatch (room under a prefetch has opened). */
  schedule(): void;
}

/**
 * One consumer of a MemoryQueue. A message is "unacked" from delivery until its handler
 * settles (plus the requeue delay after a failure), and counts against `prefetch` all that time,
 * as with RabbitMQ.
 */
export class MemorySubscription implements Subscription {
  private held = 0;
  private readonly inFlight = new InFlight();
  private cancelling: Promise<void> | undefined;

  constructor(
    private readonly queue: MessageSource,
    private readonly handler: MessageHandler,
    private readonly prefetch: number,
    private readonly requeueDelayMs: number,
    private readonly logger: Logger,
  ) {}

  /** True when this consumer may take another message. */
  get ready(): boolean {
    return this.cancelling === undefined && this.held < this.prefetch;
  }

  /** Hands one message to the handler (called by the queue's dispatch, never by publish). */
  deliver(message: QueuedMessage): void {
    this.held += 1;
    this.inFlight.track(this.process(message));
  }

  /** Stops deliveries, then waits for the handlers in flight and settles their messages. */
  cancel(): Promise<void> {
    this.cancelling ??= (async () => {
      this.queue.unsubscribe(this);
      await this.inFlight.settle();
    })();
    return this.cancelling;
  }

  private async process(message: QueuedMessage): Promise<void> {
    let envelope: Envelope | undefined;
    try {
      envelope = decodeEnvelope(message.data);
    } catch (error) {
      // Cannot happen for messages published through MemoryBroker; kept for parity with AMQP.
      this.logger.error('Dropping a malformed message from the bus', { error: describeError(error) });
    }
    if (envelope !== undefined) {
      try {
        const delivery = message.replyTo === undefined
          ? { redelivered: message.redelivered }
          : { redelivered: message.redelivered, replyTo: message.replyTo };
        await this.handler(envelope, delivery);
      } catch (error) {
        this.logger.warn('Message handler failed; the message goes back to the queue', {
          messageId: envelope.id, retryInMs: this.requeueDelayMs, error: describeError(error),
        });
        await this.inFlight.delay(this.requeueDelayMs);
        this.queue.requeue(message);
      }
    }
    this.held -= 1;
    this.queue.schedule();
  }
}
