import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import type { MessageHandler, Subscription } from '../../core/broker';
import { decodeEnvelope, type Envelope } from '../../core/envelope';
import { describeError, type JunctionError } from '../../core/errors';
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
}

type Outcome = 'ack' | 'requeue' | 'drop';

/**
 * One consumer on its own channel with `prefetch` and manual acks. A handler's success acks the
 * message; a failure waits `requeueDelayMs` and nacks it back onto the queue; a message that
 * cannot be decoded is logged and dropped (nack without requeue), never retried in a loop.
 */
export class AmqpSubscription implements Subscription {
  private consumerTag: string | undefined;
  private channelOpen = true;
  private stopping = false;
  private cancelling: Promise<void> | undefined;
  private readonly inFlight = new InFlight();

  /** Opens a channel and starts consuming `options.queue`; rejects with JCT_BROKER_UNAVAILABLE. */
  static async start(connection: ChannelModel, handler: MessageHandler, options: AmqpSubscriptionOptions): Promise<AmqpSubscription> {
    let channel: Channel;
    try {
      channel = await connection.createChannel();
    } catch (error) {
      throw brokerUnavailable(`Cannot open a channel to consume "${options.destination}": ${describeAmqpError(error)}.`, error);
    }
    const subscription = new AmqpSubscription(channel, handler, options);
    try {
      await channel.prefetch(options.prefetch);
      const reply = await channel.consume(options.queue, (message) => { subscription.onMessage(message); }, { noAck: false });
      subscription.consumerTag = reply.consumerTag;
    } catch (error) {
      await subscription.closeChannel();
      throw consumeError(options, error);
    }
    options.logger.debug('Consuming', { queue: options.queue, prefetch: options.prefetch });
    return subscription;
  }

  private constructor(private readonly channel: Channel, private readonly handler: MessageHandler,
    private readonly options: AmqpSubscriptionOptions) {
    // Before the consumer is registered, a failure is reported by start() instead.
    channel.on('error', (error: Error) => {
      const level = this.consumerTag === undefined ? 'debug' : 'error';
      this.options.logger[level]('RabbitMQ closed a consumer channel', { error: describeAmqpError(error) });
    });
    channel.on('close', () => {
      this.channelOpen = false;
      if (!this.stopping && this.consumerTag !== undefined) {
        this.options.logger.error('Consumer stopped: its channel closed. Unacked messages return to the queue; '
          + 'restart the worker to consume again (automatic reconnection is issue #5).');
      }
    });
  }

  /** Stops new deliveries, waits for the handlers in flight (acking or nacking them), closes the channel. */
  cancel(): Promise<void> {
    this.cancelling ??= this.stop();
    return this.cancelling;
  }

  private async stop(): Promise<void> {
    this.stopping = true;
    if (this.channelOpen && this.consumerTag !== undefined) {
      try {
        await this.channel.cancel(this.consumerTag);
      } catch (error) {
        this.options.logger.debug('Consumer cancel failed (channel gone)', { error: describeAmqpError(error) });
      }
    }
    await this.inFlight.settle();
    await this.closeChannel();
    this.options.onEnd(this);
  }

  private onMessage(message: ConsumeMessage | null): void {
    if (message === null) {
      // RabbitMQ cancels a consumer when its queue is deleted.
      this.options.logger.error('RabbitMQ cancelled the consumer (was the queue deleted?)', { queue: this.options.queue });
      return;
    }
    if (this.stopping) {
      this.settle(message, 'requeue'); // arrived between our cancel and its confirmation
      return;
    }
    this.inFlight.track(this.process(message));
  }

  private async process(message: ConsumeMessage): Promise<void> {
    let envelope: Envelope;
    try {
      envelope = decodeEnvelope(message.content);
    } catch (error) {
      this.options.logger.error('Dropping a malformed message from the bus', {
        amqpMessageId: String(message.properties.messageId ?? '(none)'), error: describeError(error),
      });
      this.settle(message, 'drop');
      return;
    }
    try {
      const replyTo: unknown = message.properties.replyTo;
      await this.handler(envelope, typeof replyTo === 'string' && replyTo !== ''
        ? { redelivered: message.fields.redelivered, replyTo }
        : { redelivered: message.fields.redelivered });
      this.settle(message, 'ack');
    } catch (error) {
      this.options.logger.warn('Message handler failed; the message goes back to the queue', {
        messageId: envelope.id, retryInMs: this.options.requeueDelayMs, error: describeError(error),
      });
      await this.inFlight.delay(this.options.requeueDelayMs);
      this.settle(message, 'requeue');
    }
  }

  /** Acks or nacks; on a closed channel does nothing (the broker redelivers what was not acked). */
  private settle(message: ConsumeMessage, outcome: Outcome): void {
    if (!this.channelOpen) {
      this.options.logger.debug('Cannot settle a message: its channel is closed; RabbitMQ will redeliver it',
        { amqpMessageId: String(message.properties.messageId ?? '(none)'), outcome });
      return;
    }
    try {
      if (outcome === 'ack') this.channel.ack(message);
      else this.channel.nack(message, false, outcome === 'requeue');
    } catch (error) {
      this.options.logger.debug('Cannot settle a message (channel closing)', { error: describeAmqpError(error), outcome });
    }
  }

  private async closeChannel(): Promise<void> {
    if (!this.channelOpen) return;
    this.stopping = true;
    try {
      await this.channel.close();
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
