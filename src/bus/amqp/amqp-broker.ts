import { connect, type Channel, type ChannelModel } from 'amqplib';
import type {
  Broker, ConsumeOptions, MessageHandler, PendingReply, PublishOptions, QueueDepth, Reply, Subscription,
} from '../../core/broker';
import type { Envelope } from '../../core/envelope';
import type { JunctionError, SerializedError } from '../../core/errors';
import type { Logger } from '../../core/logger';
import { checkPrefetch } from '../consume-options';
import { encodeReply } from '../reply-codec';
import { ReplyWaiters } from '../reply-waiters';
import { compileAmqpBrokerOptions, type AmqpBrokerOptions, type CompiledAmqpBrokerOptions } from './amqp-broker-options';
import { brokerUnavailable, describeAmqpError } from './amqp-errors';
import { AmqpPublisher } from './amqp-publisher';
import { AmqpReplyQueue } from './amqp-reply-queue';
import { AmqpSubscription } from './amqp-subscription';
import { AmqpTopology, delayBucketMs, MAX_DELAY_MS } from './amqp-topology';
import { connectionUrl } from './amqp-url';
import { coalesceWrites } from './coalesced-writes';

/** Header of a dead-lettered message: the error that ended it, as SerializedError JSON. */
export const ERROR_HEADER = 'x-junction-error';
/** Header of a dead-lettered message: the error's code. */
export const ERROR_CODE_HEADER = 'x-junction-error-code';
/** Header of a dead-lettered message: when it was parked (ISO 8601). */
export const DEAD_LETTERED_AT_HEADER = 'x-junction-dead-lettered-at';

/** The constructor options, re-exported for callers that only import the broker. */
export type { AmqpBrokerOptions } from './amqp-broker-options';

/** new → open ⇄ lost (reconnecting) → closing → closed. */
type State = 'new' | 'open' | 'lost' | 'closing' | 'closed';

/**
 * The two AMQP connections of one broker and whether either has closed (a 'close' may come before
 * we adopt them). Publishing has a connection of its own: under a resource alarm RabbitMQ stops
 * reading from every connection that publishes, and consumers sharing it could no longer ack —
 * the queues that need draining would stall (docs/bus.md, "Two connections").
 */
interface Link {
  /** Consumers, the reply queue, declarations. */
  readonly connection: ChannelModel;
  /** The confirm channel: messages, delayed copies, dead letters, replies. */
  readonly publishing: ChannelModel;
  closed: boolean;
}

/** Closes both connections of a link (already closed ones are fine). */
async function closeLink(link: Link): Promise<void> {
  await Promise.all([link.connection.close().catch(() => undefined), link.publishing.close().catch(() => undefined)]);
}

/** A delay queue used on some connection: re-declared after a reconnect. */
interface DelayQueueUse {
  readonly destination: string;
  readonly bucketMs: number;
}

/**
 * The production bus on RabbitMQ (amqplib): one connection, a confirm channel for publishing
 * (messages and replies), a channel consuming this connection's exclusive reply queue, and one
 * channel per subscription. See docs/bus.md for the topology, delivery semantics and request-reply.
 * Declared destinations, delay queues used and subscriptions are kept here: after a lost connection
 * the broker reconnects with backoff and restores them (docs/bus.md, "Reconnection").
 */
export class AmqpBroker implements Broker {
  private readonly options: CompiledAmqpBrokerOptions;
  private readonly topology: AmqpTopology;
  private readonly logger: Logger;
  private state: State = 'new';
  private lostReason = '';
  private link: Link | undefined;
  /** The reconnection loop while the connection is lost (never rejects). */
  private reconnecting: Promise<void> | undefined;
  /** Ends the current backoff wait early (close()). */
  private wakeBackoff: (() => void) | undefined;
  /** Set synchronously by close(): no further reconnection attempt starts. */
  private stopRequested = false;
  private starting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private publisher: AmqpPublisher | undefined;
  private publisherOpening: Promise<AmqpPublisher> | undefined;
  private readonly declared = new Set<string>();
  /** Delay queues declared on this connection (name → declaration), declared once each. */
  private readonly delayQueues = new Map<string, Promise<void>>();
  /** Every delay queue used so far (name → what it is), re-declared after a reconnect. */
  private readonly usedDelayQueues = new Map<string, DelayQueueUse>();
  private readonly subscriptions = new Set<AmqpSubscription>();
  private replyQueue: AmqpReplyQueue | undefined;
  /** Why replies can no longer arrive while the connection lives on (the reply queue was deleted). */
  private repliesLost: string | undefined;
  private readonly waiters: ReplyWaiters;

  /** Checks the options; connects only in {@link start}. */
  constructor(options: AmqpBrokerOptions) {
    this.options = compileAmqpBrokerOptions(options);
    this.topology = new AmqpTopology(this.options.prefix);
    this.logger = this.options.logger.child({ component: 'amqp-broker', prefix: this.options.prefix });
    this.waiters = new ReplyWaiters(this.logger.child({ channel: 'replies' }));
  }

  /**
   * Connects, opens the publishing channel, declares the exchange and this connection's reply
   * queue. A failed start may be retried.
   */
  start(): Promise<void> {
    if (this.closing !== undefined) return Promise.reject(this.unavailable('start'));
    this.starting ??= this.connect().catch((error: unknown) => {
      this.starting = undefined;
      throw error;
    });
    return this.starting;
  }

  /**
   * Cancels subscriptions (waiting for handlers in flight, which may still publish and reply), waits
   * for pending publishes, rejects the callers still waiting for replies, disconnects. Idempotent.
   */
  close(): Promise<void> {
    this.stopRequested = true;
    this.wakeBackoff?.(); // a reconnection waiting for its next attempt stops at once
    this.closing ??= this.shutdown();
    return this.closing;
  }

  /**
   * True while connected with everything restored (publishing, replies, consumers). False before
   * start, while reconnecting after a lost connection, and once closing. For readiness probes.
   */
  isConnected(): boolean {
    return this.state === 'open' && this.link !== undefined && !this.link.closed;
  }

  /**
   * Counts the messages ready on the destination's queue and on its dead-letter queue (passive
   * declarations on a short-lived channel, so a missing queue cannot close a channel in use).
   */
  async queueDepth(destination: string): Promise<QueueDepth> {
    const connection = this.requireConnection(`count the messages of "${destination}"`);
    const channel = await this.openChannel(connection, `count the messages of "${destination}"`);
    try {
      const ready = await channel.checkQueue(this.topology.queue(destination));
      const parked = await channel.checkQueue(this.topology.deadLetterQueue(destination));
      return { ready: ready.messageCount, deadLettered: parked.messageCount };
    } catch (error) {
      throw brokerUnavailable(`Cannot count the messages of "${destination}": ${describeAmqpError(error)}.`, error, { destination });
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  /** Declares the exchange and each destination's durable classic queue with its binding (idempotent). */
  async declare(destinations: readonly string[]): Promise<void> {
    const connection = this.requireConnection('declare destinations');
    const channel = await this.openChannel(connection, 'declare destinations');
    try {
      await this.topology.declareExchange(channel);
      for (const destination of destinations) {
        await this.topology.declareDestination(channel, destination);
        this.declared.add(destination);
      }
    } finally {
      await channel.close().catch(() => undefined); // already closed when a declaration failed
    }
  }

  /**
   * Publishes persistently; resolves on the broker's confirm, rejects with JCT_BROKER_UNAVAILABLE
   * otherwise. `options.replyTo` travels as the AMQP `reply-to` property.
   */
  async publish(destination: string, message: Envelope, options: PublishOptions = {}): Promise<void> {
    const publisher = await this.openPublisher(`publish to "${destination}"`);
    await publisher.publish(destination, message, options.replyTo);
  }

  /**
   * Publishes to the destination's delay queue for `delayMs` rounded to its bucket (see
   * {@link delayBucketMs}; declared on first use): persistent, confirmed. RabbitMQ dead-letters the
   * message back to the destination when it expires, with its properties (`reply-to` included). A
   * delay of 0 publishes directly.
   */
  async publishDelayed(destination: string, message: Envelope, delayMs: number, options: PublishOptions = {}): Promise<void> {
    if (!Number.isFinite(delayMs) || delayMs < 0 || delayMs > MAX_DELAY_MS) {
      throw new RangeError(`publishDelayed needs a delay of 0..${MAX_DELAY_MS} ms (got ${delayMs}).`);
    }
    if (delayMs === 0) {
      await this.publish(destination, message, options);
      return;
    }
    const bucketMs = delayBucketMs(delayMs);
    const queue = this.topology.delayQueue(destination, bucketMs);
    await this.ensureDelayQueue(queue, destination, bucketMs);
    const publisher = await this.openPublisher(`publish to "${destination}" after ${delayMs} ms`);
    await publisher.publishToQueue(queue, message, `"${destination}" after ${bucketMs} ms (delay queue ${queue})`, {}, options.replyTo);
  }

  /**
   * Parks the message on the destination's dead-letter queue with the error in its headers
   * (`x-junction-error`: the SerializedError as JSON; `x-junction-error-code`); persistent,
   * confirmed. Rejects with JCT_BROKER_UNAVAILABLE when the queue does not exist (not declared).
   */
  async deadLetter(destination: string, message: Envelope, error: SerializedError): Promise<void> {
    const queue = this.topology.deadLetterQueue(destination);
    const publisher = await this.openPublisher(`dead-letter message ${message.id} of "${destination}"`);
    await publisher.publishToQueue(queue, message, `the dead-letter queue of "${destination}"`, {
      [ERROR_HEADER]: JSON.stringify(error), [ERROR_CODE_HEADER]: error.code, [DEAD_LETTERED_AT_HEADER]: new Date().toISOString(),
    });
  }

  /** The name of this connection's reply queue; throws JCT_BROKER_UNAVAILABLE unless connected. */
  replyAddress(): string {
    return this.requireReplyQueue('give a reply address').name;
  }

  /**
   * Waits for the reply to `requestId` on this connection's reply queue; rejects with
   * JCT_REPLY_TIMEOUT after `timeoutMs`, with JCT_BROKER_UNAVAILABLE when the broker closes or
   * loses its connection first. Throws JCT_BROKER_UNAVAILABLE at once when replies cannot arrive.
   */
  expectReply(requestId: string, timeoutMs: number): PendingReply {
    this.requireReplyQueue(`wait for a reply to message ${requestId}`);
    return this.waiters.expect(requestId, timeoutMs);
  }

  /**
   * Sends a reply through the default exchange to the caller's reply queue: transient, not
   * mandatory (a caller that has gone is fine: RabbitMQ drops it), confirmed. Rejects with
   * JCT_BROKER_UNAVAILABLE when it could not be sent. An address that is not one of this prefix's
   * reply queues is refused with a warning (a worker never writes into other queues on request).
   */
  async reply(replyTo: string, reply: Reply): Promise<void> {
    const content = encodeReply(reply);
    this.requireConnection(`reply to message ${reply.requestId}`);
    if (!this.topology.isReplyQueue(replyTo)) {
      this.logger.warn('Not sending a reply to an address that is not a Junction reply queue of this prefix',
        { replyTo, requestId: reply.requestId });
      return;
    }
    const publisher = await this.openPublisher(`reply to message ${reply.requestId}`);
    await publisher.publishReply(replyTo, reply, content);
  }

  /** Consumes a declared destination on a channel of its own. */
  async consume(destination: string, handler: MessageHandler, options: ConsumeOptions): Promise<Subscription> {
    checkPrefetch(options.prefetch);
    if (this.closing !== undefined) throw brokerUnavailable(`Cannot consume "${destination}": the broker is closing.`);
    const connection = this.requireConnection(`consume "${destination}"`);
    const subscription = await AmqpSubscription.start(connection, handler, {
      destination,
      queue: this.topology.queue(destination),
      prefetch: options.prefetch,
      requeueDelayMs: this.options.requeueDelayMs,
      logger: this.logger.child({ destination }),
      onEnd: (ended) => { this.subscriptions.delete(ended); },
      park: async (raw, error) => {
        const queue = this.topology.deadLetterQueue(destination);
        const publisher = await this.openPublisher(`park a malformed message of "${destination}"`);
        await publisher.publishRaw(queue, raw.content, raw.properties, {
          [ERROR_HEADER]: JSON.stringify(error.toJSON()), [ERROR_CODE_HEADER]: error.code, [DEAD_LETTERED_AT_HEADER]: new Date().toISOString(),
        }, `the dead-letter queue of "${destination}"`);
      },
    });
    this.subscriptions.add(subscription);
    return subscription;
  }

  private async ensureDelayQueue(queue: string, destination: string, bucketMs: number): Promise<void> {
    let declaring = this.delayQueues.get(queue);
    if (declaring === undefined) {
      const connection = this.requireConnection(`declare delay queue ${queue}`);
      declaring = (async () => {
        const channel = await this.openChannel(connection, `declare delay queue ${queue}`);
        try {
          await this.topology.declareDelayQueue(channel, destination, bucketMs);
        } finally {
          await channel.close().catch(() => undefined);
        }
      })();
      this.delayQueues.set(queue, declaring);
      declaring.then(() => { this.usedDelayQueues.set(queue, { destination, bucketMs }); },
        () => { this.delayQueues.delete(queue); });
    }
    await declaring;
  }

  private async connect(): Promise<void> {
    if (this.state !== 'new') throw this.unavailable('start');
    this.logger.info('Connecting to RabbitMQ', { url: this.options.safeUrl });
    const link = await this.openLink();
    try {
      await this.restore(link);
    } catch (error) {
      this.state = 'closing';
      await closeLink(link);
      this.state = 'new';
      throw error;
    }
    this.logger.info('Connected to RabbitMQ', { url: this.options.safeUrl });
  }

  /** Opens the two AMQP connections (each with timeout `connectTimeoutMs`) with their event handlers. */
  private async openLink(): Promise<Link> {
    const connection = await this.openConnection('consume');
    let publishing: ChannelModel;
    try {
      publishing = await this.openConnection('publish');
    } catch (error) {
      await connection.close().catch(() => undefined);
      throw error;
    }
    const link: Link = { connection, publishing, closed: false };
    for (const [role, each] of [['consume', connection], ['publish', publishing]] as const) {
      each.on('error', (error: Error) => {
        this.logger.error('RabbitMQ connection error', { connection: role, error: describeAmqpError(error) });
      });
      each.on('close', (error?: Error) => {
        const first = !link.closed;
        link.closed = true;
        if (first) this.onConnectionClosed(link, error);
      });
    }
    publishing.on('blocked', (reason: string) => {
      this.logger.warn('RabbitMQ is blocking publishers (resource alarm); publishes wait, then time out; consumers carry on', { reason });
    });
    publishing.on('unblocked', () => { this.logger.info('RabbitMQ unblocked publishers'); });
    return link;
  }

  private async openConnection(role: 'consume' | 'publish'): Promise<ChannelModel> {
    let model: ChannelModel;
    try {
      model = await connect(connectionUrl(this.options.url, this.options.heartbeatSeconds), {
        timeout: this.options.connectTimeoutMs,
        // amqplib leaves Nagle's algorithm on. A message over 2 KB is written in two pieces, and the
        // second waited for the ACK of the first: RabbitMQ's delayed ACK, ~40 ms per publish.
        noDelay: true,
        clientProperties: { connection_name: `junction (${this.options.prefix}) ${role}` },
        ...(this.options.tls ?? {}),
      });
    } catch (error) {
      throw brokerUnavailable(`Cannot connect to RabbitMQ at ${this.options.safeUrl}: ${describeAmqpError(error)}. `
        + 'Check that RabbitMQ is running and that the URL, user and password are right.', error);
    }
    if (!coalesceWrites(model)) this.logger.debug('amqplib internals differ from 2.3.1: frames are written one by one');
    return model;
  }

  /**
   * Brings a new connection to the state the broker had: exchange, declared destinations (with
   * their dead-letter queues), delay queues used, a publishing channel, a NEW reply queue, and every
   * active subscription consuming again. Only then is the connection adopted (state `open`).
   * Rejects (JCT_BROKER_UNAVAILABLE) when any step fails; the caller closes the connection.
   */
  private async restore(link: Link): Promise<void> {
    const { connection } = link;
    const channel = await this.openChannel(connection, 'declare the topology');
    try {
      await this.topology.declareExchange(channel);
      for (const destination of this.declared) await this.topology.declareDestination(channel, destination);
      for (const { destination, bucketMs } of this.usedDelayQueues.values()) {
        await this.topology.declareDelayQueue(channel, destination, bucketMs);
      }
    } finally {
      await channel.close().catch(() => undefined);
    }
    let publisher: AmqpPublisher;
    try {
      publisher = await AmqpPublisher.open(link.publishing, this.topology.exchange, this.options.publishTimeoutMs,
        this.logger.child({ channel: 'publish' }));
    } catch (error) {
      throw brokerUnavailable(`Cannot open a publishing channel: ${describeAmqpError(error)}.`, error);
    }
    const replyQueue: AmqpReplyQueue = await AmqpReplyQueue.open(connection, this.topology, this.logger, {
      onReply: (reply) => { this.waiters.deliver(reply); },
      // Only the current reply queue's loss matters; an old one died with its connection.
      onLost: (reason) => { if (this.replyQueue === replyQueue) this.onRepliesLost(reason); },
    });
    for (const subscription of [...this.subscriptions]) {
      if (subscription.active) await subscription.attach(connection);
    }
    if (link.closed) throw brokerUnavailable('The connection to RabbitMQ closed while Junction restored its topology.');
    this.link = link;
    this.publisher = publisher;
    this.replyQueue = replyQueue;
    this.repliesLost = undefined;
    this.delayQueues.clear();
    for (const queue of this.usedDelayQueues.keys()) this.delayQueues.set(queue, Promise.resolve());
    this.state = 'open';
  }

  /**
   * Reconnects until it succeeds or close() is called: exponential backoff from
   * `reconnectMinDelayMs` to `reconnectMaxDelayMs` with jitter, each attempt logged at warn (the URL
   * without its password). Never rejects.
   */
  private async reconnect(): Promise<void> {
    let lastError = this.lostReason;
    for (let attempt = 1; !this.stopRequested && this.state === 'lost'; attempt += 1) {
      const ceiling = Math.min(this.options.reconnectMaxDelayMs, this.options.reconnectMinDelayMs * 2 ** Math.min(attempt - 1, 30));
      const delayMs = Math.round(ceiling / 2 + Math.random() * ceiling / 2);
      this.logger.warn('Reconnecting to RabbitMQ', { url: this.options.safeUrl, attempt, delayMs, lastError });
      await this.backoff(delayMs);
      if (this.stopRequested) return;
      let link: Link | undefined;
      try {
        link = await this.openLink();
        await this.restore(link);
        this.logger.info('Reconnected to RabbitMQ; topology, reply queue and consumers restored', {
          url: this.options.safeUrl, attempt, replyQueue: this.replyQueue?.name, subscriptions: this.subscriptions.size,
        });
        return;
      } catch (error) {
        lastError = describeAmqpError(error);
        if (link !== undefined) await closeLink(link);
      }
    }
  }

  /** Waits `ms` unless close() wakes it first. The timer is not unref'd: a reconnecting worker stays alive. */
  private backoff(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.wakeBackoff = undefined;
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.wakeBackoff = wake;
    });
  }

  private async shutdown(): Promise<void> {
    await this.starting?.catch(() => undefined);
    // A reconnection waiting for its next attempt stops at once; one connecting finishes (bounded by
    // connectTimeoutMs) and, if it succeeded, is closed below like any connection.
    this.wakeBackoff?.();
    await this.reconnecting;
    // Handlers still in flight may publish (replies, next hops): publishing stays open until they settle.
    await Promise.all([...this.subscriptions].map((subscription) => subscription.cancel()));
    const link = this.link;
    const wasOpen = this.state === 'open';
    this.state = 'closing';
    await this.publisher?.close();
    this.waiters.rejectAll((requestId) => brokerUnavailable(
      `The broker closed before the reply to message ${requestId} arrived.`, undefined, { messageId: requestId }));
    await this.replyQueue?.close();
    this.replyQueue = undefined;
    if (wasOpen && link !== undefined) await closeLink(link);
    this.link = undefined;
    this.state = 'closed';
    this.logger.info('Disconnected from RabbitMQ');
  }

  private onConnectionClosed(link: Link, error: Error | undefined): void {
    if (link !== this.link) return; // a connection being restored (its restore fails) or an old one
    this.link = undefined;
    // Both go together: a consume connection left alive would keep its consumers next to the restored ones.
    void closeLink(link);
    this.delayQueues.clear();
    this.publisher = undefined;
    this.replyQueue = undefined;
    if (this.state !== 'open') return; // our own close
    this.state = 'lost';
    this.lostReason = error === undefined ? 'closed by the server' : describeAmqpError(error);
    this.logger.error('Lost the connection to RabbitMQ; reconnecting. Until then publishing fails, consumers are stopped '
      + '(unacked messages return to the queue) and replies cannot arrive', { reason: this.lostReason });
    // The reply queue died with the connection: nobody waiting can hear back any more.
    this.waiters.rejectAll((requestId) => brokerUnavailable(`The connection to RabbitMQ was lost (${this.lostReason}) `
      + `before the reply to message ${requestId} arrived; its outcome will be in the transaction log.`,
    undefined, { messageId: requestId }));
    if (!this.stopRequested) this.reconnecting = this.reconnect().finally(() => { this.reconnecting = undefined; });
  }

  private onRepliesLost(reason: string): void {
    if (this.state !== 'open') return; // closing, or the connection's loss is reported by onConnectionClosed
    this.repliesLost = reason;
    this.logger.error('Replies cannot arrive any more: callers waiting for them fail until the connection is '
      + 're-established (reconnecting gives a new reply queue) or Junction is restarted', { reason, replyQueue: this.replyQueue?.name });
    this.waiters.rejectAll((requestId) => brokerUnavailable(
      `No reply to message ${requestId} can arrive: ${reason}; its outcome will be in the transaction log.`,
      undefined, { messageId: requestId }));
  }

  private requireReplyQueue(action: string): AmqpReplyQueue {
    const connection = this.requireConnection(action);
    if (this.closing !== undefined) throw brokerUnavailable(`Cannot ${action}: the broker is closing.`);
    if (this.repliesLost !== undefined) {
      throw brokerUnavailable(`Cannot ${action}: replies cannot arrive any more (${this.repliesLost}); restart Junction.`);
    }
    if (this.replyQueue === undefined || connection !== this.link?.connection) throw this.unavailable(action);
    return this.replyQueue;
  }

  private async openPublisher(action: string): Promise<AmqpPublisher> {
    if (this.publisher?.open === true && this.state === 'open') return this.publisher;
    this.requireConnection(action);
    const { publishing } = this.link as Link;
    this.publisherOpening ??= AmqpPublisher.open(publishing, this.topology.exchange, this.options.publishTimeoutMs,
      this.logger.child({ channel: 'publish' }))
      .then((publisher) => { this.publisher = publisher; return publisher; })
      .finally(() => { this.publisherOpening = undefined; });
    try {
      return await this.publisherOpening;
    } catch (error) {
      throw brokerUnavailable(`Cannot ${action}: opening a publishing channel failed: ${describeAmqpError(error)}.`, error);
    }
  }

  private async openChannel(connection: ChannelModel, action: string): Promise<Channel> {
    try {
      const channel = await connection.createChannel();
      // A failed declaration closes the channel with an 'error' event; the failing call reports it.
      channel.on('error', (error: Error) => { this.logger.debug('Channel closed by RabbitMQ', { error: describeAmqpError(error) }); });
      return channel;
    } catch (error) {
      throw brokerUnavailable(`Cannot ${action}: opening a channel to RabbitMQ failed: ${describeAmqpError(error)}.`, error);
    }
  }

  private requireConnection(action: string): ChannelModel {
    if (this.state === 'open' && this.link !== undefined && !this.link.closed) return this.link.connection;
    throw this.unavailable(action);
  }

  private unavailable(action: string): JunctionError {
    const why: Record<State, string> = {
      new: 'the broker is not started (call start() first)',
      open: 'the broker is still connecting',
      lost: `the connection to RabbitMQ was lost (${this.lostReason}) and is being re-established; nothing was sent, retry later`,
      closing: 'the broker is closing',
      closed: 'the broker is closed',
    };
    return brokerUnavailable(`Cannot ${action}: ${why[this.state]}.`);
  }
}
