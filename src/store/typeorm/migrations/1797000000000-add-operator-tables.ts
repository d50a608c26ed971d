import type { MigrationInterface, QueryRunner } from 'typeorm';
import { storeNames } from '../entities';
import { dialectOf, hasColumn, hasIndex, type MigrationClass } from './migration-support';

/**
 * Migration 4: what operators need (docs/operators.md).
 * - Message columns, all nullable without default (instant on MariaDB ≥ 10.3 / MySQL ≥ 8.0.12 and
 *   SQLite): `error_endpoint` and `error_group` (the last error's endpoint and cause key, for search
 *   and failure groups), `resolution`, `resolved_at`, `replayed_by` (how an operator settled a
 *   FAILED message).
 * - Indexes for keyset pagination per filter: (last_error_code, received_at) replaces
 *   (last_error_code); (error_group, received_at); (error_endpoint, received_at); (replay_of); and
 *   (resolution, status, route_id, error_group, received_at), which covers counting and grouping
 *   unresolved failures.
 *   Building an index reads the table once (online on InnoDB).
 * - The append-only audit trail and the bulk replay jobs.
 * Frozen once released. Each step looks first, so a run that died half-way on MySQL finishes.
 */
export function addOperatorTablesMigration(prefix: string): MigrationClass {
  const n = storeNames(prefix);
  const columns: readonly [string, string, string][] = [
    ['error_endpoint', 'varchar(255) NULL', 'varchar(255)'],
    ['error_group', 'varchar(16) NULL', 'varchar(16)'],
    ['resolution', 'varchar(16) NULL', 'varchar(16)'],
    ['resolved_at', 'datetime(3) NULL', 'datetime'],
    ['replayed_by', 'char(36) NULL', 'varchar(36)'],
  ];
  const indexes: readonly [string, string[]][] = [
    [n.messageErrorCodeReceivedIdx, ['last_error_code', 'received_at']],
    [n.messageErrorGroupIdx, ['error_group', 'received_at']],
    [n.messageErrorEndpointIdx, ['error_endpoint', 'received_at']],
    [n.messageReplayOfIdx, ['replay_of']],
    // Covers counting and grouping unresolved failures without reading the rows. Resolution first, so
    // the optimizer never takes it for a plain status search (which (status, received_at) serves in order).
    [n.messageUnresolvedIdx, ['resolution', 'status', 'route_id', 'error_group', 'received_at']],
  ];
  const mysqlTables = [
    `CREATE TABLE IF NOT EXISTS \`${n.audit}\` (
      \`seq\` bigint NOT NULL AUTO_INCREMENT,
      \`at\` datetime(3) NOT NULL,
      \`actor\` varchar(128) NOT NULL,
      \`role\` varchar(16) NOT NULL,
      \`action\` varchar(32) NOT NULL,
      \`message_id\` char(36) NULL,
      \`replay_id\` char(36) NULL,
      \`job_id\` char(36) NULL,
      \`reason\` varchar(1000) NULL,
      \`detail\` longtext NULL,
      PRIMARY KEY (\`seq\`),
      KEY \`${n.auditMessageIdx}\` (\`message_id\`),
      KEY \`${n.auditJobIdx}\` (\`job_id\`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
    `CREATE TABLE IF NOT EXISTS \`${n.replayJob}\` (
      \`id\` char(36) NOT NULL,
      \`created_at\` datetime(3) NOT NULL,
      \`created_by\` varchar(128) NOT NULL,
      \`reason\` varchar(1000) NOT NULL,
      \`filter\` mediumtext NOT NULL,
      \`source\` varchar(16) NOT NULL,
      \`rate_per_second\` int NOT NULL,
      \`status\` varchar(16) NOT NULL,
      \`total\` int NOT NULL,
      \`replayed\` int NOT NULL,
      \`skipped\` int NOT NULL,
      \`failed\` int NOT NULL,
      \`cursor_at\` datetime(3) NULL,
      \`cursor_id\` char(36) NULL,
      \`last_error\` mediumtext NULL,
      \`owner\` varchar(128) NULL,
      \`lease_until\` datetime(3) NULL,
      \`updated_at\` datetime(3) NOT NULL,
      \`finished_at\` datetime(3) NULL,
      PRIMARY KEY (\`id\`),
      KEY \`${n.replayJobStatusIdx}\` (\`status\`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
  ];
  const sqliteTables = [
    `CREATE TABLE IF NOT EXISTS "${n.audit}" (
      "seq" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
      "at" datetime NOT NULL,
      "actor" varchar(128) NOT NULL,
      "role" varchar(16) NOT NULL,
      "action" varchar(32) NOT NULL,
      "message_id" varchar(36),
      "replay_id" varchar(36),
      "job_id" varchar(36),
      "reason" varchar(1000),
      "detail" text
    )`,
    `CREATE INDEX IF NOT EXISTS "${n.auditMessageIdx}" ON "${n.audit}" ("message_id")`,
    `CREATE INDEX IF NOT EXISTS "${n.auditJobIdx}" ON "${n.audit}" ("job_id")`,
    `CREATE TABLE IF NOT EXISTS "${n.replayJob}" (
      "id" varchar(36) PRIMARY KEY NOT NULL,
      "created_at" datetime NOT NULL,
      "created_by" varchar(128) NOT NULL,
      "reason" varchar(1000) NOT NULL,
      "filter" text NOT NULL,
      "source" varchar(16) NOT NULL,
      "rate_per_second" integer NOT NULL,
      "status" varchar(16) NOT NULL,
      "total" integer NOT NULL,
      "replayed" integer NOT NULL,
      "skipped" integer NOT NULL,
      "failed" integer NOT NULL,
      "cursor_at" datetime,
      "cursor_id" varchar(36),
      "last_error" text,
      "owner" varchar(128),
      "lease_until" datetime,
      "updated_at" datetime NOT NULL,
      "finished_at" datetime
    )`,
    `CREATE INDEX IF NOT EXISTS "${n.replayJobStatusIdx}" ON "${n.replayJob}" ("status")`,
  ];

  return class AddOperatorTables1797000000000 implements MigrationInterface {
    readonly name = 'AddOperatorTables1797000000000';

    async up(queryRunner: QueryRunner): Promise<void> {
      const dialect = dialectOf(queryRunner);
      const mysql = dialect === 'mysql';
      const q = mysql ? '`' : '"';
      for (const [column, mysqlType, sqliteType] of columns) {
        if (await hasColumn(queryRunner, dialect, n.message, column)) continue;
        await queryRunner.query(`ALTER TABLE ${q}${n.message}${q} ADD COLUMN ${q}${column}${q} ${mysql ? mysqlType : sqliteType}`);
      }
      for (const [index, cols] of indexes) {
        if (await hasIndex(queryRunner, dialect, n.message, index)) continue;
        await queryRunner.query(`CREATE INDEX ${q}${index}${q} ON ${q}${n.message}${q} (${cols.map((c) => `${q}${c}${q}`).join(', ')})`);
      }
      if (await hasIndex(queryRunner, dialect, n.message, n.messageErrorCodeIdx)) {
        await queryRunner.query(mysql ? `DROP INDEX \`${n.messageErrorCodeIdx}\` ON \`${n.message}\`` : `DROP INDEX "${n.messageErrorCodeIdx}"`);
      }
      for (const statement of mysql ? mysqlTables : sqliteTables) await queryRunner.query(statement);
    }

    async down(queryRunner: QueryRunner): Promise<void> {
      const dialect = dialectOf(queryRunner);
      const mysql = dialect === 'mysql';
      const q = mysql ? '`' : '"';
      await queryRunner.query(`DROP TABLE IF EXISTS ${q}${n.replayJob}${q}`);
      await queryRunner.query(`DROP TABLE IF EXISTS ${q}${n.audit}${q}`);
      if (!await hasIndex(queryRunner, dialect, n.message, n.messageErrorCodeIdx)) {
        await queryRunner.query(`CREATE INDEX ${q}${n.messageErrorCodeIdx}${q} ON ${q}${n.message}${q} (${q}last_error_code${q})`);
      }
      for (const [index] of indexes) {
        if (!await hasIndex(queryRunner, dialect, n.message, index)) continue;
        await queryRunner.query(mysql ? `DROP INDEX \`${index}\` ON \`${n.message}\`` : `DROP INDEX "${index}"`);
      }
      for (const [column] of [...columns].reverse()) {
        if (!await hasColumn(queryRunner, dialect, n.message, column)) continue;
        await queryRunner.query(`ALTER TABLE ${q}${n.message}${q} DROP COLUMN ${q}${column}${q}`);
      }
    }
  };
}
