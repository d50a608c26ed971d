import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import type { Reply } from '../../core/broker';
import { describeError, JunctionError } from '../../core/errors';
import type { Logger } from '../../core/logger';
import { decodeReply } from '../reply-codec';
import { brokerUnavailable, describeAmqpError } from './amqp-errors';
import type { AmqpTopology } from './amqp-topology';

/** What the reply queue reports to its broker. */
export interface ReplyQueueListener {
  /** A well-formed reply arrived. */
  readonly onReply: (reply: Reply) => void;
  /** The queue or its consumer is gone while the connection lives on (deleted by an operator, channel error). */
  readonly onLost: (reason: string) => void;
}

/**
 * This connection's reply queue (`<prefix>.reply.<uuid>`: exclusive, auto-delete, not durable)
 * and its consumer on a dedicated channel with `noAck` — a reply is handed to its waiter at once,
 * and one that cannot be handed (malformed, nobody waiting) is simply dropped: there is nothing
 * to redeliver it to. RabbitMQ deletes the queue when the connection closes or dies.
 */
export class AmqpReplyQueue {
  /** Set once we close the channel ourselves: its 'close' is then no loss. */
  private closing = false;
  private channelOpen = true;
  /** Set once the loss has been reported (at most once). */
  private ended = false;

  private constructor(readonly name: string, private readonly channel: Channel, private readonly logger: Logger,
    private readonly listener: ReplyQueueListener) {}

  /** Opens the channel, declares the queue and starts consuming; rejects with JCT_BROKER_UNAVAILABLE. */
  static async open(connection: ChannelModel, topology: AmqpTopology, logger: Logger, listener: ReplyQueueListener): Promise<AmqpReplyQueue> {
    const name = topology.newReplyQueue();
    let channel: Channel;
    try {
      channel = await connection.createChannel();
    } catch (error) {
      throw brokerUnavailable(`Cannot open a channel for the reply queue: ${describeAmqpError(error)}.`, error);
    }
    const queue = new AmqpReplyQueue(name, channel, logger.child({ replyQueue: name }), listener);
    channel.on('error', (error: Error) => {
      queue.logger.error('RabbitMQ closed the reply channel', { error: describeAmqpError(error) });
    });
    channel.on('close', () => { queue.onClose(); });
    try {
      await topology.declareReplyQueue(channel, name);
      await channel.consume(name, (message) => { queue.onMessage(message); }, { noAck: true, exclusive: true });
    } catch (error) {
      await queue.close();
      if (error instanceof JunctionError) throw error;
      throw brokerUnavailable(`Cannot consume the reply queue ${name}: ${describeAmqpError(error)}.`, error);
    }
    queue.logger.debug('Consuming replies');
    return queue;
  }

  /** Closes the channel (the queue goes with the connection). */
  async close(): Promise<void> {
    this.ended = true;
    if (this.closing || !this.channelOpen) return;
    this.closing = true;
    try {
      await this.channel.close();
    } catch (error) {
      this.logger.debug('Reply channel was already closed', { error: describeAmqpError(error) });
    }
  }

  private onMessage(message: ConsumeMessage | null): void {
    if (message === null) {
      // RabbitMQ cancels a consumer whose queue was deleted.
      this.lost('RabbitMQ cancelled the reply consumer (was the reply queue deleted?)');
      return;
    }
    let reply: Reply;
    try {
      reply = decodeReply(message.content);
    } catch (error) {
      this.logger.warn('Dropping a malformed reply', {
        correlationId: String(message.properties.correlationId ?? '(none)'), error: describeError(error),
      });
      return;
    }
    this.listener.onReply(reply);
  }

  private onClose(): void {
    this.channelOpen = false;
    if (this.closing) return;
    // When the whole connection dies, amqplib closes the channels first and then emits the
    // connection's 'close'; a turn later the broker knows, and reports the loss its own way.
    setImmediate(() => { this.lost('the reply channel closed'); });
  }

  private lost(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.listener.onLost(reason);
  }
}
