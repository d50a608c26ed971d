import { expect } from 'chai';
import type mysql from 'mysql2/promise';
import { createEnvelope } from '../../../src/core/envelope';
import { createDataSource, parseStoreUrl } from '../../../src/store/typeorm/data-source';
import { storeNames } from '../../../src/store/typeorm/entities';
import { findQuery, TypeOrmTransactionLog } from '../../../src/store/typeorm/typeorm-transaction-log';
import { dropStoreTables, openMysql } from '../../contract/transaction-log.support';
import { requireEnv, uniqueName } from '../../support/env';
import { ALL_MIGRATIONS, migrateOnly } from './migration-helpers';

const EXPECTED_INDEXES = (prefix: string): Record<string, string[]> => {
  const n = storeNames(prefix);
  return {
    [`${n.message}.PRIMARY`]: ['id'],
    [`${n.message}.${n.messageReceivedIdx}`]: ['received_at'],
    [`${n.message}.${n.messageStatusIdx}`]: ['status', 'received_at'],
    [`${n.message}.${n.messageRouteIdx}`]: ['route_id', 'received_at'],
    [`${n.message}.${n.messageCorrelationIdx}`]: ['correlation_id'],
    [`${n.message}.${n.messageBusinessKeyIdx}`]: ['business_key'],
    [`${n.message}.${n.messageErrorCodeReceivedIdx}`]: ['last_error_code', 'received_at'],
    [`${n.message}.${n.messageErrorGroupIdx}`]: ['error_group', 'received_at'],
    [`${n.message}.${n.messageErrorEndpointIdx}`]: ['error_endpoint', 'received_at'],
    [`${n.message}.${n.messageReplayOfIdx}`]: ['replay_of'],
    [`${n.message}.${n.messageUnresolvedIdx}`]: ['resolution', 'status', 'route_id', 'error_group', 'received_at'],
    [`${n.audit}.PRIMARY`]: ['seq'],
    [`${n.audit}.${n.auditMessageIdx}`]: ['message_id'],
    [`${n.audit}.${n.auditJobIdx}`]: ['job_id'],
    [`${n.replayJob}.PRIMARY`]: ['id'],
    [`${n.replayJob}.${n.replayJobStatusIdx}`]: ['status'],
    [`${n.message}.${n.messageIdempotencyIdx}`]: ['route_id', 'idempotency_key'],
    [`${n.stage}.PRIMARY`]: ['seq'],
    [`${n.stage}.${n.stageMessageIdx}`]: ['message_id', 'seq'],
  };
};

describe('TypeORM store on MariaDB: schema and migrations (JUNCTION_TEST_DB_URL)', function () {
  this.timeout(60_000);
  let url: string;
  let db: mysql.Connection;
  const prefixes: string[] = [];
  const freshPrefix = (): string => {
    const prefix = `${uniqueName('schema').toLowerCase()}_`;
    prefixes.push(prefix);
    return prefix;
  };
  const startLog = async (prefix: string): Promise<TypeOrmTransactionLog> => {
    const log = new TypeOrmTransactionLog({ url, tablePrefix: prefix, poolSize: 2 });
    await log.start();
    return log;
  };
  const ledger = async (prefix: string): Promise<string[]> => {
    const [rows] = await db.query(`SELECT name FROM \`${storeNames(prefix).migrations}\` ORDER BY id`);
    return (rows as { name: string }[]).map((r) => r.name);
  };
  const columnType = async (table: string, column: string): Promise<string | undefined> => {
    const [rows] = await db.query(
      `SELECT COLUMN_TYPE type, IS_NULLABLE nullable FROM information_schema.COLUMNS
       WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?`, [table, column]);
    const row = (rows as { type: string; nullable: string }[])[0];
    return row && `${row.type} ${row.nullable === 'YES' ? 'NULL' : 'NOT NULL'}`;
  };
  /** TypeORM's comparison of the entities with the live schema (in its MariaDB mode, see below). */
  const pendingSchemaChanges = async (prefix: string): Promise<string[]> => {
    const { dataSource } = createDataSource(parseStoreUrl(url.replace(/^mysql:/, 'mariadb:')), { tablePrefix: prefix, poolSize: 1 });
    await dataSource.initialize();
    try {
      return (await dataSource.driver.createSchemaBuilder().log()).upQueries.map((q) => q.query);
    } finally {
      await dataSource.destroy();
    }
  };

  before(async () => {
    url = requireEnv('JUNCTION_TEST_DB_URL');
    db = await openMysql(url);
  });
  after(async () => {
    for (const prefix of prefixes) await dropStoreTables(url, prefix);
    await db?.end();
  });

  it('creates the tables with the intended column types, utf8mb4_bin, and the search indexes', async () => {
    const prefix = freshPrefix();
    const n = storeNames(prefix);
    await (await startLog(prefix)).close();
    const [columns] = await db.query(
      `SELECT TABLE_NAME t, COLUMN_NAME c, COLUMN_TYPE type, IS_NULLABLE nullable FROM information_schema.COLUMNS
       WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (?, ?)`, [n.message, n.stage]);
    const type = new Map((columns as { t: string; c: string; type: string; nullable: string }[])
      .map((r) => [`${r.t}.${r.c}`, `${r.type} ${r.nullable === 'YES' ? 'NULL' : 'NOT NULL'}`]));
    expect(type.get(`${n.message}.id`)).to.equal('char(36) NOT NULL');
    expect(type.get(`${n.message}.payload`)).to.equal('longtext NOT NULL');
    expect(type.get(`${n.message}.received_at`)).to.equal('datetime(3) NOT NULL');
    expect(type.get(`${n.message}.business_key`)).to.equal('varchar(255) NULL');
    expect(type.get(`${n.message}.last_error_code`)).to.equal('varchar(64) NULL');
    expect(type.get(`${n.stage}.seq`)).to.equal('bigint(20) NOT NULL');
    expect(type.get(`${n.stage}.at`)).to.equal('datetime(3) NOT NULL');
    expect(type.get(`${n.stage}.payload`)).to.equal('longtext NULL');
    expect(type.get(`${n.message}.idempotency_key`)).to.equal('varchar(255) NULL');
    expect(type.get(`${n.message}.body_hash`)).to.equal('varchar(64) NULL');
    const [tables] = await db.query(
      'SELECT TABLE_NAME t, TABLE_COLLATION collation, ENGINE engine FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (?, ?)',
      [n.message, n.stage]);
    for (const table of tables as { collation: string; engine: string }[]) {
      expect(table).to.include({ collation: 'utf8mb4_bin', engine: 'InnoDB' });
    }
    const [stats] = await db.query(
      `SELECT TABLE_NAME t, INDEX_NAME i, COLUMN_NAME c FROM information_schema.STATISTICS
       WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (?, ?, ?, ?) ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`, [n.message, n.stage, n.audit, n.replayJob]);
    const indexes: Record<string, string[]> = {};
    for (const row of stats as { t: string; i: string; c: string }[]) (indexes[`${row.t}.${row.i}`] ??= []).push(row.c);
    expect(indexes).to.deep.equal(EXPECTED_INDEXES(prefix));
  });

  it('is idempotent: starting again (one by one or 4 at once) runs no migration twice', async () => {
    const prefix = freshPrefix();
    await (await startLog(prefix)).close();
    await (await startLog(prefix)).close();
    expect(await ledger(prefix)).to.deep.equal(ALL_MIGRATIONS);
    const racing = freshPrefix();
    const logs = await Promise.all([1, 2, 3, 4].map(() => startLog(racing)));
    await Promise.all(logs.map((log) => log.close()));
    expect(await ledger(racing)).to.deep.equal(ALL_MIGRATIONS);
  });

  it('matches the entities: TypeORM would generate no schema change after the migrations', async () => {
    const prefix = freshPrefix();
    await (await startLog(prefix)).close();
    // The test server is MariaDB: TypeORM reads its catalogue right only in its "mariadb" mode
    // (with "mysql" it takes MariaDB's COLUMN_DEFAULT 'NULL' for a literal and proposes ALTERs).
    expect(await pendingSchemaChanges(prefix)).to.deep.equal([]);
  });

  it('upgrades a store left by migration 1 only: migration 2 runs once (4 processes starting), old rows intact', async () => {
    const prefix = freshPrefix();
    const n = storeNames(prefix);
    await migrateOnly(url, prefix, 1);
    expect(await ledger(prefix)).to.deep.equal(ALL_MIGRATIONS.slice(0, 1));
    expect(await columnType(n.stage, 'payload')).to.equal(undefined);
    // Rows as the previous version wrote them: it knew no stage payload.
    const old = createEnvelope({ routeId: 'r-old', pattern: 'one-way', source: 's', contentType: 'application/json', body: '{"a":"Zoë 🚀"}' },
      new Date('2026-01-02T03:04:05.678Z'));
    await db.query(
      `INSERT INTO \`${n.message}\` (id, correlation_id, route_id, source, pattern, content_type, headers, payload, status, attempts,
         received_at, updated_at) VALUES (?, ?, 'r-old', 's', 'one-way', 'application/json', '{}', ?, 'DELIVERED', 1, ?, ?)`,
      [old.id, old.correlationId, old.body, new Date(old.receivedAt), new Date(old.receivedAt)]);
    await db.query(
      `INSERT INTO \`${n.stage}\` (message_id, stage, status, attempt, at, duration_ms, endpoint, detail) VALUES
         (?, 'received', 'RECEIVED', 1, ?, NULL, NULL, NULL), (?, 'deliver:erp', 'DELIVERED', 1, ?, 42, 'erp-soap', 'HTTP 200')`,
      [old.id, new Date(old.receivedAt), old.id, new Date(old.receivedAt)]);

    const logs = await Promise.all([1, 2, 3, 4].map(() => startLog(prefix)));
    try {
      expect(await ledger(prefix)).to.deep.equal(ALL_MIGRATIONS);
      expect(await columnType(n.stage, 'payload')).to.equal('longtext NULL');
      const log = logs[0]!;
      const loaded = await log.load(old.id);
      expect(loaded).to.deep.include({ status: 'DELIVERED', payload: old.body, routeId: 'r-old' });
      expect(loaded?.stages.map((s) => [s.stage, s.status, s.durationMs, s.endpoint, s.detail])).to.deep.equal([
        ['received', 'RECEIVED', undefined, undefined, undefined], ['deliver:erp', 'DELIVERED', 42, 'erp-soap', 'HTTP 200'],
      ]);
      for (const s of loaded?.stages ?? []) expect(s).not.to.have.property('payload');
      await log.transition(old.id, { stage: 'step:after-upgrade', status: 'DELIVERED', attempt: 1, payload: '<ok>北京</ok>' });
      expect((await logs[3]!.load(old.id))?.stages[2]?.payload).to.equal('<ok>北京</ok>');
    } finally {
      await Promise.all(logs.map((log) => log.close()));
    }
    await (await startLog(prefix)).close();
    expect(await ledger(prefix)).to.deep.equal(ALL_MIGRATIONS);
    expect(await pendingSchemaChanges(prefix)).to.deep.equal([]);
  });

  it('migration 2 finishes a run that died after its ALTER (MySQL commits DDL at once), and can be undone', async () => {
    const prefix = freshPrefix();
    const n = storeNames(prefix);
    await migrateOnly(url, prefix, 1);
    await db.query(`ALTER TABLE \`${n.stage}\` ADD COLUMN \`payload\` longtext NULL`);
    await (await startLog(prefix)).close();
    expect(await ledger(prefix)).to.deep.equal(ALL_MIGRATIONS);
    const { dataSource } = createDataSource(parseStoreUrl(url), { tablePrefix: prefix, poolSize: 1 });
    await dataSource.initialize();
    try {
      // Later migrations first (undone last-in, first-out), down to migration 1.
      for (let i = ALL_MIGRATIONS.length; i > 1; i -= 1) await dataSource.undoLastMigration({ transaction: 'each' });
    } finally {
      await dataSource.destroy();
    }
    expect(await ledger(prefix)).to.deep.equal(ALL_MIGRATIONS.slice(0, 1));
    expect(await columnType(n.stage, 'payload')).to.equal(undefined);
    await (await startLog(prefix)).close();
    expect(await columnType(n.stage, 'payload')).to.equal('longtext NULL');
  });

  it('upgrades a store left by migration 2: migration 3 adds the idempotency columns and unique index; finishes a half-done run; undo works', async () => {
    const prefix = freshPrefix();
    const n = storeNames(prefix);
    await migrateOnly(url, prefix, 2);
    expect(await columnType(n.message, 'idempotency_key')).to.equal(undefined);
    const old = createEnvelope({ routeId: 'r-old', pattern: 'one-way', source: 's', contentType: 'application/json', body: '{}' });
    await db.query(
      `INSERT INTO \`${n.message}\` (id, correlation_id, route_id, source, pattern, content_type, headers, payload, status, attempts,
         received_at, updated_at) VALUES (?, ?, 'r-old', 's', 'one-way', 'application/json', '{}', '{}', 'DELIVERED', 1, ?, ?)`,
      [old.id, old.correlationId, new Date(old.receivedAt), new Date(old.receivedAt)]);
    // A run that died after its first ALTER.
    await db.query(`ALTER TABLE \`${n.message}\` ADD COLUMN \`idempotency_key\` varchar(255) NULL`);
    const logs = await Promise.all([1, 2, 3].map(() => startLog(prefix)));
    try {
      expect(await ledger(prefix)).to.deep.equal(ALL_MIGRATIONS);
      expect(await columnType(n.message, 'body_hash')).to.equal('varchar(64) NULL');
      expect(await logs[0]!.load(old.id)).to.deep.include({ status: 'DELIVERED', routeId: 'r-old' });
      expect(await logs[0]!.load(old.id)).not.to.have.property('idempotencyKey');
    } finally {
      await Promise.all(logs.map((log) => log.close()));
    }
    expect(await pendingSchemaChanges(prefix)).to.deep.equal([]);
    const { dataSource } = createDataSource(parseStoreUrl(url), { tablePrefix: prefix, poolSize: 1 });
    await dataSource.initialize();
    try {
      for (let i = ALL_MIGRATIONS.length; i > 2; i -= 1) await dataSource.undoLastMigration({ transaction: 'each' });
    } finally {
      await dataSource.destroy();
    }
    expect(await ledger(prefix)).to.deep.equal(ALL_MIGRATIONS.slice(0, 2));
    expect(await columnType(n.message, 'idempotency_key')).to.equal(undefined);
    expect(await columnType(n.message, 'body_hash')).to.equal(undefined);
  });

  it('upgrades a store left by migration 6: stage payloads written before payload_of read back as they were', async () => {
    const prefix = freshPrefix();
    const n = storeNames(prefix);
    await migrateOnly(url, prefix, 6);
    expect(await columnType(n.stage, 'payload_of')).to.equal(undefined);
    const old = createEnvelope({ routeId: 'r-old', pattern: 'one-way', source: 's', contentType: 'application/json', body: '{}' });
    await db.query(
      `INSERT INTO \`${n.message}\` (id, correlation_id, route_id, source, pattern, content_type, headers, payload, status, attempts,
         received_at, updated_at) VALUES (?, ?, 'r-old', 's', 'one-way', 'application/json', '{}', '{}', 'DELIVERED', 1, ?, ?)`,
      [old.id, old.correlationId, new Date(old.receivedAt), new Date(old.receivedAt)]);
    for (const stage of ['step:xml', 'deliver:erp']) {
      await db.query(`INSERT INTO \`${n.stage}\` (message_id, stage, status, attempt, at, payload) VALUES (?, ?, 'DELIVERED', 1, ?, '<o/>')`,
        [old.id, stage, new Date(old.receivedAt)]);
    }
    const log = await startLog(prefix);
    try {
      expect(await ledger(prefix)).to.deep.equal(ALL_MIGRATIONS);
      expect(await columnType(n.stage, 'payload_of')).to.equal('varchar(255) NULL');
      expect((await log.load(old.id))?.stages.map((s) => [s.stage, s.payload])).to.deep.equal([['step:xml', '<o/>'], ['deliver:erp', '<o/>']]);
    } finally {
      await log.close();
    }
    expect(await pendingSchemaChanges(prefix)).to.deep.equal([]);
  });

  it('upgrades a store left by migration 7: holds counted for messages on their way, so the held copy they wait for is told from older ones', async () => {
    const prefix = freshPrefix();
    const n = storeNames(prefix);
    await migrateOnly(url, prefix, 7);
    expect(await columnType(n.message, 'holds')).to.equal(undefined);
    const insert = async (status: string, holds: number): Promise<string> => {
      const m = createEnvelope({ routeId: 'r-old', pattern: 'one-way', source: 's', contentType: 'application/json', body: '{}' });
      await db.query(
        `INSERT INTO \`${n.message}\` (id, correlation_id, route_id, source, pattern, content_type, headers, payload, status, attempts,
           received_at, updated_at) VALUES (?, ?, 'r-old', 's', 'one-way', 'application/json', '{}', '{}', ?, 1, ?, ?)`,
        [m.id, m.correlationId, status, new Date(m.receivedAt), new Date(m.receivedAt)]);
      for (let i = 0; i < holds; i += 1) {
        await db.query(`INSERT INTO \`${n.stage}\` (message_id, stage, status, attempt, at) VALUES (?, 'held', 'HELD', 1, ?)`, [m.id, new Date(m.receivedAt)]);
      }
      return m.id;
    };
    const held = await insert('HELD', 2);
    const delivered = await insert('DELIVERED', 1);
    const log = await startLog(prefix);
    try {
      expect(await ledger(prefix)).to.deep.equal(ALL_MIGRATIONS);
      expect(await columnType(n.message, 'holds')).to.equal('int(11) NOT NULL');
      const [rows] = await db.query(`SELECT id, holds FROM \`${n.message}\` WHERE id IN (?, ?)`, [held, delivered]);
      expect(Object.fromEntries((rows as { id: string; holds: number }[]).map((r) => [r.id, r.holds]))).to.deep.equal({ [held]: 2, [delivered]: 0 });
      const begin = { stage: 'processing', status: 'PROCESSING' as const, attempt: 1 };
      expect(await log.transition(held, begin, ['HELD'], { copy: { attempt: 1, held: 1 } }), 'a copy of the first hold').to.equal('skipped');
      expect(await log.transition(held, begin, ['HELD'], { copy: { attempt: 1, held: 2 } })).to.equal('applied');
    } finally {
      await log.close();
    }
    expect(await pendingSchemaChanges(prefix)).to.deep.equal([]);
  });

  it('find() selects only summary columns: no message payload or headers, no stage table', async () => {
    const prefix = freshPrefix();
    await (await startLog(prefix)).close();
    const { dataSource, entities } = createDataSource(parseStoreUrl(url), { tablePrefix: prefix, poolSize: 1 });
    await dataSource.initialize();
    try {
      const sql = findQuery(dataSource.manager, entities, { status: 'FAILED', routeId: 'r', correlationId: 'c', businessKey: 'k' }).getQuery();
      expect(sql).not.to.match(/payload|headers|content_type/i);
      expect(sql).not.to.include(storeNames(prefix).stage);
    } finally {
      await dataSource.destroy();
    }
  });

  it('counts matched rows, not changed rows, on UPDATE (mysql2 FOUND_ROWS), and stores UTC with milliseconds', async () => {
    const prefix = freshPrefix();
    const n = storeNames(prefix);
    const log = await startLog(prefix);
    const message = createEnvelope({ routeId: 'r', pattern: 'one-way', source: 's', contentType: 'text/plain', body: 'b' },
      new Date('2026-01-02T03:04:05.678Z'));
    await log.recordReceived(message);
    await log.close();
    const { dataSource } = createDataSource(parseStoreUrl(url), { tablePrefix: prefix, poolSize: 1 });
    await dataSource.initialize();
    try {
      const result = await dataSource.query(`UPDATE \`${n.message}\` SET status = status WHERE id = ?`, [message.id]) as { affectedRows: number };
      expect(result.affectedRows).to.equal(1);
    } finally {
      await dataSource.destroy();
    }
    await db.query("SET time_zone = '+05:00'");
    const [rows] = await db.query(`SELECT CAST(received_at AS CHAR) stored FROM \`${n.message}\` WHERE id = ?`, [message.id]);
    expect((rows as { stored: string }[])[0]?.stored).to.equal('2026-01-02 03:04:05.678');
  });
});
