import { createMessageTablesMigration } from './1793491200000-create-message-tables';
import { addStagePayloadMigration } from './1795305600000-add-stage-payload';
import { addIdempotencyKeyMigration } from './1796515200000-add-idempotency-key';
import { addOperatorTablesMigration } from './1797000000000-add-operator-tables';
import { addNonceTableMigration } from './1798000000000-add-nonce-table';
import { addAuditAuthMethodMigration } from './1798500000000-add-audit-auth-method';
import { addStagePayloadOfMigration } from './1799000000000-add-stage-payload-of';
import { addMessageHoldsMigration } from './1799500000000-add-message-holds';
import type { MigrationClass } from './migration-support';

export type { MigrationClass } from './migration-support';

/**
 * Every migration of the transaction log, oldest first, for a table prefix. To change the schema,
 * add a file `<13-digit timestamp>-<what-it-does>.ts` exporting a factory and list it here.
 */
export function createMigrations(prefix: string): MigrationClass[] {
  return [createMessageTablesMigration(prefix), addStagePayloadMigration(prefix), addIdempotencyKeyMigration(prefix),
    addOperatorTablesMigration(prefix), addNonceTableMigration(prefix), addAuditAuthMethodMigration(prefix), addStagePayloadOfMigration(prefix),
    addMessageHoldsMigration(prefix)];
}
