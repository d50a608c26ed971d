import type { Logger } from '../../core/logger';
import type { MessageHandler } from '../../core/broker';
import { MemorySubscription, type MessageSource, type QueuedMessage } from './memory-subscription';

/**
 * The in-process queue of one destination. Messages wait in order; subscriptions compete for
 * them round-robin, each holding at most `prefetch` unsettled messages. Dispatch always runs on
 * a later turn of the event loop, never inside the caller of `enqueue`.
 */
export class MemoryQueue implements MessageSource {
  private readonly messages: QueuedMessage[] = [];
  private readonly subscriptions: MemorySubscription[] = [];
  private cursor = 0;
  private scheduled = false;

  constructor(readonly destination: string, private readonly requeueDelayMs: number, private readonly logger: Logger) {}

  /** Messages waiting for a consumer (not counting those held by one). */
  get depth(): number {
    return this.messages.length;
  }

  /** Appends a newly published message (with the caller's reply address for a request-reply message). */
  enqueue(data: Buffer, replyTo?: string): void {
    this.messages.push({ data, redelivered: false, ...(replyTo === undefined ? {} : { replyTo }) });
    this.schedule();
  }

  /** Puts a message a consumer gave back at the head of the queue, marked redelivered. */
  requeue(message: QueuedMessage): void {
    this.messages.unshift({ ...message, redelivered: true });
    this.schedule();
  }

  /** Adds a competing consumer. */
  subscribe(handler: MessageHandler, prefetch: number): MemorySubscription {
    const subscription = new MemorySubscription(this, handler, prefetch, this.requeueDelayMs,
      this.logger.child({ destination: this.destination }));
    this.subscriptions.push(subscription);
    this.schedule();
    return subscription;
  }

  /** Removes a consumer (it stops receiving; what it holds is settled by the consumer). */
  unsubscribe(subscription: MemorySubscription): void {
    const index = this.subscriptions.indexOf(subscription);
    if (index >= 0) this.subscriptions.splice(index, 1);
  }

  /** The current consumers, for shutdown. */
  consumers(): readonly MemorySubscription[] {
    return [...this.subscriptions];
  }

  /** Asks for a dispatch on a later turn of the event loop (coalesced). */
  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.messages.length > 0) {
      const consumer = this.nextReady();
      if (consumer === undefined) return;
      consumer.deliver(this.messages.shift() as QueuedMessage);
    }
  }

  /** The next consumer with room under its prefetch, round-robin. */
  private nextReady(): MemorySubscription | undefined {
    const count = this.subscriptions.length;
    for (let i = 0; i < count; i += 1) {
      const candidate = this.subscriptions[(this.cursor + i) % count];
      if (candidate !== undefined && candidate.ready) {
        this.cursor = (this.cursor + i + 1) % count;
        return candidate;
      }
    }
    return undefined;
  }
}
