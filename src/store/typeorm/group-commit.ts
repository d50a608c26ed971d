import { createPool, format, type Pool, type PoolConnection, type ResultSetHeader } from 'mysql2/promise';
import { CONFIG_SCHEMA } from '../../config/config-schema';
import { JunctionError } from '../../core/errors';
import type { Logger } from '../../core/logger';
import { LATENCY_BUCKETS_SECONDS, noMetricsFactory, secondsSince, type Histogram, type MetricsFactory } from '../../core/metrics';
import type { TransitionResult } from '../../core/transaction-log';
import { MYSQL_POOL, MYSQL_SESSION, mysqlSsl, type StoreTarget, type StoreTls } from './data-source';
import type { StoreEntities } from './entities';
import { GroupCommitSql, type BatchWrite, type Statement } from './group-commit-sql';
import { withQuotedLongText } from './sql-literal';
import { isUnavailable, retryAfterDeadlock, toStoreError } from './store-errors';
import { killMysqlConnection, OperationTimeoutError, type Mysql2Connection } from './unit-of-work';

/** Settings of group commit (configuration `store.groupCommit`, docs/store.md). */
export interface GroupCommitSettings {
  /** Writes per transaction, at most. */
  readonly maxWrites: number;
  /** Bytes of payload per transaction, at most (one bigger write goes alone); keep well under max_allowed_packet. */
  readonly maxBytes: number;
  /** Transactions in flight at once (each on its own connection). */
  readonly connections: number;
}

const SCHEMA_DEFAULTS = CONFIG_SCHEMA.properties.store.properties.groupCommit.properties;

/**
 * The defaults for a log built without configuration (tests, the benchmark): those of
 * `store.groupCommit` in the configuration schema, the one place they are written (256 writes or
 * 4 MiB per transaction, 4 transactions in flight).
 */
export const DEFAULT_GROUP_COMMIT: GroupCommitSettings = Object.freeze({
  maxWrites: SCHEMA_DEFAULTS.maxWrites.default,
  maxBytes: SCHEMA_DEFAULTS.maxBytes.default,
  connections: SCHEMA_DEFAULTS.connections.default,
});

/** Options of {@link GroupCommitWriter}. */
export interface GroupCommitOptions {
  readonly target: Extract<StoreTarget, { dialect: 'mysql' }>;
  readonly entities: StoreEntities;
  readonly settings: GroupCommitSettings;
  /** Deadline of one transaction, waiting for a connection included. */
  readonly timeoutMs: number;
  readonly connectTimeoutMs: number;
  /** TLS to the server (store.tls), as the log's own pool uses it. */
  readonly tls?: StoreTls;
  readonly logger: Logger;
  readonly metrics?: MetricsFactory;
}

interface Pending {
  /** The message written. */
  readonly id: string;
  readonly write: BatchWrite;
  readonly bytes: number;
  /** May wait (up to {@link DEFERRED_WRITE_MS}) for another write to share its transaction. */
  readonly deferrable: boolean;
  readonly resolve: (result: TransitionResult | undefined) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * A statement's SQL with its values escaped in: what mysql2's `connection.format` does with this
 * pool's settings, long text (payloads) quoted by sql-literal.ts — the same stored value for a
 * fraction of the work.
 */
function formatStatement(statement: Statement): string {
  return format(statement.sql, withQuotedLongText(statement.values) as Parameters<typeof format>[1], false, 'Z');
}

/**
 * The pool's `queryFormat`. The writer sends only SQL it has formatted already (and never values);
 * mysql2 would otherwise format it again — a character-by-character scan of the whole text,
 * payloads included, for placeholders that are not there (a tenth of the worker's CPU with 100 KB
 * bodies).
 */
function preformatted(sql: string): string {
  return sql;
}

/**
 * Longest a deferrable write waits for a transaction to join before it gets one of its own. Short
 * enough for a status view, far below the recovery sweep's grace period (30 s), which is what the
 * deferrable QUEUED mark is for.
 */
export const DEFERRED_WRITE_MS = 250;

function sizeOf(write: BatchWrite): number {
  const stages = write.kind === 'receive' ? [write.stage] : write.stages;
  const own = stages.reduce((sum, stage) => sum + 512 + (stage.payload?.length ?? 0) + (stage.error?.length ?? 0) + (stage.detail?.length ?? 0), 0);
  return own + (write.kind === 'receive' ? write.message.payload.length + write.message.headers.length : 0);
}

/**
 * Group commit for the transaction log on MySQL/MariaDB. Writes (new messages, status changes with
 * their stages) queue up while earlier transactions are committing and then go together: one
 * transaction, one commit (one fsync) for many writes, in one round trip for a batch with at most
 * one status change, two for a bigger one (see `commit`). Each write's promise settles only once its transaction has committed (or failed), so a
 * caller that hears "done" has a durable write, as before. A write alone on a quiet system goes at
 * once, in a transaction of its own: nothing waits for a timer.
 *
 * Semantics are those of one transaction per write, applied in the order the writes arrived: the
 * writes of one message are never in two transactions at once, and a conditional transition sees
 * the statuses the earlier writes left. A batch that
 * fails for a reason other than an unreachable database (a duplicate id, a value too large) is
 * rolled back and its writes are applied one by one, so each caller gets its own answer; a
 * deadlock retries the batch. See docs/store.md, "Group commit".
 */
export class GroupCommitWriter {
  private pool: Pool | undefined;
  private readonly sql: GroupCommitSql;
  private queue: Pending[] = [];
  /** How many of the queued writes are deferrable. */
  private deferrableQueued = 0;
  private inFlight = 0;
  /** Message id → its writes in transactions in flight. */
  private readonly busy = new Map<string, number>();
  private readonly idle: Array<() => void> = [];
  private deferTimer: NodeJS.Timeout | undefined;
  /** Deferrable writes have waited long enough: they go even without another write. */
  private deferredDue = false;
  private closing = false;
  private readonly batchRows: Histogram;
  private readonly commitSeconds: Histogram;

  constructor(private readonly options: GroupCommitOptions) {
    this.sql = new GroupCommitSql(options.entities);
    const metrics = options.metrics ?? noMetricsFactory;
    this.batchRows = metrics.histogram({
      name: 'junction_store_write_batch_rows', help: 'Writes per group commit of the transaction log.', labelNames: [],
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
    });
    this.commitSeconds = metrics.histogram({
      name: 'junction_store_commit_seconds', help: 'Time of one group commit, from the first statement to COMMIT answered.', labelNames: [],
      buckets: LATENCY_BUCKETS_SECONDS,
    });
  }

  /** Creates the pool (connections are opened on first use). */
  start(): void {
    const { target, settings, connectTimeoutMs } = this.options;
    this.pool ??= createPool({
      host: target.host, port: target.port, user: target.user, password: target.password, database: target.database,
      ...MYSQL_SESSION, flags: [...MYSQL_SESSION.flags], ...MYSQL_POOL, connectionLimit: settings.connections, connectTimeout: connectTimeoutMs,
      // Several statements per round trip: values are escaped client-side, never concatenated.
      multipleStatements: true, supportBigNumbers: true, queryFormat: preformatted as (query: string, values: unknown) => void,
      ...(this.options.tls ? { ssl: mysqlSsl(this.options.tls) } : {}),
    });
  }

  /**
   * Queues a write; resolves with its result once its transaction has committed. A `deferrable`
   * write starts no transaction of its own: it goes with the next write that does, or after
   * {@link DEFERRED_WRITE_MS} (for a write nobody waits for, such as the QUEUED mark).
   */
  write(write: BatchWrite, deferrable = false): Promise<TransitionResult | undefined> {
    return new Promise((resolve, reject) => {
      this.queue.push({ id: write.kind === 'receive' ? write.message.id : write.messageId, write, bytes: sizeOf(write), deferrable, resolve, reject });
      if (deferrable) this.deferrableQueued += 1;
      this.pump();
    });
  }

  /** Commits what is queued (deferrable writes at once), waits for every write to settle, then closes the pool. */
  async close(): Promise<void> {
    this.closing = true;
    this.pump();
    if (this.queue.length > 0 || this.inFlight > 0) await new Promise<void>((resolve) => { this.idle.push(resolve); });
    clearTimeout(this.deferTimer);
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end().catch(() => undefined);
  }

  private pump(): void {
    const { connections } = this.options.settings;
    while (this.inFlight < connections && this.queue.length > 0) {
      // Nothing queued needs a commit now: the deferrable writes wait for a write that does (or the timer).
      if (!this.closing && !this.deferredDue && this.deferrableQueued === this.queue.length) break;
      const batch = this.takeBatch();
      if (batch.length === 0) break; // every queued write waits for an earlier write of its message
      this.inFlight += 1;
      for (const pending of batch) this.busy.set(pending.id, (this.busy.get(pending.id) ?? 0) + 1);
      void this.run(batch).finally(() => {
        for (const pending of batch) {
          const left = (this.busy.get(pending.id) ?? 1) - 1;
          if (left === 0) this.busy.delete(pending.id);
          else this.busy.set(pending.id, left);
        }
        this.inFlight -= 1;
        this.pump();
        if (this.inFlight === 0 && this.queue.length === 0) for (const wake of this.idle.splice(0)) wake();
      });
    }
    this.watchDeferred();
  }

  /** Arms the timer that commits deferrable writes left waiting; disarms it when none is left. */
  private watchDeferred(): void {
    if (this.deferrableQueued === 0) {
      this.deferredDue = false;
      clearTimeout(this.deferTimer);
      this.deferTimer = undefined;
      return;
    }
    if (this.deferTimer !== undefined || this.deferredDue) return;
    this.deferTimer = setTimeout(() => {
      this.deferTimer = undefined;
      this.deferredDue = true;
      this.pump();
    }, DEFERRED_WRITE_MS);
    this.deferTimer.unref();
  }

  /**
   * The next batch: queued writes in arrival order, up to the limits, leaving behind every write
   * whose message has a write in a transaction still in flight (or left behind already). So the
   * writes of one message are applied in the order they were made, never in two transactions at
   * once, while other messages' writes go ahead.
   */
  private takeBatch(): Pending[] {
    const { maxWrites, maxBytes } = this.options.settings;
    const batch: Pending[] = [];
    const left: Pending[] = [];
    const held = new Set<string>();
    let bytes = 0;
    for (const pending of this.queue) {
      const full = batch.length >= maxWrites || (batch.length > 0 && bytes + pending.bytes > maxBytes);
      if (full || held.has(pending.id) || this.busy.has(pending.id)) {
        held.add(pending.id);
        left.push(pending);
        continue;
      }
      batch.push(pending);
      bytes += pending.bytes;
      if (pending.deferrable) this.deferrableQueued -= 1;
    }
    this.queue = left;
    return batch;
  }

  private async run(batch: Pending[]): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        const started = performance.now();
        const results = await this.withDeadline((connection) => this.commit(connection, batch));
        this.batchRows.observe({}, batch.length);
        this.commitSeconds.observe({}, secondsSince(started));
        batch.forEach((pending, i) => pending.resolve(results[i]));
        return;
      } catch (error) {
        if (await retryAfterDeadlock(error, attempt)) {
          this.options.logger.debug('Deadlock in a group commit; retrying it', { attempt, writes: batch.length });
          continue;
        }
        if (error instanceof JunctionError || isUnavailable(error)) {
          const failure = toStoreError(error, this.options.target.label);
          for (const pending of batch) pending.reject(failure);
          return;
        }
        // Something one write caused (a duplicate id, a value too large): each write on its own, in order.
        if (batch.length > 1) this.options.logger.debug('A group commit failed; applying its writes one by one', { writes: batch.length, error: String(error) });
        for (const pending of batch) {
          await pending.write.single().then(pending.resolve, pending.reject);
        }
        return;
      }
    }
  }

  /** Runs `work` on a pooled connection within the deadline; past it the connection is destroyed and the work fails. */
  private async withDeadline<T>(work: (connection: PoolConnection) => Promise<T>): Promise<T> {
    const pool = this.pool;
    if (!pool) throw new JunctionError('JCT_STORE_UNAVAILABLE', `The transaction log (${this.options.target.label}) is closed.`);
    let timer: NodeJS.Timeout | undefined;
    let connection: PoolConnection | undefined;
    let expired = false;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const timeout = new OperationTimeoutError(this.options.timeoutMs);
        expired = true;
        // The promise wrapper's destroy() would end the socket politely and leave the batch's query pending for good.
        if (connection) killMysqlConnection((connection as unknown as { connection: Mysql2Connection }).connection, timeout);
        reject(timeout);
      }, this.options.timeoutMs);
    });
    const running = (async () => {
      const taken = await pool.getConnection();
      connection = taken;
      if (expired) {
        taken.destroy();
        throw new OperationTimeoutError(this.options.timeoutMs);
      }
      let usable = true;
      try {
        return await work(taken);
      } catch (error) {
        // A failed multi-statement leaves its transaction open (a deadlock has rolled it back already).
        if (!expired) await taken.query('ROLLBACK').catch(() => { usable = false; });
        throw error;
      } finally {
        if (expired) {
          // destroyed by the deadline
        } else if (usable) taken.release();
        else taken.destroy();
      }
    })();
    running.catch(() => undefined);
    try {
      return await Promise.race([running, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * One transaction for the whole batch; the result of each write, in order. The new messages and
   * their stages go as multi-row INSERTs, each transition as a conditional UPDATE whose stage rows
   * are written only if it matched. A batch with one transition at most — what a lightly loaded
   * process commits, where a round trip is a good part of a write's latency — takes one round trip
   * ({@link GroupCommitSql.insertStagesIfUpdated}); a bigger one takes two (the UPDATEs, then the
   * stage rows of those that matched as one multi-row INSERT, and COMMIT): per write, that is less
   * work for the database, and the second round trip is shared by the whole batch.
   */
  private async commit(connection: PoolConnection, batch: readonly Pending[]): Promise<(TransitionResult | undefined)[]> {
    const writes = batch.map((p) => p.write);
    const receives = writes.filter((w): w is Extract<BatchWrite, { kind: 'receive' }> => w.kind === 'receive');
    const first: Statement[] = [{ sql: 'START TRANSACTION', values: [] }];
    if (receives.length > 0) {
      first.push(this.sql.insertMessages(receives.map((w) => w.message)), this.sql.insertStages(receives.map((w) => w.stage)));
    }
    const updates = writes.flatMap((write, i) => (write.kind === 'transition' && (write.from === undefined || write.from.length > 0) ? [i] : []));
    const lone = updates.length <= 1;
    const updateAt = new Map<number, number>();
    for (const i of updates) {
      const write = writes[i] as Extract<BatchWrite, { kind: 'transition' }>;
      updateAt.set(i, first.length);
      first.push(this.sql.updateStatus(write));
      if (lone) first.push(this.sql.insertStagesIfUpdated(write.stages));
    }
    // A conditional transition that did not match is `skipped` if its message exists, `missing` if
    // not: asked in the same transaction (a primary-key lookup each).
    const conditional = [...new Set(writes.flatMap((w) => (w.kind === 'transition' && (w.from !== undefined || w.copy !== undefined || w.handling !== undefined) ? [w.messageId] : [])))];
    let existingAt = -1;
    if (lone && conditional.length > 0) {
      existingAt = first.length;
      first.push(this.sql.existing(conditional));
    }
    if (lone) first.push({ sql: 'COMMIT', values: [] });
    const firstResults = await this.execute(connection, first);
    const applied: number[] = updates.filter((i) => ((firstResults[updateAt.get(i) ?? -1] as ResultSetHeader | undefined)?.affectedRows ?? 0) > 0);
    const appliedSet = new Set(applied);
    let existingRows = existingAt < 0 ? [] : (firstResults[existingAt] as { id: string }[]);
    if (!lone) {
      const second: Statement[] = [];
      if (applied.length > 0) {
        second.push(this.sql.insertStages(applied.flatMap((i) => (writes[i] as Extract<BatchWrite, { kind: 'transition' }>).stages)));
      }
      const unmatched = writes.flatMap((w, i) => (w.kind === 'transition' && !appliedSet.has(i) ? [w.messageId] : []));
      if (unmatched.length > 0) {
        existingAt = second.length;
        second.push(this.sql.existing([...new Set(unmatched)]));
      }
      second.push({ sql: 'COMMIT', values: [] });
      const secondResults = await this.execute(connection, second);
      existingRows = existingAt < 0 ? [] : (secondResults[existingAt] as { id: string }[]);
    }
    const existing = new Set(existingRows.map((r) => r.id));
    return writes.map((write, i) => {
      if (write.kind === 'receive') return undefined;
      if (appliedSet.has(i)) return 'applied';
      return existing.has(write.messageId) ? 'skipped' : 'missing';
    });
  }

  /** Sends the statements in one round trip; one result per statement. */
  private async execute(connection: PoolConnection, statements: readonly Statement[]): Promise<unknown[]> {
    const sql = statements.map(formatStatement).join(';\n');
    const [result] = await connection.query(sql);
    return statements.length === 1 ? [result] : (result as unknown[]);
  }
}
