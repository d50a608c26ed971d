import type { MigrationInterface, QueryRunner } from 'typeorm';
import { storeNames } from '../entities';
import { dialectOf, hasColumn, type MigrationClass } from './migration-support';

/** Statuses of messages still on their way: their holds are counted when the column is added. */
const UNSETTLED = "'RECEIVED', 'QUEUED', 'PROCESSING', 'RETRYING', 'HELD'";

/**
 * Migration 1799500000000: `holds`, how many `held` stages a message has, so a worker's PROCESSING
 * write can tell the held copy a HELD message waits for from an older one without reading its
 * stages (TransitionOptions.copy). NOT NULL DEFAULT 0: instant on MariaDB ≥ 10.3 / MySQL ≥ 8.0.12
 * and SQLite. Messages still on their way get their count from their stages; settled ones keep 0
 * (nothing reads it for them). Looks first, so a run that died half-way finishes. Frozen once
 * released.
 */
export function addMessageHoldsMigration(prefix: string): MigrationClass {
  const n = storeNames(prefix);

  return class AddMessageHolds1799500000000 implements MigrationInterface {
    readonly name = 'AddMessageHolds1799500000000';

    async up(queryRunner: QueryRunner): Promise<void> {
      const dialect = dialectOf(queryRunner);
      const q = dialect === 'mysql' ? '`' : '"';
      if (!await hasColumn(queryRunner, dialect, n.message, 'holds')) {
        await queryRunner.query(`ALTER TABLE ${q}${n.message}${q} ADD COLUMN ${q}holds${q} ${dialect === 'mysql' ? 'int' : 'integer'} NOT NULL DEFAULT 0`);
      }
      await queryRunner.query(
        `UPDATE ${q}${n.message}${q} SET ${q}holds${q} = (SELECT COUNT(*) FROM ${q}${n.stage}${q} s WHERE s.${q}message_id${q} = ${q}${n.message}${q}.${q}id${q} AND s.${q}stage${q} = 'held') `
        + `WHERE ${q}status${q} IN (${UNSETTLED})`);
    }

    async down(queryRunner: QueryRunner): Promise<void> {
      const dialect = dialectOf(queryRunner);
      if (!await hasColumn(queryRunner, dialect, n.message, 'holds')) return;
      const q = dialect === 'mysql' ? '`' : '"';
      await queryRunner.query(`ALTER TABLE ${q}${n.message}${q} DROP COLUMN ${q}holds${q}`);
    }
  };
}
