import type { PendingReply, Reply } from '../core/broker';
import { JunctionError } from '../core/errors';
import type { Logger } from '../core/logger';
import { checkRequestId } from './reply-codec';

/** The longest timeout a Node.js timer can hold (about 24.8 days). */
const MAX_TIMEOUT_MS = 2_147_483_647;

interface Waiter {
  readonly resolve: (reply: Reply) => void;
  readonly reject: (error: JunctionError) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * The callers of one broker instance waiting for replies, keyed by request id; shared by both
 * brokers. Each waiter settles at most once: with its reply, with JCT_REPLY_TIMEOUT, or with the
 * error passed to {@link rejectAll}; `cancel` removes it without settling. Timers are unref'd (a
 * waiter never keeps the process alive) and cleared as soon as the waiter is gone.
 */
export class ReplyWaiters {
  private readonly waiters = new Map<string, Waiter>();

  constructor(private readonly logger: Logger) {}

  /** How many callers are waiting. */
  get size(): number {
    return this.waiters.size;
  }

  /**
   * Registers a waiter. Throws (synchronously) a RangeError for a bad timeout and an Error when a
   * waiter for `requestId` already exists on this broker (request ids are envelope ids: unique).
   */
  expect(requestId: string, timeoutMs: number): PendingReply {
    checkRequestId(requestId);
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_TIMEOUT_MS) {
      throw new RangeError(`The reply timeout must be an integer from 1 to ${MAX_TIMEOUT_MS} ms (got ${timeoutMs}).`);
    }
    if (this.waiters.has(requestId)) {
      throw new Error(`Already waiting for a reply to message ${requestId}; a request id must be waited for once.`);
    }
    let waiter!: Waiter;
    const reply = new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.waiters.get(requestId) !== waiter) return;
        this.waiters.delete(requestId);
        reject(new JunctionError('JCT_REPLY_TIMEOUT', `No reply within ${timeoutMs} ms for message ${requestId}`,
          { details: { messageId: requestId } }));
      }, timeoutMs);
      timer.unref();
      waiter = { resolve, reject, timer };
    });
    // A caller that stopped looking (its publish failed, it cancelled too late) must not turn a
    // rejection into an unhandled one that kills the process; awaiting `reply` still sees it.
    reply.catch(() => undefined);
    this.waiters.set(requestId, waiter);
    return Object.freeze({
      reply,
      cancel: (): void => { this.remove(requestId, waiter); },
    });
  }

  /** Hands a reply to its waiter; a reply nobody waits for (late, cancelled) is dropped with a debug line. */
  deliver(reply: Reply): boolean {
    const waiter = this.waiters.get(reply.requestId);
    if (waiter === undefined) {
      this.logger.debug('Dropping a reply no one is waiting for (late, cancelled or sent twice)',
        { requestId: reply.requestId, outcome: reply.outcome });
      return false;
    }
    this.remove(reply.requestId, waiter);
    waiter.resolve(reply);
    return true;
  }

  /** Rejects every waiter (the broker is closing or lost its connection: no reply can arrive any more). */
  rejectAll(error: (requestId: string) => JunctionError): void {
    for (const [requestId, waiter] of [...this.waiters]) {
      this.remove(requestId, waiter);
      waiter.reject(error(requestId));
    }
  }

  private remove(requestId: string, waiter: Waiter): void {
    clearTimeout(waiter.timer);
    if (this.waiters.get(requestId) === waiter) this.waiters.delete(requestId);
  }
}
