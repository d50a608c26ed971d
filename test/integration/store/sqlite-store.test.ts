import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { createDataSource, parseStoreUrl } from '../../../src/store/typeorm/data-source';
import { storeNames } from '../../../src/store/typeorm/entities';
import { findQuery, TypeOrmTransactionLog } from '../../../src/store/typeorm/typeorm-transaction-log';
import { expectJunctionError, rejection, testMessage } from '../../contract/transaction-log.support';
import { ALL_MIGRATIONS, migrateOnly } from './migration-helpers';

/** The stage table's columns as SQLite declares them: name → declared type. */
function stageColumns(db: Database.Database, prefix = 'jct_'): Record<string, string> {
  const rows = db.prepare('SELECT name, type, "notnull" AS nn FROM pragma_table_info(?)').all(storeNames(prefix).stage) as
    { name: string; type: string; nn: number }[];
  return Object.fromEntries(rows.map((r) => [r.name, `${r.type.toLowerCase()}${r.nn ? ' NOT NULL' : ''}`]));
}

function ledgerOf(db: Database.Database, prefix = 'jct_'): string[] {
  return (db.prepare(`SELECT name FROM "${storeNames(prefix).migrations}" ORDER BY id`).all() as { name: string }[]).map((r) => r.name);
}

/** SQLite needs no server, so its schema and failure tests run everywhere. */
describe('TypeORM store on SQLite: schema, WAL, busy database', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(async () => { dir = await mkdtemp(path.join(tmpdir(), 'junction-sqlite-')); });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('creates the parent directory, uses WAL, records each migration once across restarts', async () => {
    const file = path.join(dir, 'a', 'b', 'log.db');
    for (let i = 0; i < 2; i += 1) {
      const log = new TypeOrmTransactionLog({ url: `sqlite:${file}` });
      await log.start();
      await log.close();
    }
    const db = new Database(file, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).to.equal('wal');
      expect(ledgerOf(db)).to.deep.equal(ALL_MIGRATIONS);
      expect(stageColumns(db)).to.include({ payload: 'text', error: 'text' });
      const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'jct_%' ORDER BY name").all() as { name: string }[];
      expect(indexes.map((r) => r.name)).to.deep.equal([
        'jct_audit_job', 'jct_audit_message', 'jct_message_business_key', 'jct_message_correlation', 'jct_message_error_code_received',
        'jct_message_error_endpoint', 'jct_message_error_group', 'jct_message_idempotency', 'jct_message_received', 'jct_message_replay_of',
        'jct_message_route_received', 'jct_message_status_received', 'jct_message_unresolved', 'jct_nonce_expires', 'jct_replay_job_status',
        'jct_stage_message_seq',
      ]);
    } finally {
      db.close();
    }
  });

  it('matches the entities (TypeORM would change nothing after the migrations); WAL with synchronous FULL', async () => {
    const file = path.join(dir, 'log.db');
    const log = new TypeOrmTransactionLog({ url: `sqlite:${file}`, tablePrefix: 'x_' });
    await log.start();
    await log.close();
    const { dataSource } = createDataSource(parseStoreUrl(`sqlite:${file}`), { tablePrefix: 'x_' });
    await dataSource.initialize();
    try {
      const pending = await dataSource.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((q) => q.query)).to.deep.equal([]);
      // WAL, and FULL although better-sqlite3 defaults a reopened WAL database to NORMAL.
      expect(await dataSource.query('PRAGMA journal_mode')).to.deep.equal([{ journal_mode: 'wal' }]);
      expect(await dataSource.query('PRAGMA synchronous')).to.deep.equal([{ synchronous: 2 }]);
    } finally {
      await dataSource.destroy();
    }
  });

  it('upgrades a file left by migration 1 only: migration 2 runs once, old rows intact, undo and redo work', async () => {
    const file = path.join(dir, 'old.db');
    const url = `sqlite:${file}`;
    await migrateOnly(url, 'jct_', 1);
    const old = testMessage('r-old', { body: '{"a":"Zoë 🚀"}' }, new Date('2026-01-02T03:04:05.678Z'));
    const db = new Database(file);
    try {
      expect(ledgerOf(db)).to.deep.equal(ALL_MIGRATIONS.slice(0, 1));
      expect(stageColumns(db)).not.to.have.property('payload');
      // Rows as the previous version wrote them (times as TypeORM writes them on SQLite).
      db.prepare(`INSERT INTO jct_message (id, correlation_id, route_id, source, pattern, content_type, headers, payload, status,
        attempts, received_at, updated_at) VALUES (?, ?, 'r-old', 's', 'one-way', 'application/json', '{}', ?, 'DELIVERED', 1, ?, ?)`)
        .run(old.id, old.correlationId, old.body, '2026-01-02 03:04:05.678', '2026-01-02 03:04:05.678');
      db.prepare(`INSERT INTO jct_stage (message_id, stage, status, attempt, at, duration_ms, endpoint, detail) VALUES
        (?, 'received', 'RECEIVED', 1, '2026-01-02 03:04:05.678', NULL, NULL, NULL),
        (?, 'deliver:erp', 'DELIVERED', 1, '2026-01-02 03:04:05.700', 42, 'erp-soap', 'HTTP 200')`).run(old.id, old.id);
    } finally {
      db.close();
    }
    for (let i = 0; i < 2; i += 1) {
      const log = new TypeOrmTransactionLog({ url });
      await log.start();
      try {
        const loaded = await log.load(old.id);
        expect(loaded).to.deep.include({ status: 'DELIVERED', payload: old.body });
        expect(loaded?.receivedAt.toISOString()).to.equal(old.receivedAt);
        expect(loaded?.stages.slice(0, 2).map((s) => [s.stage, s.durationMs, s.endpoint, s.detail, 'payload' in s])).to.deep.equal([
          ['received', undefined, undefined, undefined, false], ['deliver:erp', 42, 'erp-soap', 'HTTP 200', false],
        ]);
        if (i === 0) await log.transition(old.id, { stage: 'step:after-upgrade', status: 'DELIVERED', attempt: 1, payload: '<ok>北京</ok>' });
        expect((await log.load(old.id))?.stages[2]?.payload).to.equal('<ok>北京</ok>');
      } finally {
        await log.close();
      }
    }
    const { dataSource } = createDataSource(parseStoreUrl(url), { tablePrefix: 'jct_' });
    await dataSource.initialize();
    try {
      expect((await dataSource.driver.createSchemaBuilder().log()).upQueries).to.deep.equal([]);
      // Undo the migrations after 3 first (last in, first out).
      for (let i = ALL_MIGRATIONS.length; i > 3; i -= 1) await dataSource.undoLastMigration({ transaction: 'each' });
      expect((await dataSource.query('SELECT COUNT(*) AS n FROM sqlite_master WHERE name = \'jct_nonce\''))).to.deep.equal([{ n: 0 }]);
      await dataSource.undoLastMigration({ transaction: 'each' });
      expect((await dataSource.query('SELECT COUNT(*) AS n FROM pragma_table_info(\'jct_message\') WHERE name LIKE \'%_hash\' OR name = \'idempotency_key\'')))
        .to.deep.equal([{ n: 0 }]);
      expect((await dataSource.query('SELECT COUNT(*) AS n FROM pragma_index_list(\'jct_message\') WHERE name = \'jct_message_idempotency\'')))
        .to.deep.equal([{ n: 0 }]);
      await dataSource.undoLastMigration({ transaction: 'each' });
      expect((await dataSource.query('SELECT COUNT(*) AS n FROM pragma_table_info(\'jct_stage\') WHERE name = \'payload\'')))
        .to.deep.equal([{ n: 0 }]);
      await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await dataSource.destroy();
    }
    const after = new Database(file, { readonly: true });
    try {
      expect(ledgerOf(after)).to.deep.equal(ALL_MIGRATIONS);
      expect(stageColumns(after)).to.include({ payload: 'text' });
      expect(after.prepare('SELECT COUNT(*) AS n FROM jct_stage').get()).to.deep.equal({ n: 3 });
    } finally {
      after.close();
    }
  });

  it('find() selects only summary columns: no message payload or headers, no stage table', async () => {
    const { dataSource, entities } = createDataSource(parseStoreUrl('sqlite::memory:'), { tablePrefix: 'jct_' });
    await dataSource.initialize();
    try {
      const sql = findQuery(dataSource.manager, entities, { status: 'FAILED', routeId: 'r', correlationId: 'c', businessKey: 'k' }).getQuery();
      expect(sql).to.include('"m"."route_id"');
      expect(sql).not.to.match(/payload|headers|content_type/i);
      expect(sql).not.to.include('jct_stage');
    } finally {
      await dataSource.destroy();
    }
  });

  it('a database locked by another process beyond the busy timeout → JCT_STORE_UNAVAILABLE', async () => {
    const file = path.join(dir, 'log.db');
    const log = new TypeOrmTransactionLog({ url: `sqlite:${file}`, busyTimeoutMs: 200 });
    await log.start();
    const other = new Database(file);
    try {
      other.exec('BEGIN EXCLUSIVE');
      const error = await rejection(log.recordReceived(testMessage('r')));
      expectJunctionError(error, 'JCT_STORE_UNAVAILABLE');
      other.exec('ROLLBACK');
      const message = testMessage('r');
      await log.recordReceived(message);
      expect((await log.load(message.id))?.status).to.equal('RECEIVED');
    } finally {
      other.close();
      await log.close();
    }
  });
});
