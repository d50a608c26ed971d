import { randomUUID } from 'node:crypto';
import type { Channel } from 'amqplib';
import { JunctionError } from '../../core/errors';
import { amqpReplyCode, brokerUnavailable, describeAmqpError } from './amqp-errors';

/**
 * Arguments of every route queue. The type is declared explicitly, never left to the server's
 * default: on RabbitMQ 3.10.8 a quorum queue declared shortly before a `kill -9` of the broker
 * came back leaderless (0 messages, 541 on consume), while classic durable queues kept every
 * confirmed message through the same kill (see docs/bus.md and the team's field notes).
 */
export const ROUTE_QUEUE_ARGUMENTS: Readonly<Record<string, string>> = Object.freeze({ 'x-queue-type': 'classic' });

/** AMQP short strings (queue names, routing keys) hold at most 255 bytes. */
const MAX_NAME_BYTES = 255;

/** Delay buckets per doubling: delays are rounded to 2^(k/4) ms, so at most ±9 % off what was asked. */
const BUCKETS_PER_DOUBLING = 4;

/** The longest delay a delay queue holds (1 day; RabbitMQ's TTL limit is far above). */
export const MAX_DELAY_MS = 86_400_000;

/**
 * The delay bucket (milliseconds, ≥ 1) a requested delay goes to: the nearest of 2^(k/4) ms. Rounding
 * to a bounded set keeps the number of delay queues small (a few dozen per destination at most,
 * usually a handful), at the cost of up to ±9 % on the delay.
 */
export function delayBucketMs(delayMs: number): number {
  const clamped = Math.min(Math.max(delayMs, 1), MAX_DELAY_MS);
  const step = Math.round(Math.log2(clamped) * BUCKETS_PER_DOUBLING);
  return Math.max(1, Math.round(2 ** (step / BUCKETS_PER_DOUBLING)));
}

/** Every delay bucket there can be, shortest first (for tools that clean a prefix up). */
export function allDelayBuckets(): number[] {
  const buckets = new Set<number>();
  for (let step = 0; 2 ** (step / BUCKETS_PER_DOUBLING) <= MAX_DELAY_MS * 1.1; step += 1) buckets.add(delayBucketMs(2 ** (step / BUCKETS_PER_DOUBLING)));
  return [...buckets];
}

/**
 * Junction's RabbitMQ objects for one prefix: a durable direct exchange `<prefix>.messages` and,
 * per destination (route id), a durable classic queue `<prefix>.route.<destination>` bound to it
 * with the destination as routing key, and a dead-letter queue `<prefix>.dlq.<destination>` (filled by
 * the default exchange); delay queues `<prefix>.delay.<destination>.<ms>` declared on first use; per connection, an exclusive reply queue
 * `<prefix>.reply.<uuid>` that RabbitMQ deletes with the connection.
 */
export class AmqpTopology {
  /** The exchange every message is published to. */
  readonly exchange: string;
  /** How every reply queue's name starts; a reply is only ever sent to a queue named so. */
  readonly replyQueuePrefix: string;

  constructor(readonly prefix: string) {
    if (!/^[A-Za-z0-9_.-]{1,100}$/.test(prefix)) {
      throw new JunctionError('JCT_CONFIG_INVALID',
        `The RabbitMQ name prefix must be 1-100 letters, digits, ".", "_" or "-" (got "${prefix}").`);
    }
    this.exchange = `${prefix}.messages`;
    this.replyQueuePrefix = `${prefix}.reply.`;
  }

  /** A fresh name for a connection's reply queue. */
  newReplyQueue(): string {
    return `${this.replyQueuePrefix}${randomUUID()}`;
  }

  /** True when `address` can be one of this prefix's reply queues (replies go nowhere else). */
  isReplyQueue(address: string): boolean {
    return address.length > this.replyQueuePrefix.length && address.startsWith(this.replyQueuePrefix)
      && Buffer.byteLength(address, 'utf8') <= MAX_NAME_BYTES;
  }

  /**
   * Declares a reply queue: exclusive to this connection (RabbitMQ deletes it when the connection
   * closes or dies), auto-delete, not durable, classic.
   */
  async declareReplyQueue(channel: Channel, queue: string): Promise<void> {
    try {
      await channel.assertQueue(queue, { durable: false, exclusive: true, autoDelete: true, arguments: { 'x-queue-type': 'classic' } });
    } catch (error) {
      throw declarationError(`reply queue ${queue}`, 'an exclusive, auto-delete classic queue', error);
    }
  }

  /** The queue holding a destination's messages; throws when the name would be too long for AMQP. */
  queue(destination: string): string {
    const name = `${this.prefix}.route.${destination}`;
    if (destination === '' || Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES) {
      throw new JunctionError('JCT_CONFIG_INVALID',
        `Destination "${destination}" cannot be a RabbitMQ queue: the name must be non-empty and "${this.prefix}.route.<destination>" at most ${MAX_NAME_BYTES} bytes.`);
    }
    return name;
  }

  /** The dead-letter queue of a destination, where messages that will not be tried again are parked. */
  deadLetterQueue(destination: string): string {
    this.queue(destination); // checks the destination
    return this.checkedName(`${this.prefix}.dlq.${destination}`, destination);
  }

  /** The delay queue of a destination for one bucket (see {@link delayBucketMs}). */
  delayQueue(destination: string, bucketMs: number): string {
    this.queue(destination);
    return this.checkedName(`${this.prefix}.delay.${destination}.${bucketMs}`, destination);
  }

  /**
   * Declares a delay queue (idempotent): durable, classic, every message expires after `bucketMs`
   * (per-queue TTL, so the head always expires first: no head-of-line blocking) and is then
   * dead-lettered by RabbitMQ to the exchange with the destination as routing key, i.e. back into
   * the destination's queue. Nobody consumes it.
   */
  async declareDelayQueue(channel: Channel, destination: string, bucketMs: number): Promise<string> {
    const queue = this.delayQueue(destination, bucketMs);
    try {
      await channel.assertQueue(queue, {
        durable: true, exclusive: false, autoDelete: false,
        arguments: {
          ...ROUTE_QUEUE_ARGUMENTS, 'x-message-ttl': bucketMs,
          'x-dead-letter-exchange': this.exchange, 'x-dead-letter-routing-key': destination,
        },
      });
    } catch (error) {
      throw declarationError(`delay queue ${queue}`, `a durable classic queue with a TTL of ${bucketMs} ms dead-lettering to ${this.exchange}`, error);
    }
    return queue;
  }

  private checkedName(name: string, destination: string): string {
    if (Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES) {
      throw new JunctionError('JCT_CONFIG_INVALID',
        `Destination "${destination}" is too long for its RabbitMQ queue "${name}" (at most ${MAX_NAME_BYTES} bytes).`);
    }
    return name;
  }

  /** Declares the exchange (idempotent). */
  async declareExchange(channel: Channel): Promise<void> {
    try {
      await channel.assertExchange(this.exchange, 'direct', { durable: true, autoDelete: false, internal: false });
    } catch (error) {
      throw declarationError(`exchange ${this.exchange}`, 'a durable direct exchange', error);
    }
  }

  /** Declares a destination's queue and binds it (idempotent; the exchange must exist). */
  async declareDestination(channel: Channel, destination: string): Promise<void> {
    const queue = this.queue(destination);
    try {
      await channel.assertQueue(queue, { durable: true, exclusive: false, autoDelete: false, arguments: { ...ROUTE_QUEUE_ARGUMENTS } });
      await channel.bindQueue(queue, this.exchange, destination);
    } catch (error) {
      throw declarationError(`queue ${queue}`, 'a durable classic queue', error);
    }
    const dlq = this.deadLetterQueue(destination);
    try {
      await channel.assertQueue(dlq, { durable: true, exclusive: false, autoDelete: false, arguments: { ...ROUTE_QUEUE_ARGUMENTS } });
    } catch (error) {
      throw declarationError(`dead-letter queue ${dlq}`, 'a durable classic queue', error);
    }
  }
}

function declarationError(what: string, expected: string, error: unknown): JunctionError {
  if (amqpReplyCode(error) === 406) {
    // Retrying cannot help: an operator must delete or rename the object, hence not retryable.
    return new JunctionError('JCT_BROKER_UNAVAILABLE',
      `RabbitMQ already has ${what} with other settings than Junction declares (${expected}): ${describeAmqpError(error)}. `
      + 'Delete it (after moving its messages) or choose another prefix.', { retryable: false, cause: error });
  }
  return brokerUnavailable(`Cannot declare ${what} on RabbitMQ: ${describeAmqpError(error)}.`, error);
}
