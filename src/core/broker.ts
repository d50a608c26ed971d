import type { Envelope } from './envelope';

/**
 * What the bus tells a handler about one delivery.
 */
export interface Delivery {
  /** True when the broker has handed this message out before (a consumer died or nacked it). */
  readonly redelivered: boolean;
}

/**
 * Handles one message. Resolving acknowledges it (the broker forgets it); rejecting returns it to
 * the queue for another try. A handler acks only after it has recorded the outcome.
 */
export type MessageHandler = (message: Envelope, delivery: Delivery) => Promise<void>;

/** Options for {@link Broker.consume}. */
export interface ConsumeOptions {
  /** How many unacknowledged messages this consumer holds at once (AMQP prefetch). */
  readonly prefetch: number;
}

/** A running consumer; `cancel` stops new deliveries and waits for handlers in flight. */
export interface Subscription {
  cancel(): Promise<void>;
}

/**
 * The message bus. Destinations are route ids: each has one durable queue.
 * Implementations: bus/amqp (RabbitMQ, production) and bus/memory (embedded default).
 * Every implementation passes test/contract/broker.contract.ts.
 */
export interface Broker {
  /** Connects. No I/O happens before this. */
  start(): Promise<void>;
  /** Stops consumers, waits for handlers in flight, disconnects. Idempotent. */
  close(): Promise<void>;
  /** Declares the durable queues for these destinations (idempotent). */
  declare(destinations: readonly string[]): Promise<void>;
  /** Publishes persistently; resolves only once the broker has confirmed the message. */
  publish(destination: string, message: Envelope): Promise<void>;
  /** Consumes a declared destination's queue. */
  consume(destination: string, handler: MessageHandler, options: ConsumeOptions): Promise<Subscription>;
}
