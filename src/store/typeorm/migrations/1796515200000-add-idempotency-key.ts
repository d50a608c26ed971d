import type { MigrationInterface, QueryRunner } from 'typeorm';
import { storeNames } from '../entities';
import { dialectOf, hasColumn, hasIndex, type MigrationClass } from './migration-support';

/**
 * Migration 3: idempotency keys. Two nullable columns on the message table — `idempotency_key`
 * (varchar 255, the caller's key) and `body_hash` (varchar 64, hex SHA-256 of the body as received)
 * — and a UNIQUE index on (route_id, idempotency_key): the index, not the application, decides
 * which of two concurrent requests with the same key creates the message. NULL keys never collide
 * (both databases let a unique index hold many NULLs), so messages without a key are unaffected.
 * Frozen once released. Each step looks first, so a run that died half-way on MySQL finishes.
 */
export function addIdempotencyKeyMigration(prefix: string): MigrationClass {
  const n = storeNames(prefix);

  return class AddIdempotencyKey1796515200000 implements MigrationInterface {
    readonly name = 'AddIdempotencyKey1796515200000';

    async up(queryRunner: QueryRunner): Promise<void> {
      const dialect = dialectOf(queryRunner);
      const mysql = dialect === 'mysql';
      if (!await hasColumn(queryRunner, dialect, n.message, 'idempotency_key')) {
        await queryRunner.query(mysql
          ? `ALTER TABLE \`${n.message}\` ADD COLUMN \`idempotency_key\` varchar(255) NULL`
          : `ALTER TABLE "${n.message}" ADD COLUMN "idempotency_key" varchar(255)`);
      }
      if (!await hasColumn(queryRunner, dialect, n.message, 'body_hash')) {
        await queryRunner.query(mysql
          ? `ALTER TABLE \`${n.message}\` ADD COLUMN \`body_hash\` varchar(64) NULL`
          : `ALTER TABLE "${n.message}" ADD COLUMN "body_hash" varchar(64)`);
      }
      if (!await hasIndex(queryRunner, dialect, n.message, n.messageIdempotencyIdx)) {
        await queryRunner.query(mysql
          ? `CREATE UNIQUE INDEX \`${n.messageIdempotencyIdx}\` ON \`${n.message}\` (\`route_id\`, \`idempotency_key\`)`
          : `CREATE UNIQUE INDEX IF NOT EXISTS "${n.messageIdempotencyIdx}" ON "${n.message}" ("route_id", "idempotency_key")`);
      }
    }

    async down(queryRunner: QueryRunner): Promise<void> {
      const dialect = dialectOf(queryRunner);
      const mysql = dialect === 'mysql';
      if (await hasIndex(queryRunner, dialect, n.message, n.messageIdempotencyIdx)) {
        await queryRunner.query(mysql
          ? `DROP INDEX \`${n.messageIdempotencyIdx}\` ON \`${n.message}\``
          : `DROP INDEX IF EXISTS "${n.messageIdempotencyIdx}"`);
      }
      for (const column of ['body_hash', 'idempotency_key']) {
        if (await hasColumn(queryRunner, dialect, n.message, column)) {
          await queryRunner.query(mysql
            ? `ALTER TABLE \`${n.message}\` DROP COLUMN \`${column}\``
            : `ALTER TABLE "${n.message}" DROP COLUMN "${column}"`);
        }
      }
    }
  };
}
