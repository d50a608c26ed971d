import type { Broker, ConsumeOptions, MessageHandler, Subscription } from '../../core/broker';
import { encodeEnvelope, type Envelope } from '../../core/envelope';
import { JunctionError } from '../../core/errors';
import { silentLogger, type Logger } from '../../core/logger';
import { checkPrefetch } from '../consume-options';
import { MemoryQueue } from './memory-queue';

/** Options for {@link MemoryBroker}. */
export interface MemoryBrokerOptions {
  /** Milliseconds a message waits before it is redelivered after its handler failed. Default 1000. */
  readonly requeueDelayMs?: number;
  readonly logger?: Logger;
}

type State = 'new' | 'open' | 'closing' | 'closed';

/**
 * The embedded, in-process bus (the default when no RabbitMQ is configured): one process, not
 * durable — messages not yet handled are lost when the process stops. Same delivery semantics as
 * AmqpBroker: declared destinations, competing consumers, prefetch, redelivery after a failed
 * handler, handlers always run asynchronously.
 */
export class MemoryBroker implements Broker {
  private state: State = 'new';
  private readonly queues = new Map<string, MemoryQueue>();
  private readonly requeueDelayMs: number;
  private readonly logger: Logger;
  private closing: Promise<void> | undefined;

  constructor(options: MemoryBrokerOptions = {}) {
    const delay = options.requeueDelayMs ?? 1000;
    if (!Number.isFinite(delay) || delay < 0) {
      throw new RangeError(`MemoryBroker requeueDelayMs must be a number of milliseconds >= 0 (got ${delay}).`);
    }
    this.requeueDelayMs = delay;
    this.logger = (options.logger ?? silentLogger).child({ component: 'memory-broker' });
  }

  /** Opens the broker (nothing to connect to). */
  async start(): Promise<void> {
    if (this.state === 'closing' || this.state === 'closed') {
      throw new JunctionError('JCT_BROKER_UNAVAILABLE', 'The in-process broker is closed; create a new one.');
    }
    this.state = 'open';
  }

  /** Cancels every subscription (waiting for handlers in flight) and drops waiting messages. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
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
  async publish(destination: string, message: Envelope): Promise<void> {
    this.assertOpen(`publish to "${destination}"`);
    this.queueOf(destination, 'publish to').enqueue(encodeEnvelope(message));
  }

  /** Adds a competing consumer to a declared destination. */
  async consume(destination: string, handler: MessageHandler, options: ConsumeOptions): Promise<Subscription> {
    checkPrefetch(options.prefetch);
    this.assertOpen(`consume "${destination}"`);
    return this.queueOf(destination, 'consume').subscribe(handler, options.prefetch);
  }

  private async shutdown(): Promise<void> {
    this.state = 'closing';
    const queues = [...this.queues.values()];
    await Promise.all(queues.flatMap((queue) => queue.consumers().map((consumer) => consumer.cancel())));
    const dropped = queues.reduce((sum, queue) => sum + queue.depth, 0);
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
