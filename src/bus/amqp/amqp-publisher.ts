import { randomUUID } from 'node:crypto';
import type { ChannelModel, ConfirmChannel, Message, MessageProperties, Options } from 'amqplib';
import type { Reply } from '../../core/broker';
import { encodeEnvelope, type Envelope } from '../../core/envelope';
import type { JunctionError } from '../../core/errors';
import type { Logger } from '../../core/logger';
import { brokerUnavailable, describeAmqpError } from './amqp-errors';

/** One publish waiting for the broker's verdict. */
interface Pending {
  readonly messageId: string;
  /** Where it goes: a destination (route id) on the exchange, or a reply queue on the default exchange. */
  readonly routingKey: string;
  readonly exchange: string;
  /** Names it in errors: `message <id> for "<destination>"`, `the reply to message <id> for "<queue>"`. */
  readonly label: string;
  /** The end of an error sentence: what the caller may do about it. */
  readonly hint: string;
  readonly details: Record<string, string>;
  /** Mandatory publishes may come back as `basic.return`; only they are matched against returns. */
  readonly mandatory: boolean;
  /** Set by a `return` (unroutable); the ack that follows then rejects instead of resolving. */
  returned: string | undefined;
  settled: boolean;
  readonly resolve: () => void;
  readonly reject: (error: JunctionError) => void;
  timer?: NodeJS.Timeout;
}

/**
 * Publishes over one confirm channel: messages to destinations (persistent, mandatory) and replies
 * to reply queues (transient, not mandatory). A publish resolves on the broker's ack and rejects
 * (always JCT_BROKER_UNAVAILABLE) on a nack, on a `return` (mandatory: no queue bound for the
 * destination), when the channel or connection closes first, or after `timeoutMs`. When amqplib's
 * write buffer is full (`publish` returns false) later writes wait for `drain`.
 */
export class AmqpPublisher {
  private readonly pending = new Set<Pending>();
  private readonly byMessageId = new Map<string, Pending[]>();
  private drained: Promise<void> | undefined;
  private wakeWriters: (() => void) | undefined;
  private closed = false;
  private closeReason: string | undefined;
  private readonly idleWaiters: Array<() => void> = [];

  /** Opens a confirm channel on `connection`. */
  static async open(connection: ChannelModel, exchange: string, timeoutMs: number, logger: Logger): Promise<AmqpPublisher> {
    return new AmqpPublisher(await connection.createConfirmChannel(), exchange, timeoutMs, logger);
  }

  private constructor(
    private readonly channel: ConfirmChannel,
    private readonly exchange: string,
    private readonly timeoutMs: number,
    private readonly logger: Logger,
  ) {
    channel.on('error', (error: Error) => {
      this.closeReason = describeAmqpError(error);
      this.logger.error('RabbitMQ closed the publishing channel', { error: this.closeReason });
    });
    channel.on('close', () => { this.onClose(); });
    channel.on('return', (message: Message) => { this.onReturn(message); });
    channel.on('drain', () => { this.onDrain(); });
  }

  /** False once the channel has closed; the broker then opens a new publisher. */
  get open(): boolean {
    return !this.closed;
  }

  /** Publishes persistently and mandatory; resolves on the broker's ack. */
  publish(destination: string, envelope: Envelope, replyTo?: string): Promise<void> {
    return this.send({
      messageId: envelope.id, routingKey: destination, exchange: this.exchange, mandatory: true,
      label: `message ${envelope.id} for "${destination}"`, details: { destination },
      hint: 'The message may or may not be stored: retry it (delivery is at-least-once).',
    }, encodeEnvelope(envelope), {
      persistent: true,
      correlationId: envelope.correlationId,
      ...(replyTo === undefined ? {} : { replyTo }),
    });
  }

  /**
   * Publishes persistently and mandatory straight to a queue through the default exchange (a delay
   * queue or a dead-letter queue), with extra headers; resolves on the broker's ack, rejects when no
   * such queue exists.
   */
  publishToQueue(queue: string, envelope: Envelope, label: string, headers: Record<string, string> = {}, replyTo?: string): Promise<void> {
    return this.send({
      messageId: envelope.id, routingKey: queue, exchange: '', mandatory: true,
      label: `message ${envelope.id} for ${label}`, details: { queue },
      hint: 'The message may or may not be stored there.',
    }, encodeEnvelope(envelope), {
      persistent: true, correlationId: envelope.correlationId, headers, ...(replyTo === undefined ? {} : { replyTo }),
    });
  }

  /**
   * Publishes bytes that are not an envelope (a malformed message being parked) persistently and
   * mandatory to a queue through the default exchange, keeping the original properties and adding
   * `headers`; resolves on the broker's ack, rejects when no such queue exists.
   */
  publishRaw(queue: string, content: Buffer, original: MessageProperties, headers: Record<string, string>, label: string): Promise<void> {
    const messageId = typeof original.messageId === 'string' && original.messageId !== '' ? original.messageId : `raw:${randomUUID()}`;
    const kept: Options.Publish = {
      persistent: true,
      headers: { ...(original.headers ?? {}), ...headers },
      ...(typeof original.correlationId === 'string' ? { correlationId: original.correlationId } : {}),
      ...(typeof original.type === 'string' ? { type: original.type } : {}),
      ...(typeof original.appId === 'string' ? { appId: original.appId } : {}),
    };
    return this.send({
      messageId, routingKey: queue, exchange: '', mandatory: true,
      label: `malformed message ${messageId} for ${label}`, details: { queue },
      hint: 'It may or may not be stored there.',
    }, content, kept, { contentType: original.contentType ?? 'application/octet-stream', contentEncoding: original.contentEncoding });
  }

  /**
   * Sends a reply to a reply queue through the default exchange: not persistent (the queue is not
   * durable and its caller waits in memory), not mandatory (a caller that has gone is fine); resolves
   * on the broker's ack, which for an unroutable message comes at once.
   */
  publishReply(replyTo: string, reply: Reply, content: Buffer): Promise<void> {
    return this.send({
      messageId: `reply:${reply.requestId}`, routingKey: replyTo, exchange: '', mandatory: false,
      label: `the reply to message ${reply.requestId} for "${replyTo}"`, details: { replyTo, messageId: reply.requestId },
      hint: 'The reply may or may not have reached its caller (replies are best effort).',
    }, content, { persistent: false, correlationId: reply.requestId });
  }

  private send(target: Omit<Pending, 'returned' | 'settled' | 'resolve' | 'reject' | 'timer'>, content: Buffer,
    properties: Options.Publish, encoding: { contentType?: unknown; contentEncoding?: unknown } = {}): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const entry: Pending = { ...target, returned: undefined, settled: false, resolve, reject };
      entry.timer = setTimeout(() => {
        this.settle(entry, brokerUnavailable(
          `RabbitMQ did not confirm ${entry.label} within ${this.timeoutMs} ms; `
          + `it may be overloaded (resource alarm) or unreachable. ${entry.hint}`, undefined, entry.details));
      }, this.timeoutMs);
      this.pending.add(entry);
      if (entry.mandatory) this.byMessageId.set(entry.messageId, [...(this.byMessageId.get(entry.messageId) ?? []), entry]);
      void this.write(entry, content, properties, encoding);
    });
  }

  /** Waits for every publish in flight to settle (each is bounded by the timeout), then closes the channel. */
  async close(): Promise<void> {
    if (this.pending.size > 0) await new Promise<void>((resolve) => { this.idleWaiters.push(resolve); });
    if (this.closed) return;
    this.closed = true;
    try {
      await this.channel.close();
    } catch (error) {
      this.logger.debug('Publishing channel was already closed', { error: describeAmqpError(error) });
    }
  }

  private async write(entry: Pending, content: Buffer, properties: Options.Publish,
    encoding: { contentType?: unknown; contentEncoding?: unknown }): Promise<void> {
    while (this.drained !== undefined && !entry.settled) await this.drained;
    if (entry.settled) return; // timed out or closed while waiting for room
    if (this.closed) {
      this.settle(entry, this.closedError(entry));
      return;
    }
    try {
      const hasRoom = this.channel.publish(entry.exchange, entry.routingKey, content, {
        ...properties,
        mandatory: entry.mandatory,
        messageId: entry.messageId,
        // Envelopes and replies are UTF-8 JSON; a parked malformed message keeps what it said it was.
        contentType: typeof encoding.contentType === 'string' ? encoding.contentType : 'application/json',
        contentEncoding: typeof encoding.contentEncoding === 'string' ? encoding.contentEncoding : 'utf-8',
        timestamp: Math.floor(Date.now() / 1000),
      }, (error: unknown) => {
        // amqplib calls back with Error('message nacked') on a nack and Error('channel closed') when the
        // channel closes first (its own 'close' listener runs before ours, so `closed` is not yet set).
        if (error === null || error === undefined) this.settle(entry, undefined);
        else if (!(error instanceof Error && error.message === 'message nacked')) this.settle(entry, this.closedError(entry));
        else this.settle(entry, brokerUnavailable(
          `RabbitMQ refused ${entry.label} (nack); it may be short of resources. Retry later.`, error, entry.details));
      });
      if (!hasRoom && this.drained === undefined) {
        this.logger.debug('amqplib write buffer is full; further publishes wait for drain');
        this.drained = new Promise<void>((resolve) => { this.wakeWriters = resolve; });
      }
    } catch (error) {
      // amqplib throws synchronously once the channel or connection is closing or closed.
      this.settle(entry, brokerUnavailable(`Cannot publish ${entry.label}: ${describeAmqpError(error)}.`, error, entry.details));
    }
  }

  private settle(entry: Pending, error: JunctionError | undefined): void {
    if (entry.settled) return;
    entry.settled = true;
    clearTimeout(entry.timer);
    this.pending.delete(entry);
    if (entry.mandatory) {
      const sameId = (this.byMessageId.get(entry.messageId) ?? []).filter((other) => other !== entry);
      if (sameId.length > 0) this.byMessageId.set(entry.messageId, sameId);
      else this.byMessageId.delete(entry.messageId);
    }

    if (error !== undefined) entry.reject(error);
    else if (entry.returned !== undefined) {
      entry.reject(brokerUnavailable(entry.exchange === ''
        ? `Queue ${entry.routingKey} does not exist, so RabbitMQ returned message ${entry.messageId} (${entry.returned}). `
          + 'Declare the destination before using it.'
        : `No queue is bound for destination "${entry.routingKey}" on exchange ${this.exchange}, so RabbitMQ returned `
        + `message ${entry.messageId} (${entry.returned}). Declare the destination before publishing to it.`,
      undefined, entry.details));
    } else entry.resolve();
  }

  /**
   * RabbitMQ sends `basic.return` before the ack of the same message: mark it, the ack settles it.
   * Matched on message id and routing key: the same envelope may be in flight to two destinations,
   * and one ack (`multiple`) may cover several returns.
   */
  private onReturn(message: Message): void {
    const id: unknown = message.properties.messageId;
    const routingKey = message.fields.routingKey;
    const entry = typeof id === 'string'
      ? this.byMessageId.get(id)?.find((p) => p.returned === undefined && p.routingKey === routingKey)
      : undefined;
    // A basic.return carries replyCode/replyText, which amqplib's MessageFields type does not list.
    const fields = message.fields as unknown as { replyCode?: unknown; replyText?: unknown };
    const reason = `${String(fields.replyCode ?? '')} ${String(fields.replyText ?? '')}`.trim();
    if (entry === undefined) {
      this.logger.warn('RabbitMQ returned a message no publish is waiting for', { messageId: String(id), reason });
      return;
    }
    entry.returned = reason || 'unroutable';
  }

  private onDrain(): void {
    const wake = this.wakeWriters;
    this.drained = undefined;
    this.wakeWriters = undefined;
    wake?.();
  }

  private onClose(): void {
    this.closed = true;
    // amqplib fails the confirm callbacks it holds; this also fails writes still waiting for room.
    for (const entry of [...this.pending]) this.settle(entry, this.closedError(entry));
    this.onDrain();
  }

  private closedError(entry: Pending): JunctionError {
    return brokerUnavailable(
      `The channel to RabbitMQ closed${this.closeReason === undefined ? '' : ` (${this.closeReason})`} before it `
      + `confirmed ${entry.label}. ${entry.hint}`, undefined, entry.details);
  }
}
