import { EntitySchema, type EntitySchemaColumnOptions } from 'typeorm';

/** The SQL dialects the transaction log runs on: MySQL/MariaDB (production) and SQLite (embedded). */
export type StoreDialect = 'mysql' | 'sqlite';

/** Table prefix used when none is configured. */
export const DEFAULT_TABLE_PREFIX = 'jct_';

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
    millis: (name: string): EntitySchemaColumnOptions =>
      ({ name, type: 'datetime', ...(mysql ? { precision: 3 } : {}) }),
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
    },
    indices: [
      { name: names.messageReceivedIdx, columns: ['receivedAt'] },
      { name: names.messageStatusIdx, columns: ['status', 'receivedAt'] },
      { name: names.messageRouteIdx, columns: ['routeId', 'receivedAt'] },
      { name: names.messageCorrelationIdx, columns: ['correlationId'] },
      { name: names.messageBusinessKeyIdx, columns: ['businessKey'] },
      { name: names.messageErrorCodeIdx, columns: ['lastErrorCode'] },
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
    },
    indices: [{ name: names.stageMessageIdx, columns: ['messageId', 'seq'] }],
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
  return Object.freeze({ message, stage, nonce });
}
