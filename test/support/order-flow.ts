import { expect } from 'chai';
import type { TransactionLog } from '../../src/core/transaction-log';
import type { OaSimulator } from '../../examples/legacy/oa/oa-simulator';
import { eventually, postJson, sampleOrder } from './http';

/** Posts `count` distinct demo orders at once; every one must be accepted (202). Returns the message ids. */
export async function postOrdersConcurrently(base: string, count: number, tag: string): Promise<string[]> {
  const responses = await Promise.all(Array.from({ length: count }, (_, i) =>
    postJson(`${base}/api/v1/orders`, sampleOrder(`${tag}-${i}`, i % 2 === 0 ? '"250.00"' : '1999.90'))));
  const refused = responses.filter((r) => r.status !== 202);
  expect(refused.map((r) => `${r.status} ${r.text}`)).to.deep.equal([]);
  const ids = responses.map((r) => String(r.json.messageId));
  expect(new Set(ids).size).to.equal(count);
  return ids;
}

/**
 * Waits until every id is DELIVERED in the transaction log, then checks the backend received each
 * exactly once: none lost, none doubled, nothing unexpected — and decimals arrived as sent.
 */
export async function expectAllDeliveredOnce(log: TransactionLog, routeId: string, ids: readonly string[], oa: OaSimulator, timeoutMs = 60_000): Promise<void> {
  await eventually(async () => {
    const delivered = await log.find({ routeId, status: 'DELIVERED', limit: 1000 });
    return delivered.length >= ids.length ? delivered : undefined;
  }, timeoutMs, 200);
  const delivered = await log.find({ routeId, status: 'DELIVERED', limit: 1000 });
  expect(delivered.map((m) => m.id).sort()).to.deep.equal([...ids].sort());
  const failed = await log.find({ routeId, status: 'FAILED', limit: 1000 });
  expect(failed.map((m) => `${m.id} ${m.lastError?.message ?? ''}`)).to.deep.equal([]);

  const stats = oa.stats();
  const received = oa.receipts().map((r) => r.messageId);
  expect(stats.duplicates, 'duplicated at the backend').to.deep.equal([]);
  expect(ids.filter((id) => !received.includes(id)), 'lost').to.deep.equal([]);
  expect(received.filter((id) => !ids.includes(id)), 'unexpected').to.deep.equal([]);
  expect(stats.distinct).to.equal(ids.length);
  const amounts = new Set(oa.receipts().map((r) => r.fields.amount));
  expect([...amounts].sort()).to.deep.equal(['1999.90', '250.00']);
}
