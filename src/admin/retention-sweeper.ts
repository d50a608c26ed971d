import { setTimeout as sleep } from 'node:timers/promises';
import type { RetentionConfig } from '../config/admin-config-types';
import { describeError } from '../core/errors';
import type { Logger } from '../core/logger';
import type { TransactionLog } from '../core/transaction-log';

const DAY_MS = 86_400_000;

/**
 * Deletes settled messages past their age (docs/operators.md, "Retention"): DELIVERED ones after
 * `deliveredDays`, FAILED ones only once replayed or resolved, after `resolvedDays`; anything not
 * settled and every unresolved FAILED message stays. Works in batches of `batchSize`, each its own
 * short transaction (row locks by primary key, no table lock), with `pauseMs` between batches and
 * `intervalMs` between rounds, so traffic is never held up behind it. One round at a time.
 */
export class RetentionSweeper {
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<number> | undefined;
  private closing = false;

  constructor(private readonly deps: { log: TransactionLog; logger: Logger; settings: RetentionConfig; now?: () => Date }) {}

  start(): void {
    if (this.timer || this.closing) return;
    this.timer = setInterval(() => { void this.sweep(); }, this.deps.settings.intervalMs);
    this.timer.unref();
  }

  /** Runs one round now (or joins the one running); resolves how many messages it deleted. */
  sweep(): Promise<number> {
    this.round ??= this.purgeAll().finally(() => { this.round = undefined; });
    return this.round;
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.round?.catch(() => undefined);
  }

  private async purgeAll(): Promise<number> {
    const { log, logger, settings } = this.deps;
    const now = (this.deps.now ?? (() => new Date()))().getTime();
    const request = {
      deliveredBefore: new Date(now - settings.deliveredDays * DAY_MS),
      resolvedBefore: new Date(now - settings.resolvedDays * DAY_MS),
      limit: settings.batchSize,
    };
    let total = 0;
    try {
      while (!this.closing) {
        const deleted = await log.purge(request);
        total += deleted;
        if (deleted < settings.batchSize) break;
        if (settings.pauseMs > 0) await sleep(settings.pauseMs);
      }
    } catch (error) {
      logger.warn('retention: purge failed; next round will try again', { error: describeError(error), deleted: total });
    }
    if (total > 0) logger.info('retention: settled messages deleted', { deleted: total });
    return total;
  }
}
