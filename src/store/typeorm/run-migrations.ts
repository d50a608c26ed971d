import type { DataSource } from 'typeorm';
import { JunctionError } from '../../core/errors';
import type { StoreTarget } from './data-source';
import { storeNames } from './entities';

/** How long a starting process waits for another one to finish migrating (s). */
const LOCK_WAIT_SECONDS = 60;

/**
 * Brings the schema up to date with TypeORM's migrations (each in its own transaction, recorded in
 * `<prefix>migrations`). On MySQL it first takes a named server lock, so that many gateways and
 * workers starting together do not run the same migration twice; SQLite needs none (one writer).
 */
export async function runMigrationsOnce(dataSource: DataSource, target: StoreTarget, prefix: string): Promise<void> {
  if (target.dialect === 'sqlite') {
    await dataSource.runMigrations({ transaction: 'each' });
    return;
  }
  const lockName = `${target.database}.${storeNames(prefix).migrations}`.slice(0, 64);
  const runner = dataSource.createQueryRunner('master');
  try {
    const rows = await runner.query('SELECT GET_LOCK(?, ?) AS acquired', [lockName, LOCK_WAIT_SECONDS]) as { acquired: unknown }[];
    if (Number(rows[0]?.acquired) !== 1) {
      throw new JunctionError('JCT_STORE_UNAVAILABLE',
        `Timed out after ${LOCK_WAIT_SECONDS} s waiting for another process to finish migrating the transaction log (${target.label}).`);
    }
    try {
      await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await runner.query('SELECT RELEASE_LOCK(?)', [lockName]);
    }
  } finally {
    await runner.release();
  }
}
