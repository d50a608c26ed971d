import type { MigrationInterface, QueryRunner } from 'typeorm';
import type { StoreDialect } from '../entities';

/** A migration class as TypeORM's `migrations` option takes it (it instantiates each itself). */
export type MigrationClass = new () => MigrationInterface;

/** The dialect a migration is running on; throws for a driver the store does not support. */
export function dialectOf(queryRunner: QueryRunner): StoreDialect {
  const type = queryRunner.connection.driver.options.type;
  if (type === 'mysql' || type === 'mariadb') return 'mysql';
  if (type === 'better-sqlite3') return 'sqlite';
  throw new Error(`The transaction log has no migrations for the "${type}" driver.`);
}

/** Runs statements one by one (neither driver is given multipleStatements). */
export async function runAll(queryRunner: QueryRunner, statements: readonly string[]): Promise<void> {
  for (const statement of statements) {
    await queryRunner.query(statement);
  }
}
