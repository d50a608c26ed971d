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

/** Whether `table` has `column`, read from the catalogue of the connected database. */
export async function hasColumn(queryRunner: QueryRunner, dialect: StoreDialect, table: string, column: string): Promise<boolean> {
  const rows = dialect === 'mysql'
    ? await queryRunner.query(
      'SELECT COUNT(*) AS n FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?',
      [table, column]) as { n: unknown }[]
    : await queryRunner.query('SELECT COUNT(*) AS n FROM pragma_table_info(?) WHERE name = ?', [table, column]) as { n: unknown }[];
  return Number(rows[0]?.n) > 0;
}

/** Whether `table` has an index named `index`. */
export async function hasIndex(queryRunner: QueryRunner, dialect: StoreDialect, table: string, index: string): Promise<boolean> {
  const rows = dialect === 'mysql'
    ? await queryRunner.query(
      'SELECT COUNT(*) AS n FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME = ?',
      [table, index]) as { n: unknown }[]
    : await queryRunner.query('SELECT COUNT(*) AS n FROM pragma_index_list(?) WHERE name = ?', [table, index]) as { n: unknown }[];
  return Number(rows[0]?.n) > 0;
}
