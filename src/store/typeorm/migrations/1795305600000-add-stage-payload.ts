import type { MigrationInterface, QueryRunner } from 'typeorm';
import { storeNames, type StoreDialect } from '../entities';
import { dialectOf, type MigrationClass } from './migration-support';

/** Whether `table` has `column`, read from the catalogue of the connected database. */
async function hasColumn(queryRunner: QueryRunner, dialect: StoreDialect, table: string, column: string): Promise<boolean> {
  const rows = dialect === 'mysql'
    ? await queryRunner.query(
      'SELECT COUNT(*) AS n FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?',
      [table, column]) as { n: unknown }[]
    : await queryRunner.query('SELECT COUNT(*) AS n FROM pragma_table_info(?) WHERE name = ?', [table, column]) as { n: unknown }[];
  return Number(rows[0]?.n) > 0;
}

/**
 * Migration 2: a nullable `payload` column on the stage table, the message body as a stage left it
 * (kept when the route's capture level asks for it). LONGTEXT on MySQL/MariaDB, TEXT on SQLite.
 * Frozen once released. Adding a nullable column without a default is a metadata-only change on
 * both databases (MariaDB ≥ 10.3 and MySQL ≥ 8.0.12 add it INSTANT), so it is quick on a big log.
 * MySQL has no `ADD COLUMN IF NOT EXISTS` (only MariaDB does) and commits DDL at once, so the
 * column is looked up first: a run that died between the ALTER and the ledger insert finishes.
 */
export function addStagePayloadMigration(prefix: string): MigrationClass {
  const n = storeNames(prefix);

  return class AddStagePayload1795305600000 implements MigrationInterface {
    readonly name = 'AddStagePayload1795305600000';

    async up(queryRunner: QueryRunner): Promise<void> {
      const dialect = dialectOf(queryRunner);
      if (await hasColumn(queryRunner, dialect, n.stage, 'payload')) return;
      await queryRunner.query(dialect === 'mysql'
        ? `ALTER TABLE \`${n.stage}\` ADD COLUMN \`payload\` longtext NULL`
        : `ALTER TABLE "${n.stage}" ADD COLUMN "payload" text`);
    }

    async down(queryRunner: QueryRunner): Promise<void> {
      const dialect = dialectOf(queryRunner);
      if (!await hasColumn(queryRunner, dialect, n.stage, 'payload')) return;
      await queryRunner.query(dialect === 'mysql'
        ? `ALTER TABLE \`${n.stage}\` DROP COLUMN \`payload\``
        : `ALTER TABLE "${n.stage}" DROP COLUMN "payload"`);
    }
  };
}
