import { setTimeout as sleep } from 'node:timers/promises';
import { describeError, JunctionError, toJunctionError } from '../core/errors';
import type { Logger } from '../core/logger';
import type { MessageCursor, ReplayJob } from '../core/operator-records';
import type { TransactionLog } from '../core/transaction-log';
import type { ReplayService } from './replay-service';

/** Options of {@link ReplayJobRunner}. */
export interface ReplayJobRunnerOptions {
  readonly log: TransactionLog;
  readonly service: ReplayService;
  readonly logger: Logger;
  /** This process's name in job leases (unique per process). */
  readonly owner: string;
  /** How often an idle runner looks for a job to take, in ms (default 1000). */
  readonly pollMs?: number;
  /** How long a lease lasts without renewal, in ms (default 30 000): a job whose runner died is taken over after this. */
  readonly leaseMs?: number;
  /** How often a running job re-reads its status (pause, cancel), in ms (default 500). */
  readonly checkMs?: number;
}

const PAGE = 50;

/**
 * Runs bulk replay jobs (docs/operators.md): persisted in the transaction log, so a job survives a
 * restart — a running job whose lease expired is taken over by any process's runner and resumes
 * after its cursor. Replays unresolved FAILED messages matching the job's filter, received before
 * the job was created, oldest first, at most `ratePerSecond`; sees pause and cancel within
 * `checkMs`. One job at a time per process.
 */
export class ReplayJobRunner {
  private readonly pollMs: number;
  private readonly leaseMs: number;
  private readonly checkMs: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private closing = false;

  constructor(private readonly options: ReplayJobRunnerOptions) {
    this.pollMs = options.pollMs ?? 1000;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.checkMs = options.checkMs ?? 500;
  }

  start(): void {
    if (this.timer || this.closing) return;
    this.timer = setInterval(() => this.wake(), this.pollMs);
    this.timer.unref();
    this.wake();
  }

  /** Looks for a job now (after one was created or resumed), unless one is running. */
  wake(): void {
    if (this.running || this.closing) return;
    this.running = this.tick()
      .catch((error: unknown) => this.options.logger.warn('replay job runner: round failed', { error: describeError(error) }))
      .finally(() => { this.running = undefined; });
  }

  /** Stops taking jobs; the job in hand stops after its current message and gives its lease back. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private async tick(): Promise<void> {
    for (;;) {
      const job = await this.options.log.leaseReplayJob(this.options.owner, new Date(Date.now() + this.leaseMs));
      if (!job) return;
      await this.run(job);
      if (this.closing) return;
    }
  }

  private async run(job: ReplayJob): Promise<void> {
    const { log, service, logger, owner } = this.options;
    const log_ = logger.child({ jobId: job.id });
    log_.info('replay job running', { total: job.total, replayed: job.replayed, ratePerSecond: job.ratePerSecond });
    const gap = 1000 / Math.max(1, job.ratePerSecond);
    const upTo = job.filter.receivedTo && job.filter.receivedTo < job.createdAt ? job.filter.receivedTo : job.createdAt;
    let cursor: MessageCursor | undefined = job.cursor;
    let checked = Date.now();
    let renewed = Date.now();
    const release = (): Promise<unknown> => log.updateReplayJob(job.id, { owner: null, leaseUntil: null });
    for (;;) {
      const page = await log.search({ ...job.filter, unresolved: true, receivedTo: upTo, order: 'oldest', limit: PAGE, ...(cursor ? { after: cursor } : {}) });
      if (page.items.length === 0) {
        await log.updateReplayJob(job.id, { status: 'completed', finishedAt: new Date(), owner: null, leaseUntil: null }, ['running']);
        log_.info('replay job completed');
        return;
      }
      for (const item of page.items) {
        if (this.closing) { await release(); return; }
        if (Date.now() - checked >= this.checkMs) {
          checked = Date.now();
          const current = await log.loadReplayJob(job.id);
          if (!current || current.status !== 'running' || current.owner !== owner) {
            if (current?.owner === owner) await release();
            log_.info('replay job stopped', { status: current?.status });
            return;
          }
          if (Date.now() - renewed >= this.leaseMs / 3) {
            renewed = Date.now();
            await log.updateReplayJob(job.id, { leaseUntil: new Date(Date.now() + this.leaseMs) }, ['running']);
          }
        }
        const started = Date.now();
        const at: MessageCursor = { receivedAt: item.receivedAt, id: item.id };
        try {
          await service.replay(item.id, { from: job.source, reason: job.reason }, { name: job.createdBy, role: 'operator', method: 'replay-job' }, { id: job.id, cursor: at });
        } catch (error) {
          const failure = toJunctionError(error);
          if (failure.code === 'JCT_BROKER_UNAVAILABLE' || failure.code === 'JCT_STORE_UNAVAILABLE') {
            // The bus or the log is down: pause rather than fail thousands in a row; resume when it is back.
            await log.updateReplayJob(job.id, { status: 'paused', lastError: failure.toJSON(), owner: null, leaseUntil: null }, ['running']).catch(() => undefined);
            log_.warn('replay job paused: infrastructure unavailable', { code: failure.code });
            return;
          }
          const skipped = failure instanceof JunctionError && failure.code === 'JCT_REPLAY_REFUSED' && failure.details.reason !== 'input-not-captured';
          await log.updateReplayJob(job.id, skipped ? { addSkipped: 1, cursor: at } : { addFailed: 1, cursor: at, lastError: failure.toJSON() });
          log_.info(skipped ? 'message skipped' : 'message not replayed', { messageId: item.id, code: failure.code, error: failure.message });
        }
        cursor = at;
        const wait = gap - (Date.now() - started);
        if (wait > 0) await sleep(wait);
      }
    }
  }
}
