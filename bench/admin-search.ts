/**
 * Measures the operators' queries on a large transaction log (docs/operators.md, "Performance"):
 * seeds ROWS messages (default 1,000,000) into fresh tables on MariaDB/MySQL, then times a first
 * page, a page deep in by cursor, the failure groups and the unresolved count. Drops the tables.
 *
 *   npm run build && JUNCTION_DB_URL=mysql://… node dist/bench/admin-search.js [rows]
 *
 * Not part of `npm test` (a million-row seed takes a minute or two).
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { MessageSearch } from '../src/core/operator-records';
import { storeNames } from '../src/store/typeorm/entities';
import { TypeOrmTransactionLog } from '../src/store/typeorm/typeorm-transaction-log';
import { dropStoreTables, openMysql } from '../test/contract/transaction-log.support';
import { seedMessages } from '../test/support/seed-messages';

async function timed<T>(work: () => Promise<T>, runs = 5): Promise<{ ms: number; result: T }> {
  let result = await work();
  const times: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const start = performance.now();
    result = await work();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)] ?? 0, result };
}

async function main(): Promise<void> {
  const url = process.env.JUNCTION_DB_URL ?? process.env.JUNCTION_TEST_DB_URL;
  if (!url?.startsWith('mysql')) throw new Error('Set JUNCTION_DB_URL to a mysql:// URL.');
  const rows = Number(process.argv[2] ?? 1_000_000);
  const prefix = `bench_${randomUUID().slice(0, 8)}_`;
  const log = new TypeOrmTransactionLog({ url, tablePrefix: prefix });
  await log.start();
  const db = await openMysql(url);
  try {
    const seedStart = performance.now();
    await seedMessages(db, storeNames(prefix).message, rows);
    process.stdout.write(`seeded ${rows} messages in ${((performance.now() - seedStart) / 1000).toFixed(1)} s\n\n`);
    const deep = async (search: MessageSearch, pages: number): Promise<number> => {
      let page = await log.search({ ...search, limit: 50 });
      for (let i = 1; i < pages && page.next; i += 1) page = await log.search({ ...search, limit: 50, after: page.next });
      return page.items.length;
    };
    const cases: [string, () => Promise<unknown>][] = [
      ['first page, newest (50)', () => log.search({ limit: 50 })],
      ['FAILED, first page', () => log.search({ statuses: ['FAILED'], limit: 50 })],
      ['FAILED, page 100 by cursor (100 queries)', () => deep({ statuses: ['FAILED'] }, 100)],
      ['route, first page', () => log.search({ routeId: 'route-3', limit: 50 })],
      ['error code, first page', () => log.search({ errorCode: 'JCT_TRANSFORM_FAILED', limit: 50 })],
      ['error group, first page', () => log.search({ errorGroup: 'g000000000000003', limit: 50 })],
      ['business key', () => log.search({ businessKey: `SO-${Math.floor(rows / 2)}` })],
      ['time range (one hour)', () => log.search({ receivedFrom: new Date(Date.UTC(2026, 0, 3)), receivedTo: new Date(Date.UTC(2026, 0, 3, 1)), limit: 50 })],
      ['count unresolved FAILED', () => log.count({ unresolved: true })],
      ['failure groups (all unresolved)', () => log.failureGroups({})],
    ];
    process.stdout.write('| query | median ms |\n| --- | --- |\n');
    for (const [name, work] of cases) {
      const { ms } = await timed(work);
      process.stdout.write(`| ${name} | ${ms.toFixed(1)} |\n`);
    }
  } finally {
    await db.end();
    await log.close();
    await dropStoreTables(url, prefix);
  }
}

main().catch((error: unknown) => { process.stderr.write(`${String(error)}\n`); process.exitCode = 1; });
