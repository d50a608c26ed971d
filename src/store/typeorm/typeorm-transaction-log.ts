import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { DataSource, EntityManager, SelectQueryBuilder } from 'typeorm';
import type { Envelope } from '../../core/envelope';
import { JunctionError } from '../../core/errors';
import { KeyedQueue } from '../../core/keyed-queue';
import { silentLogger, type Logger } from '../../core/logger';
import type { MessageStatus } from '../../core/message-status';
import type { NonceStore } from '../../core/nonce-store';
import {
  HELD_STAGE, type MessagePage, type MessageQuery, type MessageRecord, type MessageSummary, type ReceiveOptions, type StageEvent, type TransactionLog,
  type TransitionOptions, type TransitionResult,
} from '../../core/transaction-log';
import type { MetricsFactory } from '../../core/metrics';
import type {
  AuditInput, AuditPage, AuditQuery, AuditRecord, FailureGroup, FailureGroupQuery, MessageFilter, MessageSearch, NewReplayJob,
  PurgeRequest, ReplayClaim, ReplayJob, ReplayJobChange, ReplayJobStatus, ReplayRecordResult,
} from '../../core/operator-records';
import { createDataSource, DEFAULT_CONNECT_TIMEOUT_MS, parseStoreUrl, type StoreTarget, type StoreTls } from './data-source';
import { checkTablePrefix, DEFAULT_TABLE_PREFIX, type MessageRow, type StageRow, type StoreEntities } from './entities';
import { DEFAULT_GROUP_COMMIT, GroupCommitWriter, type GroupCommitSettings } from './group-commit';
import { runMigrationsOnce } from './run-migrations';
import { errorColumns } from './message-search';
import * as ops from './operator-writes';
import { sharePayloads } from './shared-payloads';
import { payloadKeyUsage, rekeyPayloads, type PayloadKeyUsage, type PayloadRewrap, type RekeyOptions, type RekeyProgress } from './payload-keys';
import { countMessages, failureGroups, searchMessages } from './message-search';
import {
  checkEnvelope, checkReceiveOptions, messageRowOf, NO_PROTECTION, protectEvent, stageRowOf, toRecord, toSummary, type StoreProtection,
} from './row-mapping';
import { isDuplicateKey, isIdempotencyConflict, retryAfterDeadlock, toStoreError } from './store-errors';
import { rememberNonce } from './nonce-table';
import { TypeOrmLoggerAdapter } from './typeorm-logger';
import { BoundedRunner, SerialRunner, type UnitOfWorkRunner } from './unit-of-work';

/** Options of {@link TypeOrmTransactionLog}. */
export interface TypeOrmTransactionLogOptions {
  /** `mysql://user:pass@host:port/db`, `mariadb://...`, `sqlite:path/to/file.db` or `sqlite::memory:`. */
  readonly url: string;
  /** Prefix of every table (default `jct_`); letters, digits and underscores. */
  readonly tablePrefix?: string;
  /** MySQL connections in the pool (default 10). */
  readonly poolSize?: number;
  /** MySQL: ms to wait for a new connection (default 10 000). */
  readonly connectTimeoutMs?: number;
  /** MySQL: ms one operation may take, waiting for a connection included, before JCT_STORE_UNAVAILABLE (default 15 000). */
  readonly operationTimeoutMs?: number;
  /** SQLite: ms to wait for a lock held by another process before JCT_STORE_UNAVAILABLE (default 5 000). */
  readonly busyTimeoutMs?: number;
  /** Where the log reports start, close, migrations and TypeORM warnings (default: silent). */
  readonly logger?: Logger;
  /**
   * MySQL: group commit of writes (docs/store.md, "Group commit"); `false` writes each in a
   * transaction of its own. Default on, with {@link DEFAULT_GROUP_COMMIT}.
   */
  readonly groupCommit?: Partial<GroupCommitSettings> | false;
  /** Where group commit reports its batch sizes and commit times. */
  readonly metrics?: MetricsFactory;
  /** Payload encryption at rest and error masking (default: none; encrypted rows still refuse to read as plain). */
  readonly protection?: StoreProtection;
  /** MySQL: TLS options handed to mysql2 (`ssl`), with certificates already read. */
  readonly tls?: StoreTls;
}

const DEFAULT_FIND_LIMIT = 50;
const MAX_FIND_LIMIT = 1000;
const DEFAULT_OPERATION_TIMEOUT_MS = 15_000;

/** Clamps a requested page size to 1..1000 (default 50). */
export function clampLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_FIND_LIMIT;
  return Math.min(MAX_FIND_LIMIT, Math.max(1, Math.floor(limit)));
}

/**
 * The columns `find()` reads: what a MessageSummary shows, nothing more. Never the message payload
 * or headers, and never the stage table (stage payloads): a list of 1000 messages stays light.
 */
export const SUMMARY_COLUMNS = Object.freeze([
  'id', 'correlationId', 'routeId', 'source', 'pattern', 'businessKey', 'replayOf',
  'status', 'attempts', 'lastError', 'receivedAt', 'updatedAt',
  'errorEndpoint', 'errorGroup', 'resolution', 'resolvedAt', 'replayedBy',
] as const satisfies readonly (keyof MessageRow)[]);

/** The query behind `find()` (exported so tests can check what it selects). */
export function findQuery(manager: EntityManager, { message }: StoreEntities, query: MessageQuery): SelectQueryBuilder<MessageRow> {
  const select = manager.createQueryBuilder(message, 'm').select(SUMMARY_COLUMNS.map((column) => `m.${column}`));
  if (query.status !== undefined) select.andWhere('m.status = :status', { status: query.status });
  if (query.routeId !== undefined) select.andWhere('m.routeId = :routeId', { routeId: query.routeId });
  if (query.correlationId !== undefined) select.andWhere('m.correlationId = :correlationId', { correlationId: query.correlationId });
  if (query.businessKey !== undefined) select.andWhere('m.businessKey = :businessKey', { businessKey: query.businessKey });
  if (query.receivedBefore !== undefined) select.andWhere('m.receivedAt < :receivedBefore', { receivedBefore: query.receivedBefore });
  if (query.updatedBefore !== undefined) {
    select.andWhere('m.updatedAt < :updatedBefore', { updatedBefore: query.updatedBefore });
    if (query.changedAfter !== undefined) {
      const { updatedAt: afterAt, id: afterId } = query.changedAfter;
      select.andWhere('(m.updatedAt > :afterAt OR (m.updatedAt = :afterAt AND m.id > :afterId))', { afterAt, afterId });
    }
    return select.orderBy('m.updatedAt', 'ASC').addOrderBy('m.id', 'ASC').limit(clampLimit(query.limit));
  }
  return select.orderBy('m.receivedAt', 'DESC').addOrderBy('m.id', 'DESC').limit(clampLimit(query.limit));
}

/** The copy guards of a transition. */
type CopyGuards = Pick<TransitionOptions, 'copy' | 'handling'>;

/**
 * The transaction log on TypeORM: MySQL/MariaDB through mysql2 in production, SQLite through
 * better-sqlite3 for the embedded default. No I/O before `start()`, which connects and migrates.
 */
export class TypeOrmTransactionLog implements TransactionLog, NonceStore {
  private readonly target: StoreTarget;
  private readonly prefix: string;
  private readonly logger: Logger;
  private readonly protection: StoreProtection;
  private store: { readonly dataSource: DataSource; readonly entities: StoreEntities; readonly runner: UnitOfWorkRunner } | undefined;
  private starting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  /** Set once the writer has settled every write: from then on nothing runs. */
  private closed = false;
  private writer: GroupCommitWriter | undefined;
  /** Without group commit: one message's writes in call order (group commit keeps that order itself). */
  private readonly order = new KeyedQueue();

  constructor(private readonly options: TypeOrmTransactionLogOptions) {
    this.target = parseStoreUrl(options.url);
    try {
      this.prefix = checkTablePrefix(options.tablePrefix ?? DEFAULT_TABLE_PREFIX);
    } catch (error) {
      throw new JunctionError('JCT_CONFIG_INVALID', (error as Error).message);
    }
    this.logger = (options.logger ?? silentLogger).child({ component: 'transaction-log' });
    this.protection = options.protection ?? NO_PROTECTION;
  }

  async start(): Promise<void> {
    if (this.closing) throw new Error('This transaction log has been closed; create a new one.');
    this.starting ??= this.connect();
    return this.starting;
  }

  async close(): Promise<void> {
    this.closing ??= (async () => {
      await this.starting?.catch(() => undefined);
      // The writer's last batches may still apply writes one by one (store.md): the runner stays open for them.
      await this.writer?.close();
      this.closed = true;
      const store = this.store;
      if (store?.dataSource.isInitialized) await store.runner.close();
      this.logger.info('Transaction log closed');
    })();
    return this.closing;
  }

  async ping(): Promise<void> {
    if (!this.store && !this.closing) {
      throw new JunctionError('JCT_STORE_UNAVAILABLE', `The transaction log (${this.target.label}) is not started.`);
    }
    await this.run(false, async (manager) => { await manager.query('SELECT 1'); });
  }

  async recordReceived(message: Envelope, options: ReceiveOptions = {}): Promise<void> {
    checkEnvelope(message);
    checkReceiveOptions(options);
    const now = new Date();
    const writer = this.batching();
    // A message with an idempotency key goes alone: its unique index decides between racing requests.
    if (writer && options.idempotencyKey === undefined) {
      const row = messageRowOf(message, now, options, this.protection);
      const stage = stageRowOf(message.id, { stage: 'received', status: 'RECEIVED', attempt: message.attempt, at: row.receivedAt }, now);
      await writer.write({ kind: 'receive', message: row, stage, single: async () => { await this.insertReceived(message, options, now); return undefined; } });
      return;
    }
    await this.order.run(message.id, () => this.insertReceived(message, options, now));
  }

  async transition(messageId: string, given: StageEvent, from?: readonly MessageStatus[], options: TransitionOptions = {}): Promise<TransitionResult> {
    const now = new Date();
    // A payload repeating the one before, or the message's as received, is written once; encrypted
    // payloads and masked errors, the same whether the write is batched or not.
    const shared = sharePayloads([...(options.preceding ?? []), given], options.received).map(({ event: e, payloadOf }) => ({ event: protectEvent(messageId, e, this.protection), payloadOf }));
    const stages = shared.map(({ event: e, payloadOf }) => stageRowOf(messageId, e, now, payloadOf));
    const event = shared[shared.length - 1]?.event ?? protectEvent(messageId, given, this.protection);
    const writer = this.batching();
    const { copy, handling } = options;
    const guards: CopyGuards = { ...(copy !== undefined ? { copy } : {}), ...(handling !== undefined ? { handling } : {}) };
    if (!writer) return this.order.run(messageId, () => this.applyTransition(messageId, event, stages, from, now, guards));
    const result = await writer.write({
      kind: 'transition', messageId, event, ...(from !== undefined ? { from } : {}), ...guards, stages, now,
      single: () => this.applyTransition(messageId, event, stages, from, now, guards),
    }, options.deferrable === true);
    return result ?? 'missing';
  }

  /** The group commit writer, when writes are batched; throws once the log is closing. */
  private batching(): GroupCommitWriter | undefined {
    if (!this.writer) return undefined;
    if (this.closing) throw new JunctionError('JCT_STORE_UNAVAILABLE', `The transaction log (${this.target.label}) is closed.`);
    return this.writer;
  }

  /** recordReceived in a transaction of its own. */
  private async insertReceived(message: Envelope, options: ReceiveOptions, now: Date): Promise<void> {
    try {
      await this.run(true, async (manager, { message: messageTable, stage }) => {
        const row = messageRowOf(message, now, options, this.protection);
        await manager.createQueryBuilder().insert().into(messageTable).values(row).updateEntity(false).execute();
        const received = stageRowOf(message.id, { stage: 'received', status: 'RECEIVED', attempt: message.attempt, at: row.receivedAt }, now);
        await manager.createQueryBuilder().insert().into(stage).values(received).updateEntity(false).execute();
      });
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      if (options.idempotencyKey !== undefined && isIdempotencyConflict(error)) {
        throw new JunctionError('JCT_IDEMPOTENCY_KEY_REUSED',
          `Idempotency key "${options.idempotencyKey}" is already used on route ${message.routeId}.`,
          { cause: error, details: { routeId: message.routeId, idempotencyKey: options.idempotencyKey } });
      }
      throw new JunctionError('JCT_INTERNAL', `Message ${message.id} is already in the transaction log; a message is recorded once.`,
        { cause: error, details: { messageId: message.id } });
    }
  }

  /**
   * transition in a transaction of its own; `event` is already protected (encrypted payload, masked
   * error) and `stages` are the rows to append if it applies (its preceding stages, then its own).
   */
  private async applyTransition(messageId: string, event: StageEvent, stages: readonly Omit<StageRow, 'seq'>[],
    from: readonly MessageStatus[] | undefined, now: Date, { copy, handling }: CopyGuards): Promise<TransitionResult> {
    return this.run(true, async (manager, { message, stage }) => {
      let affected = 0;
      if (from === undefined || from.length > 0) {
        const update = manager.createQueryBuilder().update(message)
          .set({
            // First in SET: MySQL evaluates assignments left to right.
            attempts: () => 'CASE WHEN attempts < :attempt THEN :attempt ELSE attempts END',
            ...(event.stage === HELD_STAGE ? { holds: () => 'holds + 1' } : {}),
            status: event.status,
            updatedAt: now,
            ...(event.error ? { lastError: JSON.stringify(event.error), lastErrorCode: event.error.code, ...errorColumns(event) } : {}),
          })
          .where('id = :id', { id: messageId })
          .setParameter('attempt', event.attempt)
          .updateEntity(false);
        if (from !== undefined) update.andWhere('status IN (:...from)', { from: [...from] });
        // The same conditions as GroupCommitSql.updateStatus (they read the row before this SET).
        if (copy !== undefined) {
          update.andWhere(`NOT ((status = 'RETRYING' AND attempts >= :copyAttempt) OR (status = 'HELD' AND (attempts > :copyAttempt OR holds > :copyHeld)))`,
            { copyAttempt: copy.attempt, copyHeld: copy.held });
        }
        if (handling !== undefined) {
          update.andWhere('attempts <= :handlingAttempt AND holds <= :handlingHeld', { handlingAttempt: handling.attempt, handlingHeld: handling.held });
        }
        // Rows matched, not only changed: SQLite counts them so, mysql2 too (FOUND_ROWS, see data-source.ts).
        affected = (await update.execute()).affected ?? 0;
      }
      if (affected === 0) {
        const found = await manager.createQueryBuilder(message, 'm').select('m.id', 'id')
          .where('m.id = :id', { id: messageId }).getRawOne<{ id: string }>();
        return found ? 'skipped' : 'missing';
      }
      await manager.createQueryBuilder().insert().into(stage).values([...stages]).updateEntity(false).execute();
      return 'applied';
    });
  }

  async load(messageId: string): Promise<MessageRecord | undefined> {
    // In one transaction so the message and its stages come from the same snapshot.
    return this.run(true, async (manager, { message, stage }) => {
      const row = await manager.createQueryBuilder(message, 'm').where('m.id = :id', { id: messageId }).getOne();
      if (!row) return undefined;
      const stages = await manager.createQueryBuilder(stage, 's').where('s.messageId = :id', { id: messageId })
        .orderBy('s.seq', 'ASC').getMany();
      return toRecord(row, stages, this.protection);
    });
  }

  async findByIdempotencyKey(routeId: string, idempotencyKey: string): Promise<MessageRecord | undefined> {
    return this.run(true, async (manager, { message, stage }) => {
      const row = await manager.createQueryBuilder(message, 'm')
        .where('m.routeId = :routeId AND m.idempotencyKey = :key', { routeId, key: idempotencyKey }).getOne();
      if (!row) return undefined;
      const stages = await manager.createQueryBuilder(stage, 's').where('s.messageId = :id', { id: row.id })
        .orderBy('s.seq', 'ASC').getMany();
      return toRecord(row, stages, this.protection);
    });
  }

  /** NonceStore: a WS-Security nonce, shared by every process on this database (the primary key decides). */
  async rememberNonce(key: string, expiresAt: Date, now: Date): Promise<boolean> {
    return rememberNonce(this.run.bind(this), key, expiresAt, now);
  }

  async find(query: MessageQuery): Promise<MessageSummary[]> {
    return this.run(false, async (manager, entities) => (await findQuery(manager, entities, query).getMany()).map(toSummary));
  }

  // ── Operators: the queries and writes live in message-search.ts and operator-writes.ts ─────────

  async search(search: MessageSearch): Promise<MessagePage> {
    return this.run(false, (manager, entities) => searchMessages(manager, entities, search));
  }

  async count(filter: MessageFilter): Promise<number> {
    return this.run(false, (manager, entities) => countMessages(manager, entities, filter));
  }

  async failureGroups(query: FailureGroupQuery): Promise<FailureGroup[]> {
    return this.run(true, (manager, entities) => failureGroups(manager, entities, query));
  }

  async recordReplay(message: Envelope, claim: ReplayClaim): Promise<ReplayRecordResult> {
    return this.run(true, (manager, entities) => ops.recordReplay(manager, entities, message, claim, new Date(), this.protection));
  }

  async resolve(messageId: string, audit: AuditInput): Promise<TransitionResult> {
    return this.run(true, (manager, entities) => ops.resolveMessage(manager, entities, messageId, audit, new Date()));
  }

  async appendAudit(entry: AuditInput): Promise<AuditRecord> {
    return this.run(true, (manager, entities) => ops.insertAudit(manager, entities, entry, new Date()));
  }

  async findAudit(query: AuditQuery): Promise<AuditPage> {
    return this.run(false, (manager, entities) => ops.findAudit(manager, entities, query));
  }

  async createReplayJob(job: NewReplayJob, audit: AuditInput): Promise<ReplayJob> {
    return this.run(true, (manager, entities) => ops.createReplayJob(manager, entities, job, audit, new Date()));
  }

  async loadReplayJob(id: string): Promise<ReplayJob | undefined> {
    return this.run(false, (manager, entities) => ops.loadReplayJob(manager, entities, id));
  }

  async listReplayJobs(limit?: number): Promise<ReplayJob[]> {
    return this.run(false, (manager, entities) => ops.listReplayJobs(manager, entities, limit));
  }

  async updateReplayJob(id: string, change: ReplayJobChange, from?: readonly ReplayJobStatus[], audit?: AuditInput): Promise<TransitionResult> {
    return this.run(true, (manager, entities) => ops.updateReplayJob(manager, entities, id, change, from, audit, new Date()));
  }

  async leaseReplayJob(owner: string, leaseUntil: Date, now: Date = new Date()): Promise<ReplayJob | undefined> {
    return this.run(true, (manager, entities) => ops.leaseReplayJob(manager, entities, owner, leaseUntil, now));
  }

  async purge(request: PurgeRequest): Promise<number> {
    return this.run(true, (manager, entities) => ops.purgeBatch(manager, entities, request));
  }

  // ── Maintenance: key rotation of encrypted payloads (payload-keys.ts) ───────────────────────────

  /** Which key wrote each stored payload, and how many are in clear. */
  async payloadKeyUsage(batchSize?: number): Promise<PayloadKeyUsage> {
    return payloadKeyUsage(this.run.bind(this), batchSize);
  }

  /** Rewrites every payload of an older key (and, if asked, in clear) with the writing key. */
  async rekeyPayloads(cipher: PayloadRewrap, options?: RekeyOptions): Promise<RekeyProgress> {
    return rekeyPayloads(this.run.bind(this), cipher, options);
  }

  private async connect(): Promise<void> {
    const { poolSize, connectTimeoutMs, busyTimeoutMs, operationTimeoutMs } = this.options;
    const { dataSource, entities } = createDataSource(this.target, {
      tablePrefix: this.prefix, poolSize, connectTimeoutMs, busyTimeoutMs, tls: this.options.tls,
      typeormLogger: new TypeOrmLoggerAdapter(this.logger),
    });
    try {
      if (this.target.dialect === 'sqlite' && this.target.file !== ':memory:') {
        await mkdir(path.dirname(this.target.file), { recursive: true });
      }
      await dataSource.initialize();
      await runMigrationsOnce(dataSource, this.target, this.prefix);
    } catch (error) {
      if (dataSource.isInitialized) await dataSource.destroy().catch(() => undefined);
      this.starting = undefined;
      throw toStoreError(error, this.target.label);
    }
    const runner = this.target.dialect === 'sqlite'
      ? new SerialRunner(dataSource)
      : new BoundedRunner(dataSource, operationTimeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS);
    this.store = { dataSource, entities, runner };
    if (this.target.dialect === 'mysql' && this.options.groupCommit !== false) {
      this.writer = new GroupCommitWriter({
        target: this.target, entities, settings: { ...DEFAULT_GROUP_COMMIT, ...(this.options.groupCommit ?? {}) },
        ...(this.options.tls ? { tls: this.options.tls } : {}),
        timeoutMs: operationTimeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS, connectTimeoutMs: connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
        logger: this.logger, ...(this.options.metrics ? { metrics: this.options.metrics } : {}),
      });
      this.writer.start();
    }
    this.logger.info('Transaction log ready', { target: this.target.label, tablePrefix: this.prefix, groupCommit: this.writer !== undefined });
  }

  /** Runs one unit of work (in a transaction when asked) through the dialect's runner, retried on deadlock. */
  private async run<T>(transactional: boolean, work: (manager: EntityManager, entities: StoreEntities) => Promise<T>): Promise<T> {
    const store = this.store;
    if (this.closed) {
      throw new JunctionError('JCT_STORE_UNAVAILABLE', `The transaction log (${this.target.label}) is closed.`);
    }
    if (!store) throw new Error('The transaction log is not started: call start() first.');
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await store.runner.run(transactional, (manager) => work(manager, store.entities));
      } catch (error) {
        if (await retryAfterDeadlock(error, attempt)) {
          this.logger.debug('Deadlock in the transaction log; retrying', { attempt });
          continue;
        }
        throw toStoreError(error, this.target.label);
      }
    }
  }
}
