import { expect } from 'chai';
import mysql from 'mysql2/promise';
import { createEnvelope, type Envelope, type NewEnvelope } from '../../src/core/envelope';
import { JunctionError } from '../../src/core/errors';
import { parseStoreUrl } from '../../src/store/typeorm/data-source';
import { storeNames } from '../../src/store/typeorm/entities';

/** An envelope on `routeId` with a JSON body; `at` fixes receivedAt. */
export function testMessage(routeId: string, init: Partial<NewEnvelope> = {}, at?: Date): Envelope {
  return createEnvelope({
    routeId, pattern: 'one-way', source: 'rest:POST /api/v1/orders', contentType: 'application/json',
    body: '{"orderId":"o-1","amount":"250.00"}', ...init,
  }, at);
}

/** Awaits a promise that must reject and returns what it rejected with. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

/** Asserts a JunctionError with this code and returns it. */
export function expectJunctionError(error: unknown, code: string): JunctionError {
  expect(error).to.be.instanceOf(JunctionError);
  expect((error as JunctionError).code).to.equal(code);
  return error as JunctionError;
}

/** Runs `tasks` with at most `width` in flight. */
export async function inBatches<T>(count: number, width: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let start = 0; start < count; start += width) {
    const batch = Array.from({ length: Math.min(width, count - start) }, (_, k) => task(start + k));
    results.push(...await Promise.all(batch));
  }
  return results;
}

/** A direct mysql2 connection to the database of a `mysql://` URL (tests only). */
export async function openMysql(url: string): Promise<mysql.Connection> {
  const target = parseStoreUrl(url);
  if (target.dialect !== 'mysql') throw new Error('openMysql needs a mysql:// URL');
  return mysql.createConnection({
    host: target.host, port: target.port, user: target.user, password: target.password, database: target.database,
    timezone: 'Z', charset: 'utf8mb4',
  });
}

/** Drops every table the migrations create under `prefix` (message, stage, nonce, audit, replay job and the migrations ledger). */
export async function dropStoreTables(url: string, prefix: string): Promise<void> {
  const names = storeNames(prefix);
  const connection = await openMysql(url);
  try {
    await connection.query(`DROP TABLE IF EXISTS \`${names.stage}\`, \`${names.message}\`, \`${names.nonce}\`, \`${names.migrations}\`, \`${names.audit}\`, \`${names.replayJob}\``);
  } finally {
    await connection.end();
  }
}
