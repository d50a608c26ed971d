import type { MigrationInterface, QueryRunner } from 'typeorm';
import { storeNames } from '../entities';
import { dialectOf, hasColumn, type MigrationClass } from './migration-support';

/**
 * Migration 1798500000000: the audit trail records how its actor signed in — `auth_method`
 * (`admin-token`, `api-key`, `jwt`, `replay-job`), nullable without a default (instant on
 * MariaDB ≥ 10.3 / MySQL ≥ 8.0.12 and SQLite); entries written before it keep NULL. Looks
 * first, so a run that died half-way finishes. Frozen once released.
 */
export function addAuditAuthMethodMigration(prefix: string): MigrationClass {
  const n = storeNames(prefix);

  return class AddAuditAuthMethod1798500000000 implements MigrationInterface {
    readonly name = 'AddAuditAuthMethod1798500000000';

    async up(queryRunner: QueryRunner): Promise<void> {
      const dialect = dialectOf(queryRunner);
      if (await hasColumn(queryRunner, dialect, n.audit, 'auth_method')) return;
      await queryRunner.query(dialect === 'mysql'
        ? `ALTER TABLE \`${n.audit}\` ADD COLUMN \`auth_method\` varchar(16) NULL`
        : `ALTER TABLE "${n.audit}" ADD COLUMN "auth_method" varchar(16)`);
    }

    async down(queryRunner: QueryRunner): Promise<void> {
      const dialect = dialectOf(queryRunner);
      if (!await hasColumn(queryRunner, dialect, n.audit, 'auth_method')) return;
      const q = dialect === 'mysql' ? '`' : '"';
      await queryRunner.query(`ALTER TABLE ${q}${n.audit}${q} DROP COLUMN ${q}auth_method${q}`);
    }
  };
}
