import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { createDataSource, parseStoreUrl } from '../../../src/store/typeorm/data-source';
import { storeNames } from '../../../src/store/typeorm/entities';
import { TypeOrmTransactionLog } from '../../../src/store/typeorm/typeorm-transaction-log';
import { expectJunctionError, rejection, testMessage } from '../../contract/transaction-log.support';

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
      const ledger = db.prepare(`SELECT name FROM "${storeNames('jct_').migrations}"`).all() as { name: string }[];
      expect(ledger.map((r) => r.name)).to.deep.equal(['CreateMessageTables1793491200000']);
      const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'jct_%' ORDER BY name").all() as { name: string }[];
      expect(indexes.map((r) => r.name)).to.deep.equal([
        'jct_message_business_key', 'jct_message_correlation', 'jct_message_error_code', 'jct_message_received',
        'jct_message_route_received', 'jct_message_status_received', 'jct_stage_message_seq',
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
