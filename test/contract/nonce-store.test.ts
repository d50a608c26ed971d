import { NonceCache } from '../../src/security/auth/nonce-cache';
import { TypeOrmTransactionLog } from '../../src/store/typeorm/typeorm-transaction-log';
import { requireEnv, uniqueName } from '../support/env';
import { nonceStoreContract } from './nonce-store.contract';
import { dropStoreTables } from './transaction-log.support';

nonceStoreContract('NonceCache (one process, in memory)', async () => ({ store: new NonceCache(10_000), cleanup: async () => undefined }));

nonceStoreContract('TypeOrmTransactionLog on SQLite (:memory:)', async () => {
  const log = new TypeOrmTransactionLog({ url: 'sqlite::memory:' });
  await log.start();
  return { store: log, cleanup: () => log.close() };
});

nonceStoreContract('TypeOrmTransactionLog on MariaDB (JUNCTION_TEST_DB_URL): shared by every gateway', async () => {
  const url = requireEnv('JUNCTION_TEST_DB_URL');
  const prefix = `${uniqueName('nonce').toLowerCase()}_`;
  const log = new TypeOrmTransactionLog({ url, tablePrefix: prefix });
  await log.start();
  return { store: log, cleanup: async () => { await log.close(); await dropStoreTables(url, prefix); } };
});
