import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TypeOrmTransactionLog } from '../../src/store/typeorm/typeorm-transaction-log';
import { requireEnv, uniqueName } from '../support/env';
import { FakeTransactionLog } from '../support/fake-transaction-log';
import { transactionLogContract, type TransactionLogFixture } from './transaction-log.contract';
import { dropStoreTables } from './transaction-log.support';

transactionLogContract('TypeOrmTransactionLog on SQLite (file)', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'junction-log-'));
  const log = new TypeOrmTransactionLog({ url: `sqlite:${path.join(dir, 'nested', 'log.db')}` });
  await log.start();
  return { log, cleanup: () => rm(dir, { recursive: true, force: true }) };
});

transactionLogContract('TypeOrmTransactionLog on SQLite (:memory:)', async () => {
  const log = new TypeOrmTransactionLog({ url: 'sqlite::memory:' });
  await log.start();
  return { log, cleanup: async () => undefined };
});

/** A started log on the test server under a fresh table prefix; cleanup drops its tables. */
async function mariadbFixture(scheme: 'mysql' | 'mariadb', groupCommit = true): Promise<TransactionLogFixture> {
  const url = requireEnv('JUNCTION_TEST_DB_URL');
  const prefix = `${uniqueName('log').toLowerCase()}_`;
  const log = new TypeOrmTransactionLog({ url: url.replace(/^[a-z]+:/, `${scheme}:`), tablePrefix: prefix, ...(groupCommit ? {} : { groupCommit: false }) });
  try {
    await log.start();
  } catch (error) {
    await dropStoreTables(url, prefix).catch(() => undefined);
    throw error;
  }
  return { log, cleanup: () => dropStoreTables(url, prefix) };
}

transactionLogContract('TypeOrmTransactionLog on MariaDB (JUNCTION_TEST_DB_URL, mysql://)', () => mariadbFixture('mysql'));
transactionLogContract('TypeOrmTransactionLog on MariaDB (JUNCTION_TEST_DB_URL as mariadb://)', () => mariadbFixture('mariadb'));
// Group commit is on by default: the same contract with every write in a transaction of its own.
transactionLogContract('TypeOrmTransactionLog on MariaDB without group commit', () => mariadbFixture('mysql', false));

// The unit tests' fake must behave like the real thing, or unit tests built on it prove nothing.
transactionLogContract('FakeTransactionLog (unit-test fake)', async () => {
  const log = new FakeTransactionLog();
  await log.start();
  return { log, cleanup: async () => undefined };
});
