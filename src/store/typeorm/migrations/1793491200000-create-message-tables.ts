import type { MigrationInterface, QueryRunner } from 'typeorm';
import { storeNames } from '../entities';
import { dialectOf, runAll, type MigrationClass } from './migration-support';

/**
 * Migration 1: the message and stage tables with the indexes operators search by.
 * Frozen once released: change the schema with a new migration, never by editing this one.
 * `IF NOT EXISTS` lets a run that died half-way on MySQL (where DDL is not transactional) finish.
 */
export function createMessageTablesMigration(prefix: string): MigrationClass {
  const n = storeNames(prefix);

  const mysql = [
    `CREATE TABLE IF NOT EXISTS \`${n.message}\` (
      \`id\` char(36) NOT NULL,
      \`correlation_id\` varchar(255) NOT NULL,
      \`route_id\` varchar(128) NOT NULL,
      \`source\` varchar(255) NOT NULL,
      \`pattern\` varchar(16) NOT NULL,
      \`business_key\` varchar(255) NULL,
      \`replay_of\` char(36) NULL,
      \`content_type\` varchar(255) NOT NULL,
      \`headers\` mediumtext NOT NULL,
      \`payload\` longtext NOT NULL,
      \`status\` varchar(16) NOT NULL,
      \`attempts\` int NOT NULL,
      \`last_error\` mediumtext NULL,
      \`last_error_code\` varchar(64) NULL,
      \`received_at\` datetime(3) NOT NULL,
      \`updated_at\` datetime(3) NOT NULL,
      PRIMARY KEY (\`id\`),
      KEY \`${n.messageReceivedIdx}\` (\`received_at\`),
      KEY \`${n.messageStatusIdx}\` (\`status\`, \`received_at\`),
      KEY \`${n.messageRouteIdx}\` (\`route_id\`, \`received_at\`),
      KEY \`${n.messageCorrelationIdx}\` (\`correlation_id\`),
      KEY \`${n.messageBusinessKeyIdx}\` (\`business_key\`),
      KEY \`${n.messageErrorCodeIdx}\` (\`last_error_code\`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
    `CREATE TABLE IF NOT EXISTS \`${n.stage}\` (
      \`seq\` bigint NOT NULL AUTO_INCREMENT,
      \`message_id\` char(36) NOT NULL,
      \`stage\` varchar(255) NOT NULL,
      \`status\` varchar(16) NOT NULL,
      \`attempt\` int NOT NULL,
      \`at\` datetime(3) NOT NULL,
      \`duration_ms\` int NULL,
      \`endpoint\` varchar(255) NULL,
      \`detail\` varchar(1000) NULL,
      \`error_code\` varchar(64) NULL,
      \`error\` mediumtext NULL,
      PRIMARY KEY (\`seq\`),
      KEY \`${n.stageMessageIdx}\` (\`message_id\`, \`seq\`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
  ];

  const sqlite = [
    `CREATE TABLE IF NOT EXISTS "${n.message}" (
      "id" varchar(36) PRIMARY KEY NOT NULL,
      "correlation_id" varchar(255) NOT NULL,
      "route_id" varchar(128) NOT NULL,
      "source" varchar(255) NOT NULL,
      "pattern" varchar(16) NOT NULL,
      "business_key" varchar(255),
      "replay_of" varchar(36),
      "content_type" varchar(255) NOT NULL,
      "headers" text NOT NULL,
      "payload" text NOT NULL,
      "status" varchar(16) NOT NULL,
      "attempts" integer NOT NULL,
      "last_error" text,
      "last_error_code" varchar(64),
      "received_at" datetime NOT NULL,
      "updated_at" datetime NOT NULL
    )`,
    `CREATE INDEX IF NOT EXISTS "${n.messageReceivedIdx}" ON "${n.message}" ("received_at")`,
    `CREATE INDEX IF NOT EXISTS "${n.messageStatusIdx}" ON "${n.message}" ("status", "received_at")`,
    `CREATE INDEX IF NOT EXISTS "${n.messageRouteIdx}" ON "${n.message}" ("route_id", "received_at")`,
    `CREATE INDEX IF NOT EXISTS "${n.messageCorrelationIdx}" ON "${n.message}" ("correlation_id")`,
    `CREATE INDEX IF NOT EXISTS "${n.messageBusinessKeyIdx}" ON "${n.message}" ("business_key")`,
    `CREATE INDEX IF NOT EXISTS "${n.messageErrorCodeIdx}" ON "${n.message}" ("last_error_code")`,
    `CREATE TABLE IF NOT EXISTS "${n.stage}" (
      "seq" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
      "message_id" varchar(36) NOT NULL,
      "stage" varchar(255) NOT NULL,
      "status" varchar(16) NOT NULL,
      "attempt" integer NOT NULL,
      "at" datetime NOT NULL,
      "duration_ms" integer,
      "endpoint" varchar(255),
      "detail" varchar(1000),
      "error_code" varchar(64),
      "error" text
    )`,
    `CREATE INDEX IF NOT EXISTS "${n.stageMessageIdx}" ON "${n.stage}" ("message_id", "seq")`,
  ];

  return class CreateMessageTables1793491200000 implements MigrationInterface {
    readonly name = 'CreateMessageTables1793491200000';

    async up(queryRunner: QueryRunner): Promise<void> {
      await runAll(queryRunner, dialectOf(queryRunner) === 'mysql' ? mysql : sqlite);
    }

    async down(queryRunner: QueryRunner): Promise<void> {
      const q = dialectOf(queryRunner) === 'mysql' ? '`' : '"';
      await runAll(queryRunner, [`DROP TABLE IF EXISTS ${q}${n.stage}${q}`, `DROP TABLE IF EXISTS ${q}${n.message}${q}`]);
    }
  };
}
