import { EntitySchema, type EntitySchemaColumnOptions } from 'typeorm';
import { CONFIG_SCHEMA } from '../../config/config-schema';

/** The SQL dialects the transaction log runs on: MySQL/MariaDB (production) and SQLite (embedded). */
export type StoreDialect = 'mysql' | 'sqlite';

/** Table prefix used when none is configured: `store.tablePrefix`'s default in the configuration schema (`jct_`). */
export const DEFAULT_TABLE_PREFIX: string = CONFIG_SCHEMA.properties.store.properties.tablePrefix.default;

/** Column lengths the store enforces the same way on both dialects (SQLite would not). */
export const COLUMN_LIMITS = Object.freeze({
  correlationId: 255,
  routeId: 128,
  source: 255,
  businessKey: 255,
  replayOf: 36,
  contentType: 255,
  stage: 255,
  endpoint: 255,
  detail: 1000,
  errorCode: 64,
  idempotencyKey: 255,
  bodyHash: 64,
  errorGroup: 16,
  actor: 128,
  reason: 1000,
});

/** One row of the message table, as TypeORM hydrates it. */
export interface MessageRow {
  id: string;
  correlationId: string;
  routeId: string;
  source: string;
  pattern: string;
  businessKey: string | null;
  replayOf: string | null;
  contentType: string;
  /** JSON object of header name → value. */
  headers: string;
  payload: string;
  status: string;
  attempts: number;
  /** JSON of a SerializedError. */
  lastError: string | null;
  lastErrorCode: string | null;
  receivedAt: Date;
  updatedAt: Date;
  /** The caller's idempotency key (migration 3); unique per route. */
  idempotencyKey: string | null;
  /** Hex SHA-256 of the body as received (migration 3). */
  bodyHash: string | null;
  /** Endpoint of the last error (migration 4). */
  errorEndpoint: string | null;
  /** Key of the last error's cause (migration 4). */
  errorGroup: string | null;
  /** `replayed` or `resolved` once an operator settled a FAILED message (migration 4). */
  resolution: string | null;
  resolvedAt: Date | null;
  /** The latest replay of this message (migration 4). */
  replayedBy: string | null;
  /** How many `held` stages the message has (migration 8): which held copy it waits for (TransitionOptions.copy). */
  holds: number;
}

/** One row of the audit trail (migration 4). */
export interface AuditRow {
  seq: string | number;
  at: Date;
  actor: string;
  role: string;
  /** How the actor signed in (migration 1798500000000). */
  authMethod: string | null;
  action: string;
  messageId: string | null;
  replayId: string | null;
  jobId: string | null;
  reason: string | null;
  /** JSON object. */
  detail: string | null;
}

/** One bulk replay job (migration 4). */
export interface ReplayJobRow {
  id: string;
  createdAt: Date;
  createdBy: string;
  reason: string;
  /** JSON of the MessageFilter. */
  filter: string;
  source: string;
  ratePerSecond: number;
  status: string;
  total: number;
  replayed: number;
  skipped: number;
  failed: number;
  cursorAt: Date | null;
  cursorId: string | null;
  lastError: string | null;
  owner: string | null;
  leaseUntil: Date | null;
  updatedAt: Date;
  finishedAt: Date | null;
}

/** One row of the stage table, as TypeORM hydrates it. */
export interface StageRow {
  /** Auto-increment; MySQL BIGINT arrives as a string. */
  seq: string | number;
  messageId: string;
  stage: string;
  status: string;
  attempt: number;
  at: Date;
  durationMs: number | null;
  endpoint: string | null;
  detail: string | null;
  errorCode: string | null;
  /** JSON of a SerializedError. */
  error: string | null;
  /** The body as the stage left it, when the route captures it (migration 2). */
  payload: string | null;
  /**
   * Instead of `payload`: the name of the nearest earlier stage of the same message and attempt
   * whose payload this stage repeats (shared-payloads.ts; migration 1799000000000), or `@received`:
   * the message's own payload as received.
   */
  payloadOf: string | null;
}

/** One remembered WS-Security nonce (migration 1798000000000): a hash, and until when it counts. */
export interface NonceRow {
  /** Hex SHA-256 of user and nonce. */
  key: string;
  expiresAt: Date;
}

/** The entity schemas of the log, named after their tables. */
export interface StoreEntities {
  readonly message: EntitySchema<MessageRow>;
  readonly stage: EntitySchema<StageRow>;
  readonly audit: EntitySchema<AuditRow>;
  readonly replayJob: EntitySchema<ReplayJobRow>;
  readonly nonce: EntitySchema<NonceRow>;
}

/** Throws unless `prefix` is a safe SQL identifier prefix (letters, digits, underscores; ≤ 32). */
export function checkTablePrefix(prefix: string): string {
  if (!/^[A-Za-z][A-Za-z0-9_]{0,31}$/.test(prefix)) {
    throw new RangeError(`Table prefix "${prefix}" must start with a letter and hold at most 32 letters, digits or underscores.`);
  }
  return prefix;
}

/** Table and index names for a prefix; migrations and entities share them. */
export function storeNames(prefix: string = DEFAULT_TABLE_PREFIX) {
  checkTablePrefix(prefix);
  return Object.freeze({
    message: `${prefix}message`,
    stage: `${prefix}stage`,
    migrations: `${prefix}migrations`,
    messageReceivedIdx: `${prefix}message_received`,
    messageStatusIdx: `${prefix}message_status_received`,
    messageRouteIdx: `${prefix}message_route_received`,
    messageCorrelationIdx: `${prefix}message_correlation`,
    messageBusinessKeyIdx: `${prefix}message_business_key`,
    messageErrorCodeIdx: `${prefix}message_error_code`,
    messageIdempotencyIdx: `${prefix}message_idempotency`,
    stageMessageIdx: `${prefix}stage_message_seq`,
    // migration 4
    messageErrorCodeReceivedIdx: `${prefix}message_error_code_received`,
    messageErrorGroupIdx: `${prefix}message_error_group`,
    messageErrorEndpointIdx: `${prefix}message_error_endpoint`,
    messageReplayOfIdx: `${prefix}message_replay_of`,
    messageUnresolvedIdx: `${prefix}message_unresolved`,
    audit: `${prefix}audit`,
    auditMessageIdx: `${prefix}audit_message`,
    auditJobIdx: `${prefix}audit_job`,
    replayJob: `${prefix}replay_job`,
    replayJobStatusIdx: `${prefix}replay_job_status`,
    nonce: `${prefix}nonce`,
    nonceExpiresIdx: `${prefix}nonce_expires`,
  });
}

/** Column types that differ between the dialects; everything else is spelled the same. */
function dialectTypes(dialect: StoreDialect) {
  const mysql = dialect === 'mysql';
  return {
    uuid: (name: string, nullable = false): EntitySchemaColumnOptions =>
      ({ name, type: mysql ? 'char' : 'varchar', length: 36, nullable }),
    longText: (name: string, nullable = false): EntitySchemaColumnOptions => ({ name, type: mysql ? 'longtext' : 'text', nullable }),
    jsonText: (name: string, nullable: boolean): EntitySchemaColumnOptions =>
      ({ name, type: mysql ? 'mediumtext' : 'text', nullable }),
    millis: (name: string, nullable = false): EntitySchemaColumnOptions =>
      ({ name, type: 'datetime', nullable, ...(mysql ? { precision: 3 } : {}) }),
    seq: (name: string): EntitySchemaColumnOptions =>
      ({ name, type: mysql ? 'bigint' : 'integer', primary: true, generated: 'increment' }),
  };
}

function text(name: string, length: number, nullable = false): EntitySchemaColumnOptions {
  return { name, type: 'varchar', length, nullable };
}

/** Builds the entity schemas for a table prefix (default `jct_`) and dialect. */
export function createEntities(prefix: string = DEFAULT_TABLE_PREFIX, dialect: StoreDialect = 'mysql'): StoreEntities {
  const names = storeNames(prefix);
  const t = dialectTypes(dialect);
  const message = new EntitySchema<MessageRow>({
    name: names.message,
    tableName: names.message,
    columns: {
      id: { ...t.uuid('id'), primary: true },
      correlationId: text('correlation_id', COLUMN_LIMITS.correlationId),
      routeId: text('route_id', COLUMN_LIMITS.routeId),
      source: text('source', COLUMN_LIMITS.source),
      pattern: text('pattern', 16),
      businessKey: text('business_key', COLUMN_LIMITS.businessKey, true),
      replayOf: t.uuid('replay_of', true),
      contentType: text('content_type', COLUMN_LIMITS.contentType),
      headers: t.jsonText('headers', false),
      payload: t.longText('payload'),
      status: text('status', 16),
      attempts: { name: 'attempts', type: 'int' },
      lastError: t.jsonText('last_error', true),
      lastErrorCode: text('last_error_code', COLUMN_LIMITS.errorCode, true),
      receivedAt: t.millis('received_at'),
      updatedAt: t.millis('updated_at'),
      idempotencyKey: text('idempotency_key', COLUMN_LIMITS.idempotencyKey, true),
      bodyHash: text('body_hash', COLUMN_LIMITS.bodyHash, true),
      errorEndpoint: text('error_endpoint', COLUMN_LIMITS.endpoint, true),
      errorGroup: text('error_group', COLUMN_LIMITS.errorGroup, true),
      resolution: text('resolution', 16, true),
      resolvedAt: t.millis('resolved_at', true),
      replayedBy: t.uuid('replayed_by', true),
      holds: { name: 'holds', type: 'int', default: 0 },
    },
    indices: [
      { name: names.messageReceivedIdx, columns: ['receivedAt'] },
      { name: names.messageStatusIdx, columns: ['status', 'receivedAt'] },
      { name: names.messageRouteIdx, columns: ['routeId', 'receivedAt'] },
      { name: names.messageCorrelationIdx, columns: ['correlationId'] },
      { name: names.messageBusinessKeyIdx, columns: ['businessKey'] },
      { name: names.messageErrorCodeReceivedIdx, columns: ['lastErrorCode', 'receivedAt'] },
      { name: names.messageErrorGroupIdx, columns: ['errorGroup', 'receivedAt'] },
      { name: names.messageErrorEndpointIdx, columns: ['errorEndpoint', 'receivedAt'] },
      { name: names.messageReplayOfIdx, columns: ['replayOf'] },
      { name: names.messageUnresolvedIdx, columns: ['resolution', 'status', 'routeId', 'errorGroup', 'receivedAt'] },
      { name: names.messageIdempotencyIdx, columns: ['routeId', 'idempotencyKey'], unique: true },
    ],
  });
  const stage = new EntitySchema<StageRow>({
    name: names.stage,
    tableName: names.stage,
    columns: {
      seq: t.seq('seq'),
      messageId: t.uuid('message_id'),
      stage: text('stage', COLUMN_LIMITS.stage),
      status: text('status', 16),
      attempt: { name: 'attempt', type: 'int' },
      at: t.millis('at'),
      durationMs: { name: 'duration_ms', type: 'int', nullable: true },
      endpoint: text('endpoint', COLUMN_LIMITS.endpoint, true),
      detail: text('detail', COLUMN_LIMITS.detail, true),
      errorCode: text('error_code', COLUMN_LIMITS.errorCode, true),
      error: t.jsonText('error', true),
      payload: t.longText('payload', true),
      payloadOf: text('payload_of', COLUMN_LIMITS.stage, true),
    },
    indices: [{ name: names.stageMessageIdx, columns: ['messageId', 'seq'] }],
  });
  const audit = new EntitySchema<AuditRow>({
    name: names.audit,
    tableName: names.audit,
    columns: {
      seq: t.seq('seq'),
      at: t.millis('at'),
      actor: text('actor', COLUMN_LIMITS.actor),
      role: text('role', 16),
      authMethod: text('auth_method', 16, true),
      action: text('action', 32),
      messageId: t.uuid('message_id', true),
      replayId: t.uuid('replay_id', true),
      jobId: t.uuid('job_id', true),
      reason: text('reason', COLUMN_LIMITS.reason, true),
      detail: t.longText('detail', true),
    },
    indices: [
      { name: names.auditMessageIdx, columns: ['messageId'] },
      { name: names.auditJobIdx, columns: ['jobId'] },
    ],
  });
  const replayJob = new EntitySchema<ReplayJobRow>({
    name: names.replayJob,
    tableName: names.replayJob,
    columns: {
      id: { ...t.uuid('id'), primary: true },
      createdAt: t.millis('created_at'),
      createdBy: text('created_by', COLUMN_LIMITS.actor),
      reason: text('reason', COLUMN_LIMITS.reason),
      filter: t.jsonText('filter', false),
      source: text('source', 16),
      ratePerSecond: { name: 'rate_per_second', type: 'int' },
      status: text('status', 16),
      total: { name: 'total', type: 'int' },
      replayed: { name: 'replayed', type: 'int' },
      skipped: { name: 'skipped', type: 'int' },
      failed: { name: 'failed', type: 'int' },
      cursorAt: t.millis('cursor_at', true),
      cursorId: t.uuid('cursor_id', true),
      lastError: t.jsonText('last_error', true),
      owner: text('owner', COLUMN_LIMITS.actor, true),
      leaseUntil: t.millis('lease_until', true),
      updatedAt: t.millis('updated_at'),
      finishedAt: t.millis('finished_at', true),
    },
    indices: [{ name: names.replayJobStatusIdx, columns: ['status'] }],
  });
  const nonce = new EntitySchema<NonceRow>({
    name: names.nonce,
    tableName: names.nonce,
    columns: {
      key: { ...text('nonce_key', 64), primary: true },
      expiresAt: t.millis('expires_at'),
    },
    indices: [{ name: names.nonceExpiresIdx, columns: ['expiresAt'] }],
  });
  return Object.freeze({ message, stage, audit, replayJob, nonce });
}
