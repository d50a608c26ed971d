import type { MigrationInterface, QueryRunner } from 'typeorm';
import { COLUMN_LIMITS, storeNames } from '../entities';
import { dialectOf, hasColumn, type MigrationClass } from './migration-support';

/**
 * Migration 1799000000000: a stage whose payload repeats an earlier stage's is stored without it
 * and names that stage in `payload_of` (store/typeorm/shared-payloads.ts). Nullable without a
 * default: instant on MariaDB ≥ 10.3 / MySQL ≥ 8.0.12 and SQLite; rows written before it keep
 * NULL and their own payload. Looks first, so a run that died half-way finishes. Frozen once
 * released.
 */
export function addStagePayloadOfMigration(prefix: string): MigrationClass {
  const n = storeNames(prefix);

  return class AddStagePayloadOf1799000000000 implements MigrationInterface {
    readonly name = 'AddStagePayloadOf1799000000000';

    async up(queryRunner: QueryRunner): Promise<void> {
      const dialect = dialectOf(queryRunner);
      if (await hasColumn(queryRunner, dialect, n.stage, 'payload_of')) return;
      await queryRunner.query(dialect === 'mysql'
        ? `ALTER TABLE \`${n.stage}\` ADD COLUMN \`payload_of\` varchar(${COLUMN_LIMITS.stage}) NULL`
        : `ALTER TABLE "${n.stage}" ADD COLUMN "payload_of" varchar(${COLUMN_LIMITS.stage})`);
    }

    async down(queryRunner: QueryRunner): Promise<void> {
      const dialect = dialectOf(queryRunner);
      if (!await hasColumn(queryRunner, dialect, n.stage, 'payload_of')) return;
      const q = dialect === 'mysql' ? '`' : '"';
      await queryRunner.query(`ALTER TABLE ${q}${n.stage}${q} DROP COLUMN ${q}payload_of${q}`);
    }
  };
}
