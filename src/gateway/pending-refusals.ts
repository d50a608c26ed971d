import { describeError, JunctionError } from '../core/errors';
import type { Logger } from '../core/logger';
import type { TransactionLog } from '../core/transaction-log';

/** Driver codes meaning the statement never reached the database: nothing can have been recorded. */
const NEVER_SENT: ReadonlySet<string> = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ER_CON_COUNT_ERROR', 'ER_TOO_MANY_USER_CONNECTIONS',
]);

/** The stage detail of a message the gateway refused to its caller (see wasRefused in message-intake.ts). */
export const REFUSED_DETAIL = 'refused to the caller';

/** True when a failed write may nevertheless have been committed (the connection died during it, say). */
export function mayHaveCommitted(error: unknown): boolean {
  if (!(error instanceof JunctionError) || error.code !== 'JCT_STORE_UNAVAILABLE') return false;
  const driverCode = error.details['driverCode'];
  return !(typeof driverCode === 'string' && NEVER_SENT.has(driverCode));
}

/** Options of {@link PendingRefusals}. */
export interface PendingRefusalsOptions {
  readonly log: TransactionLog;
  readonly logger: Logger;
  /** How often to try again while the log fails (default 1000 ms). */
  readonly retryMs?: number;
  /** At most this many ids are remembered (default 10 000); beyond, the oldest is given up with an error line. */
  readonly limit?: number;
}

/**
 * Messages a gateway refused (503) although it cannot be sure they were not recorded: the
 * transaction log failed *during* the write, so the insert may have been committed without the
 * gateway hearing so. Left alone, such a message would sit RECEIVED and the recovery sweep would
 * deliver it behind the back of a caller who was told "no". This ledger marks each one FAILED
 * (stage `publish`, "refused to the caller") as soon as the log answers again — only from RECEIVED,
 * so a message a repeat with the same idempotency key has since taken over is left alone. The
 * sweep of this process skips the ids still pending ({@link has}).
 */
export class PendingRefusals {
  private readonly ids = new Map<string, JunctionError>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private closed = false;
  private readonly retryMs: number;
  private readonly limit: number;
  private readonly logger: Logger;

  constructor(private readonly options: PendingRefusalsOptions) {
    this.retryMs = options.retryMs ?? 1000;
    this.limit = options.limit ?? 10_000;
    this.logger = options.logger.child({ component: 'pending-refusals' });
  }

  /** Ids not yet settled. */
  get size(): number {
    return this.ids.size;
  }

  /** True while `id` waits to be marked refused. */
  has(id: string): boolean {
    return this.ids.has(id);
  }

  /** Remembers a message refused after a write that may have been committed; tries to mark it soon. */
  add(id: string, failure: JunctionError): void {
    if (this.closed) return;
    if (this.ids.size >= this.limit) {
      const [oldest] = this.ids.keys();
      if (oldest !== undefined) {
        this.ids.delete(oldest);
        this.logger.error('too many refused messages waiting to be marked; giving one up (if it was recorded, the recovery sweep will deliver it)', { messageId: oldest });
      }
    }
    this.ids.set(id, failure);
    this.schedule();
  }

  /** One pass now: marks every pending id it can. Never rejects. */
  flush(): Promise<void> {
    this.flushing ??= this.pass().finally(() => { this.flushing = undefined; });
    return this.flushing;
  }

  /** Stops retrying after one last pass; ids still pending are named in an error line. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
    if (this.ids.size > 0) {
      this.logger.error('stopping with refused messages not marked FAILED; if they were recorded, the recovery sweep will deliver them',
        { count: this.ids.size, messageIds: [...this.ids.keys()].slice(0, 20).join(' ') });
    }
  }

  private schedule(): void {
    if (this.timer !== undefined || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush().then(() => { if (this.ids.size > 0) this.schedule(); });
    }, this.retryMs);
    this.timer.unref();
  }

  private async pass(): Promise<void> {
    for (const [id, failure] of [...this.ids]) {
      try {
        const result = await this.options.log.transition(id, {
          stage: 'publish', status: 'FAILED', attempt: 1, error: failure.toJSON(),
          detail: `${REFUSED_DETAIL} (the transaction log failed while recording it)`,
        }, ['RECEIVED']);
        this.ids.delete(id);
        if (result === 'applied') this.logger.warn('a message refused to its caller had been recorded after all; marked FAILED', { messageId: id });
      } catch (error) {
        this.logger.debug('cannot mark a refused message yet', { messageId: id, error: describeError(error) });
        return; // the log still fails: try the rest on the next pass
      }
    }
  }
}
