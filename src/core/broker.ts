import type { Envelope } from './envelope';
import type { SerializedError } from './errors';

/**
 * What the bus tells a handler about one delivery.
 */
export interface Delivery {
  /** True when the broker has handed this message out before (a consumer died or nacked it). */
  readonly redelivered: boolean;
  /** Where a request-reply message's caller waits for the answer; pass it to {@link Broker.reply}. */
  readonly replyTo?: string;
}

/**
 * The answer to a request-reply message, sent back over the bus to the gateway that waits for it:
 * the reply message, or the error that ended processing (so the caller hears it at once rather
 * than waiting for a timeout).
 */
export type Reply =
  | { readonly requestId: string; readonly outcome: 'ok'; readonly message: Envelope }
  | { readonly requestId: string; readonly outcome: 'error'; readonly error: SerializedError };

/** A reply being waited for; see {@link Broker.expectReply}. */
export interface PendingReply {
  /** Resolves with the reply; rejects with JCT_REPLY_TIMEOUT when none came in time. */
  readonly reply: Promise<Reply>;
  /** Stops waiting (e.g. the publish failed); the promise then never settles. */
  cancel(): void;
}

/** Options for {@link Broker.publish}. */
export interface PublishOptions {
  /** Ask for a reply: the value of {@link Broker.replyAddress}. */
  readonly replyTo?: string;
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

/** Messages waiting on a destination's queues; see {@link Broker.queueDepth}. */
export interface QueueDepth {
  /** Ready on the destination's queue: not yet handed to a consumer. */
  readonly ready: number;
  /** Parked on the destination's dead-letter queue, waiting for an operator. */
  readonly deadLettered: number;
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
  /**
   * True while connected and able to publish, consume and receive replies; false before start,
   * while reconnecting and once closing. What the readiness probe (/readyz) asks.
   */
  isConnected(): boolean;
  /**
   * Messages waiting on a declared destination's queue and on its dead-letter queue, as the broker
   * counts them now (for metrics). Rejects with JCT_BROKER_UNAVAILABLE when not connected or not
   * declared.
   */
  queueDepth(destination: string): Promise<QueueDepth>;
  /** Declares the durable queues for these destinations (idempotent). */
  declare(destinations: readonly string[]): Promise<void>;
  /** Publishes persistently; resolves only once the broker has confirmed the message. */
  publish(destination: string, message: Envelope, options?: PublishOptions): Promise<void>;
  /**
   * The address replies to this process go to (request-reply). Available after `start()`; the
   * same for the life of the connection.
   */
  replyAddress(): string;
  /**
   * Starts waiting for the reply to request `requestId` — call it before publishing the request,
   * so a fast reply is never missed. Rejects with JCT_REPLY_TIMEOUT after `timeoutMs`.
   */
  expectReply(requestId: string, timeoutMs: number): PendingReply;
  /**
   * Sends a reply to a waiting caller. Best effort by design: if the caller has gone (timed out,
   * restarted) the reply is dropped; the outcome is in the transaction log either way.
   */
  reply(replyTo: string, reply: Reply): Promise<void>;
  /** Consumes a declared destination's queue. */
  consume(destination: string, handler: MessageHandler, options: ConsumeOptions): Promise<Subscription>;
  /**
   * Publishes a message that reaches `destination`'s queue only after about `delayMs` (never
   * noticeably before it); persistent and confirmed like {@link publish}. How the message waits is
   * the implementation's business (RabbitMQ: delay queues; in-process: a timer). Retries use it.
   * `options.replyTo` comes with it, as with {@link publish} (a retried request still has a caller).
   */
  publishDelayed(destination: string, message: Envelope, delayMs: number, options?: PublishOptions): Promise<void>;
  /**
   * Parks a message that will not be processed again on `destination`'s dead-letter queue, with the
   * error that ended it, for operators (inspection, replay). Persistent and confirmed; rejects with
   * JCT_BROKER_UNAVAILABLE when the destination was not declared.
   */
  deadLetter(destination: string, message: Envelope, error: SerializedError): Promise<void>;
}
