import { randomUUID } from 'node:crypto';

/**
 * The real servers the integration and contract tests run against. `npm test` (scripts/test.sh)
 * starts RabbitMQ and MariaDB and exports these; a test that needs one fails loudly without it
 * rather than passing on a stand-in.
 */
export function requireEnv(name: 'JUNCTION_TEST_AMQP_URL' | 'JUNCTION_TEST_DB_URL' | 'JUNCTION_TEST_DB_ADMIN_URL'): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run the suite with \`npm test\`, which starts RabbitMQ and MariaDB `
      + '(scripts/services.sh), or export it to point at your own server.');
  }
  return value;
}

/** A name no other test uses, e.g. for queue prefixes and table prefixes. */
export function uniqueName(kind: string): string {
  return `t${kind}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
}
