import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import type { MessageHandler, Subscription } from '../../core/broker';
import { decodeEnvelope, type Envelope } from '../../core/envelope';
import { describeError, JunctionError } from '../../core/errors';
import type { Logger } from '../../core/logger';
import { InFlight } from '../in-flight';
import { amqpReplyCode, brokerUnavailable, describeAmqpError } from './amqp-errors';

/** What one subscription needs to know. */
export interface AmqpSubscriptionOptions {
  readonly destination: string;
  readonly queue: string;
  readonly prefetch: number;
  readonly requeueDelayMs: number;
  readonly logger: Logger;
  /** Called once the subscription has ended (cancelled), so the broker forgets it. */
  readonly onEnd: (subscription: AmqpSubscription) => void;
  /** Parks a message that is not an envelope on the destination's dead-letter queue (confirmed). */
  readonly park: (message: ConsumeMessage, error: JunctionError) => Promise<void>;
}

type Outcome = 'ack' | 'requeue';

/** One consumer registration: a channel and the consumer on it. Delivery tags die with the channel. */
interface Binding {
  readonly channel: Channel;
  open: boolean;
  consumerTag: string | undefined;
}

/**
 * One consumer on its own channel with `prefetch` and manual acks. A handler's success acks the
 * message; a failure waits `requeueDelayMs` and nacks it back onto the queue; a message that
 * cannot be decoded is parked on the dead-letter queue (then acked), never retried in a loop.
 *
 * The subscription outlives its channel: after a lost connection the broker calls {@link attach}
 * with the new connection and consuming resumes with the same handler and prefetch. A message is
 * settled on the channel it came from; when that channel has died its ack/nack is skipped
 * (RabbitMQ redelivers it).
 */
export class AmqpSubscription implements Subscription {
  private binding: Binding | undefined;
  private attaching: Promise<void> | undefined;
  private stopping = false;
  private cancelling: Promise<void> | undefined;
  private readonly inFlight = new InFlight();

  /** Opens a channel and starts consuming `options.queue`; rejects with JCT_BROKER_UNAVAILABLE. */
  static async start(connection: ChannelModel, handler: MessageHandler, options: AmqpSubscriptionOptions): Promise<AmqpSubscription> {
    const subscription = new AmqpSubscription(handler, options);
    await subscription.attach(connection);
    return subscription;
  }

  private constructor(private readonly handler: MessageHandler, private readonly options: AmqpSubscriptionOptions) {}

  /** False once {@link cancel} has been called: the subscription must not be resumed. */
  get active(): boolean {
    return !this.stopping;
  }

  /**
   * (Re)starts consuming on `connection` on a new channel with the subscription's prefetch. The
   * previous channel, if any, must be dead (it died with its connection), so no consumer is doubled.
   * Does nothing once cancelled; rejects with JCT_BROKER_UNAVAILABLE.
   */
  attach(connection: ChannelModel): Promise<void> {
    const attaching = this.open(connection);
    this.attaching = attaching.catch(() => undefined);
    return attaching;
  }

  /** Stops new deliveries, waits for the handlers in flight (acking or nacking them), closes the channel. */
  cancel(): Promise<void> {
    this.cancelling ??= this.stop();
    return this.cancelling;
  }

  private async open(connection: ChannelModel): Promise<void> {
    if (this.stopping) return;
    const previous = this.binding;
    if (previous?.open === true) await this.closeBinding(previous); // never two consumers for one subscription
    let channel: Channel;
    try {
      channel = await connection.createChannel();
    } catch (error) {
      throw brokerUnavailable(`Cannot open a channel to consume "${this.options.destination}": ${describeAmqpError(error)}.`, error);
    }
    const binding: Binding = { channel, open: true, consumerTag: undefined };
    // Before the consumer is registered, a failure is reported by attach() instead.
    channel.on('error', (error: Error) => {
      const level = binding.consumerTag === undefined ? 'debug' : 'error';
      this.options.logger[level]('RabbitMQ closed a consumer channel', { error: describeAmqpError(error) });
    });
    channel.on('close', () => {
      binding.open = false;
      if (!this.stopping && binding.consumerTag !== undefined && binding === this.binding) {
        this.options.logger.warn('Consumer stopped: its channel closed. Unacked messages return to the queue; '
          + 'consuming resumes when the broker has reconnected (after a lost connection).');
      }
    });
    try {
      await channel.prefetch(this.options.prefetch);
      const reply = await channel.consume(this.options.queue, (message) => { this.onMessage(message, binding); }, { noAck: false });
      binding.consumerTag = reply.consumerTag;
    } catch (error) {
      await this.closeBinding(binding);
      throw consumeError(this.options, error);
    }
    this.binding = binding;
    this.options.logger.debug('Consuming', { queue: this.options.queue, prefetch: this.options.prefetch });
  }

  private async stop(): Promise<void> {
    this.stopping = true;
    await this.attaching; // a resume in progress finishes first, so its consumer is cancelled too
    const binding = this.binding;
    if (binding?.open === true && binding.consumerTag !== undefined) {
      try {
        await binding.channel.cancel(binding.consumerTag);
      } catch (error) {
        this.options.logger.debug('Consumer cancel failed (channel gone)', { error: describeAmqpError(error) });
      }
    }
    await this.inFlight.settle();
    if (binding !== undefined) await this.closeBinding(binding);
    this.options.onEnd(this);
  }

  private onMessage(message: ConsumeMessage | null, binding: Binding): void {
    if (message === null) {
      // RabbitMQ cancels a consumer when its queue is deleted.
      this.options.logger.error('RabbitMQ cancelled the consumer (was the queue deleted?)', { queue: this.options.queue });
      return;
    }
    if (this.stopping) {
      this.settle(binding, message, 'requeue'); // arrived between our cancel and its confirmation
      return;
    }
    this.inFlight.track(this.process(message, binding));
  }

  private async process(message: ConsumeMessage, binding: Binding): Promise<void> {
    let envelope: Envelope;
    try {
      envelope = decodeEnvelope(message.content);
    } catch (error) {
      await this.parkMalformed(message, binding, error);
      return;
    }
    try {
      const replyTo: unknown = message.properties.replyTo;
      await this.handler(envelope, typeof replyTo === 'string' && replyTo !== ''
        ? { redelivered: message.fields.redelivered, replyTo }
        : { redelivered: message.fields.redelivered });
      this.settle(binding, message, 'ack');
    } catch (error) {
      this.options.logger.warn('Message handler failed; the message goes back to the queue', {
        messageId: envelope.id, correlationId: envelope.correlationId, retryInMs: this.options.requeueDelayMs, error: describeError(error),
      });
      await this.inFlight.delay(this.options.requeueDelayMs);
      this.settle(binding, message, 'requeue');
    }
  }

  /**
   * A message that is not an envelope can never be processed: it is parked on the dead-letter queue
   * (original bytes and properties, the error in the headers) and then removed from the route
   * queue, never retried in a loop. If it cannot be parked (RabbitMQ trouble) it goes back to the
   * queue after the requeue delay instead of being dropped.
   */
  private async parkMalformed(message: ConsumeMessage, binding: Binding, cause: unknown): Promise<void> {
    const amqpMessageId = String(message.properties.messageId ?? '(none)');
    const error = new JunctionError('JCT_BUS_MALFORMED_MESSAGE',
      `A message on queue ${this.options.queue} is not a Junction envelope (${describeError(cause)}); it was parked on the dead-letter queue.`,
      { details: { destination: this.options.destination, amqpMessageId } });
    try {
      await this.options.park(message, error);
    } catch (parkError) {
      this.options.logger.error('Cannot park a malformed message on the dead-letter queue; it goes back to the queue', {
        amqpMessageId, error: describeError(parkError),
      });
      await this.inFlight.delay(this.options.requeueDelayMs);
      this.settle(binding, message, 'requeue');
      return;
    }
    this.options.logger.error('Parked a malformed message on the dead-letter queue', { amqpMessageId, error: describeError(cause) });
    this.settle(binding, message, 'ack');
  }

  /**
   * Acks or nacks on the channel the message came from; on a closed channel does nothing (the
   * broker redelivers what was not acked, possibly already to this subscription's new channel).
   */
  private settle(binding: Binding, message: ConsumeMessage, outcome: Outcome): void {
    if (!binding.open) {
      this.options.logger.debug('Cannot settle a message: its channel is closed; RabbitMQ will redeliver it',
        { amqpMessageId: String(message.properties.messageId ?? '(none)'), outcome });
      return;
    }
    try {
      if (outcome === 'ack') binding.channel.ack(message);
      else binding.channel.nack(message, false, outcome === 'requeue');
    } catch (error) {
      this.options.logger.debug('Cannot settle a message (channel closing)', { error: describeAmqpError(error), outcome });
    }
  }

  private async closeBinding(binding: Binding): Promise<void> {
    if (!binding.open) return;
    binding.open = false;
    try {
      await binding.channel.close();
    } catch (error) {
      this.options.logger.debug('Consumer channel was already closed', { error: describeAmqpError(error) });
    }
  }
}

function consumeError(options: AmqpSubscriptionOptions, error: unknown): JunctionError {
  if (amqpReplyCode(error) === 404) {
    return brokerUnavailable(`Cannot consume destination "${options.destination}": RabbitMQ has no queue ${options.queue}. `
      + 'Declare the destination first.', error, { destination: options.destination });
  }
  return brokerUnavailable(`Cannot consume destination "${options.destination}": ${describeAmqpError(error)}.`, error,
    { destination: options.destination });
}
