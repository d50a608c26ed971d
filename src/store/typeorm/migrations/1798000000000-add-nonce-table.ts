import type { MigrationInterface, QueryRunner } from 'typeorm';
import { storeNames } from '../entities';
import { dialectOf, type MigrationClass } from './migration-support';

/**
 * Migration 1798000000000: the nonce table, where every gateway process records the WS-Security
 * UsernameToken nonces it accepted (as hashes, with the time they stop counting), so a captured
 * header replayed to another gateway is refused too. The primary key decides between concurrent
 * gateways. A new table: quick on any log. Frozen once released.
 */
export function addNonceTableMigration(prefix: string): MigrationClass {
  const n = storeNames(prefix);

  return class AddNonceTable1798000000000 implements MigrationInterface {
    readonly name = 'AddNonceTable1798000000000';

    async up(queryRunner: QueryRunner): Promise<void> {
      if (dialectOf(queryRunner) === 'mysql') {
        await queryRunner.query(`CREATE TABLE IF NOT EXISTS \`${n.nonce}\` (
          \`nonce_key\` varchar(64) NOT NULL,
          \`expires_at\` datetime(3) NOT NULL,
          PRIMARY KEY (\`nonce_key\`),
          KEY \`${n.nonceExpiresIdx}\` (\`expires_at\`)
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
        return;
      }
      await queryRunner.query(`CREATE TABLE IF NOT EXISTS "${n.nonce}" ("nonce_key" varchar(64) PRIMARY KEY NOT NULL, "expires_at" datetime NOT NULL)`);
      await queryRunner.query(`CREATE INDEX IF NOT EXISTS "${n.nonceExpiresIdx}" ON "${n.nonce}" ("expires_at")`);
    }

    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(dialectOf(queryRunner) === 'mysql' ? `DROP TABLE IF EXISTS \`${n.nonce}\`` : `DROP TABLE IF EXISTS "${n.nonce}"`);
    }
  };
}
