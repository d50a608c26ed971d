import { randomUUID } from 'node:crypto';
import type {
  Broker, ConsumeOptions, MessageHandler, PendingReply, PublishOptions, QueueDepth, Reply, Subscription,
} from '../../core/broker';
import { encodeEnvelope, type Envelope } from '../../core/envelope';
import { describeError, JunctionError, type SerializedError } from '../../core/errors';
import { silentLogger, type Logger } from '../../core/logger';
import { checkPrefetch } from '../consume-options';
import { decodeReply, encodeReply } from '../reply-codec';
import { ReplyWaiters } from '../reply-waiters';
import { MemoryQueue } from './memory-queue';

/** Options for {@link MemoryBroker}. */
export interface MemoryBrokerOptions {
  /** Milliseconds a message waits before it is redelivered after its handler failed. Default 1000. */
  readonly requeueDelayMs?: number;
  readonly logger?: Logger;
}

type State = 'new' | 'open' | 'closing' | 'closed';

/** A message parked on an in-process dead-letter queue. */
export interface MemoryDeadLetter {
  readonly message: Envelope;
  readonly error: SerializedError;
  readonly at: Date;
}

/**
 * The embedded, in-process bus (the default when no RabbitMQ is configured): one process, not
 * durable — messages not yet handled are lost when the process stops. Same delivery semantics as
 * AmqpBroker: declared destinations, competing consumers, prefetch, redelivery after a failed
 * handler, handlers always run asynchronously. Replies (request-reply) go through the same wire
 * form as on RabbitMQ and are delivered on a later turn of the event loop.
 */
export class MemoryBroker implements Broker {
  private state: State = 'new';
  private readonly queues = new Map<string, MemoryQueue>();
  private readonly requeueDelayMs: number;
  private readonly logger: Logger;
  private closing: Promise<void> | undefined;
  /** This instance's reply address: replies sent to any other address are dropped. */
  private readonly address = `memory-reply.${randomUUID()}`;
  private readonly waiters: ReplyWaiters;
  /** Timers of delayed messages still waiting (cleared, and their messages lost, on close). */
  private readonly delayTimers = new Set<NodeJS.Timeout>();
  private readonly parkedMessages = new Map<string, MemoryDeadLetter[]>();

  constructor(options: MemoryBrokerOptions = {}) {
    const delay = options.requeueDelayMs ?? 1000;
    if (!Number.isFinite(delay) || delay < 0) {
      throw new RangeError(`MemoryBroker requeueDelayMs must be a number of milliseconds >= 0 (got ${delay}).`);
    }
    this.requeueDelayMs = delay;
    this.logger = (options.logger ?? silentLogger).child({ component: 'memory-broker' });
    this.waiters = new ReplyWaiters(this.logger.child({ replies: this.address }));
  }

  /** Opens the broker (nothing to connect to). */
  async start(): Promise<void> {
    if (this.state === 'closing' || this.state === 'closed') {
      throw new JunctionError('JCT_BROKER_UNAVAILABLE', 'The in-process broker is closed; create a new one.');
    }
    this.state = 'open';
  }

  /** Cancels every subscription (waiting for handlers in flight), drops waiting messages, rejects reply waiters. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  /** True between start() and close(). */
  isConnected(): boolean {
    return this.state === 'open';
  }

  /** Messages waiting on the destination's queue (not those held by a consumer) and parked on its dead-letter list. */
  async queueDepth(destination: string): Promise<QueueDepth> {
    this.assertOpen(`count the messages of "${destination}"`);
    const queue = this.queueOf(destination, 'count the messages of');
    return { ready: queue.depth, deadLettered: this.parkedMessages.get(destination)?.length ?? 0 };
  }

  /** Creates the queues of these destinations; existing ones are kept with their messages. */
  async declare(destinations: readonly string[]): Promise<void> {
    this.assertOpen('declare destinations');
    for (const destination of destinations) {
      if (!this.queues.has(destination)) {
        this.queues.set(destination, new MemoryQueue(destination, this.requeueDelayMs, this.logger));
      }
    }
  }

  /** Queues the message; resolves once it is queued (there is nothing more durable to wait for). */
  async publish(destination: string, message: Envelope, options: PublishOptions = {}): Promise<void> {
    this.assertOpen(`publish to "${destination}"`);
    this.queueOf(destination, 'publish to').enqueue(encodeEnvelope(message), options.replyTo);
  }

  /** This instance's reply address (a unique string). */
  replyAddress(): string {
    this.assertOpen('give a reply address');
    return this.address;
  }

  /** Waits for the reply to `requestId`; rejects with JCT_REPLY_TIMEOUT after `timeoutMs`. Throws when not open. */
  expectReply(requestId: string, timeoutMs: number): PendingReply {
    this.assertOpen(`wait for a reply to message ${requestId}`);
    return this.waiters.expect(requestId, timeoutMs);
  }

  /**
   * Delivers the reply (through its wire form) to this instance's waiters on a later turn of the
   * event loop. A reply to another address, or that nobody waits for, is dropped with a debug line.
   * Allowed while closing, so handlers still in flight can answer.
   */
  async reply(replyTo: string, reply: Reply): Promise<void> {
    if (this.state !== 'open' && this.state !== 'closing') this.assertOpen(`reply to message ${reply.requestId}`);
    const data = encodeReply(reply);
    setImmediate(() => { this.receiveReply(replyTo, data); });
  }

  /** Adds a competing consumer to a declared destination. */
  async consume(destination: string, handler: MessageHandler, options: ConsumeOptions): Promise<Subscription> {
    checkPrefetch(options.prefetch);
    this.assertOpen(`consume "${destination}"`);
    return this.queueOf(destination, 'consume').subscribe(handler, options.prefetch);
  }

  /**
   * Queues the message after `delayMs` on a timer. Not durable — like everything in this broker, a
   * message still waiting is lost when the process stops (it stays RETRYING in the log).
   */
  async publishDelayed(destination: string, message: Envelope, delayMs: number, options: PublishOptions = {}): Promise<void> {
    this.assertOpen(`publish to "${destination}"`);
    if (!Number.isFinite(delayMs) || delayMs < 0) throw new RangeError(`publishDelayed needs a delay >= 0 ms (got ${delayMs}).`);
    const queue = this.queueOf(destination, 'publish to');
    const data = encodeEnvelope(message);
    const timer = setTimeout(() => {
      this.delayTimers.delete(timer);
      if (this.state === 'open') queue.enqueue(data, options.replyTo);
    }, delayMs);
    this.delayTimers.add(timer);
  }

  /** Keeps the message and its error on the destination's in-process dead-letter list (see {@link deadLettered}). */
  async deadLetter(destination: string, message: Envelope, error: SerializedError): Promise<void> {
    this.assertOpen(`dead-letter message ${message.id}`);
    this.queueOf(destination, 'dead-letter a message of');
    const list = this.parkedMessages.get(destination) ?? [];
    list.push(Object.freeze({ message, error, at: new Date() }));
    this.parkedMessages.set(destination, list);
  }

  /** The messages parked for `destination`, oldest first (inspection; lost on close). */
  deadLettered(destination: string): readonly MemoryDeadLetter[] {
    return [...(this.parkedMessages.get(destination) ?? [])];
  }

  private receiveReply(replyTo: string, data: Buffer): void {
    if (replyTo !== this.address) {
      this.logger.debug('Dropping a reply to an unknown address (the caller has gone)', { replyTo });
      return;
    }
    let reply: Reply;
    try {
      reply = decodeReply(data);
    } catch (error) {
      this.logger.warn('Dropping a malformed reply', { error: describeError(error) });
      return;
    }
    this.waiters.deliver(reply);
  }

  private async shutdown(): Promise<void> {
    this.state = 'closing';
    const queues = [...this.queues.values()];
    await Promise.all(queues.flatMap((queue) => queue.consumers().map((consumer) => consumer.cancel())));
    // Replies the last handlers sent are delivered on the next turn; then nobody can answer any more.
    await new Promise<void>((resolve) => { setImmediate(resolve); });
    this.waiters.rejectAll((requestId) => new JunctionError('JCT_BROKER_UNAVAILABLE',
      `The in-process broker closed before the reply to message ${requestId} arrived.`, { details: { messageId: requestId } }));
    for (const timer of this.delayTimers) clearTimeout(timer);
    const waiting = this.delayTimers.size;
    this.delayTimers.clear();
    const dropped = queues.reduce((sum, queue) => sum + queue.depth, 0) + waiting;
    if (dropped > 0) this.logger.warn('In-process broker closed with messages not yet handled; they are lost', { dropped });
    this.queues.clear();
    this.state = 'closed';
  }

  private assertOpen(action: string): void {
    if (this.state === 'open') return;
    const why = this.state === 'new' ? 'is not started (call start() first)' : 'is closed';
    throw new JunctionError('JCT_BROKER_UNAVAILABLE', `Cannot ${action}: the in-process broker ${why}.`);
  }

  private queueOf(destination: string, action: string): MemoryQueue {
    const queue = this.queues.get(destination);
    if (queue === undefined) {
      throw new JunctionError('JCT_BROKER_UNAVAILABLE',
        `Cannot ${action} destination "${destination}": it has not been declared (no queue exists for it).`,
        { details: { destination } });
    }
    return queue;
  }
}
