import { createDataSource, parseStoreUrl } from '../../../src/store/typeorm/data-source';
import { createMigrations } from '../../../src/store/typeorm/migrations';

/** The ledger of a fully migrated store, oldest first. */
export const ALL_MIGRATIONS = Object.freeze(['CreateMessageTables1793491200000', 'AddStagePayload1795305600000', 'AddIdempotencyKey1796515200000', 'AddOperatorTables1797000000000',
  'AddNonceTable1798000000000', 'AddAuditAuthMethod1798500000000', 'AddStagePayloadOf1799000000000', 'AddMessageHolds1799500000000']);

/**
 * Brings a store at `url` under `prefix` to the schema of its first `count` migrations only, the way
 * an older Junction left it (TypeORM's runner and ledger, as in production), then disconnects.
 */
export async function migrateOnly(url: string, prefix: string, count: number): Promise<void> {
  const { dataSource } = createDataSource(parseStoreUrl(url), { tablePrefix: prefix, poolSize: 1 });
  dataSource.setOptions({ migrations: createMigrations(prefix).slice(0, count) });
  await dataSource.initialize();
  try {
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await dataSource.destroy();
  }
}
