import { expect } from 'chai';
import type { TransactionLog } from '../../src/core/transaction-log';
import type { ErpSimulator } from '../../examples/legacy/erp/erp-simulator';
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

/** Lost, duplicated and unexpected ids at one backend, like Jepsen's queue checker. */
function expectExactlyOnce(what: string, expected: readonly string[], received: readonly string[], duplicates: readonly string[]): void {
  expect(duplicates, `duplicated at ${what}`).to.deep.equal([]);
  expect(expected.filter((id) => !received.includes(id)), `lost before ${what}`).to.deep.equal([]);
  expect(received.filter((id) => !expected.includes(id)), `unexpected at ${what}`).to.deep.equal([]);
}

/**
 * Waits until every id is DELIVERED in the transaction log, then checks each backend received
 * exactly the orders it should — every order at the ERP, those above 1000 at the OA system —
 * each exactly once: none lost, none doubled, nothing unexpected; decimals arrived as sent.
 */
export async function expectAllDeliveredOnce(log: TransactionLog, routeId: string, ids: readonly string[], backends: { erp: ErpSimulator; oa: OaSimulator }, timeoutMs = 60_000): Promise<void> {
  const { erp, oa } = backends;
  await eventually(async () => {
    const delivered = await log.find({ routeId, status: 'DELIVERED', limit: 1000 });
    return delivered.length >= ids.length ? delivered : undefined;
  }, timeoutMs, 200);
  const delivered = await log.find({ routeId, status: 'DELIVERED', limit: 1000 });
  expect(delivered.map((m) => m.id).sort()).to.deep.equal([...ids].sort());
  const failed = await log.find({ routeId, status: 'FAILED', limit: 1000 });
  expect(failed.map((m) => `${m.id} ${m.lastError?.message ?? ''}`)).to.deep.equal([]);

  expectExactlyOnce('the ERP', ids, erp.receipts().map((r) => r.messageId), erp.stats().duplicates);
  const erpAmounts = new Set(erp.receipts().map((r) => ('AMOUNT' in r.fields ? r.fields.AMOUNT : undefined)));
  expect([...erpAmounts].sort()).to.deep.equal(['1999.90', '250.00']);
  const large = ids.filter((_id, i) => i % 2 === 1); // postOrdersConcurrently: odd orders are 1999.90
  expectExactlyOnce('the OA system', large, oa.receipts().map((r) => r.messageId), oa.stats().duplicates);
  expect(new Set(oa.receipts().map((r) => r.fields.amount))).to.deep.equal(new Set(['1999.90']));
}
