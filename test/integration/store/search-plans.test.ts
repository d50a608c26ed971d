import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type mysql from 'mysql2/promise';
import type { MessageSearch } from '../../../src/core/operator-records';
import { createDataSource, parseStoreUrl } from '../../../src/store/typeorm/data-source';
import { storeNames } from '../../../src/store/typeorm/entities';
import { applyFilter, searchQuery } from '../../../src/store/typeorm/message-search';
import { TypeOrmTransactionLog } from '../../../src/store/typeorm/typeorm-transaction-log';
import { dropStoreTables, openMysql } from '../../contract/transaction-log.support';
import { requireEnv, uniqueName } from '../../support/env';
import { seedMessages } from '../../support/seed-messages';

const ROWS = 20_000;

describe('search query plans on MariaDB: every filter uses its index; ordered filters need no sort', function () {
  this.timeout(120_000);
  let url: string;
  let db: mysql.Connection;
  const prefix = `${uniqueName('plan').toLowerCase()}_`;
  const n = storeNames(prefix);

  before(async () => {
    url = requireEnv('JUNCTION_TEST_DB_URL');
    const log = new TypeOrmTransactionLog({ url, tablePrefix: prefix });
    await log.start();
    await log.close();
    db = await openMysql(url);
    await seedMessages(db, n.message, ROWS);
  });
  after(async () => {
    await db?.end();
    await dropStoreTables(url, prefix);
  });

  const cursor = { receivedAt: new Date(Date.UTC(2026, 0, 1) + 10_000_000), id: 'ffffffff-ffff-ffff-ffff-ffffffffffff' };
  const cases: [string, MessageSearch, string, boolean][] = [
    ['newest, no filter', {}, n.messageReceivedIdx, true],
    ['time range', { receivedFrom: new Date(Date.UTC(2026, 0, 1, 1)), receivedTo: new Date(Date.UTC(2026, 0, 1, 2)) }, n.messageReceivedIdx, true],
    ['status', { statuses: ['FAILED'] }, n.messageStatusIdx, true],
    ['status, next page', { statuses: ['FAILED'], after: cursor }, n.messageStatusIdx, true],
    ['unresolved failures, oldest first', { unresolved: true, order: 'oldest' }, n.messageStatusIdx, true],
    ['route', { routeId: 'route-3' }, n.messageRouteIdx, true],
    ['route, next page', { routeId: 'route-3', after: cursor }, n.messageRouteIdx, true],
    ['error code', { errorCode: 'JCT_TRANSFORM_FAILED' }, n.messageErrorCodeReceivedIdx, true],
    ['error group', { errorGroup: 'g000000000000003' }, n.messageErrorGroupIdx, true],
    ['endpoint', { endpoint: 'endpoint-1' }, n.messageErrorEndpointIdx, true],
    ['business key', { businessKey: 'SO-4711' }, n.messageBusinessKeyIdx, false],
    ['correlation id', { correlationId: 'corr-4711' }, n.messageCorrelationIdx, false],
    ['replays of a message', { replayOf: randomUUID() }, n.messageReplayOfIdx, false],
  ];

  it('counting and grouping unresolved failures read only the covering index', async () => {
    const { dataSource, entities } = createDataSource(parseStoreUrl(url), { tablePrefix: prefix, poolSize: 1 });
    await dataSource.initialize();
    try {
      const [sql, parameters] = applyFilter(dataSource.manager.createQueryBuilder(entities.message, 'm'), { unresolved: true })
        .select('m.routeId', 'r').addSelect('m.errorGroup', 'g').addSelect('COUNT(*)', 'n').addSelect('MAX(m.receivedAt)', 'at')
        .groupBy('m.routeId').addGroupBy('m.errorGroup').getQueryAndParameters();
      const [plan] = await db.query(`EXPLAIN ${sql}`, parameters) as unknown as [{ key: string | null; Extra: string | null }[]];
      expect(plan[0]?.key, JSON.stringify(plan)).to.equal(n.messageUnresolvedIdx);
      expect(plan[0]?.Extra ?? '', JSON.stringify(plan)).to.contain('Using index');
    } finally {
      await dataSource.destroy();
    }
  });

  for (const [name, search, index, ordered] of cases) {
    it(`${name}: ${index}${ordered ? ', no filesort' : ''}`, async () => {
      const { dataSource, entities } = createDataSource(parseStoreUrl(url), { tablePrefix: prefix, poolSize: 1 });
      await dataSource.initialize();
      try {
        const [sql, parameters] = searchQuery(dataSource.manager, entities, search).getQueryAndParameters();
        const [plan] = await db.query(`EXPLAIN ${sql}`, parameters) as unknown as [{ key: string | null; Extra: string | null; rows: number }[]];
        const row = plan[0];
        expect(row?.key, JSON.stringify(plan)).to.equal(index);
        if (ordered) expect(row?.Extra ?? '', JSON.stringify(plan)).not.to.contain('filesort');
        expect(Number(row?.rows)).to.be.lessThan(ROWS / 2 + 1);
      } finally {
        await dataSource.destroy();
      }
    });
  }
});
