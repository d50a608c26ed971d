import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { storeNames } from '../../src/store/typeorm/entities';
import { RECEIVED_PAYLOAD } from '../../src/store/typeorm/shared-payloads';
import { ADMIN_TEST_TOKENS, withAdminTokens } from '../support/admin-tokens';
import { startDemoStack, type DemoStack } from '../support/demo-stack';
import { uniqueName } from '../support/env';
import { eventually, postJson, request, sampleOrder } from '../support/http';

/**
 * The received body shared on the embedded default (SQLite + in-process bus): a replay from the
 * failed delivery carries the mapped request as its body, and its delivery sends exactly that, so the
 * delivery stage names the message's own payload instead of repeating it — read back by the admin
 * API, with and without an edited body.
 */
describe('a stage repeating the received body, on the embedded default (SQLite + in-process bus)', function () {
  this.timeout(120_000);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'junction-shared-'));
  const file = path.join(dir, 'junction.db');
  let stack: DemoStack;
  const auth = { authorization: `Bearer ${ADMIN_TEST_TOKENS.operator}`, 'content-type': 'application/json' };
  const status = async (id: string): Promise<string> => String((await request(`${stack.base}/api/v1/messages/${id}`)).json.status);
  /** payload and payload_of of a message's stage, straight from the file. */
  const rawStage = (id: string, stage: string): unknown => {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      return db.prepare(`SELECT payload, payload_of AS payloadOf FROM "${storeNames(stack.tablePrefix).stage}" WHERE message_id = ? AND stage = ?`).all(id, stage);
    } finally {
      db.close();
    }
  };

  before(async () => { stack = await startDemoStack({ servers: { sqliteFile: file }, adjust: withAdminTokens }); });
  after(async () => {
    await stack?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('replays from the failed step, as kept and edited: each delivery refers to its received body, and the admin API shows it', async () => {
    stack.erp.setBehaviour({ faultCode: 'Client' });
    const tag = uniqueName('shr');
    const ids: string[] = [];
    for (let i = 0; i < 2; i += 1) ids.push(String((await postJson(`${stack.base}/api/v1/orders`, sampleOrder(`${tag}-${i}`))).json.messageId));
    for (const id of ids) await eventually(async () => ((await status(id)) === 'FAILED' ? true : undefined), 20_000);
    stack.erp.setBehaviour({ faultCode: null });
    const mapped = (await stack.app.log.load(String(ids[1])))?.stages.find((s) => s.stage === 'step:erp-orders:order-to-erp')?.payload;
    expect(mapped).to.contain('"CUST_NO":"C-42"');
    const edited = String(mapped).replace('"CUST_NO":"C-42"', '"CUST_NO":"C-43"');
    const asks = [{ from: 'failed-step' }, { from: 'failed-step', payload: edited, reason: 'customer number corrected' }];
    for (const [i, ask] of asks.entries()) {
      const replayed = await request(`${stack.base}/admin/api/messages/${ids[i]}/replay`, { method: 'POST', headers: auth, body: JSON.stringify(ask) });
      expect(replayed.status, replayed.text).to.equal(202);
      const replayId = String(replayed.json.replayId);
      await eventually(async () => ((await status(replayId)) === 'DELIVERED' ? true : undefined), 20_000);
      expect(rawStage(replayId, 'deliver:erp-orders')).to.deep.equal([{ payload: null, payloadOf: RECEIVED_PAYLOAD }]);
      const view = (await request(`${stack.base}/admin/api/messages/${replayId}`, { headers: auth })).json;
      const delivered = (view.stages as { stage: string; payload?: string }[]).find((s) => s.stage === 'deliver:erp-orders');
      expect(delivered?.payload).to.equal(view.payload);
      expect(view.payload).to.contain(i === 0 ? '"CUST_NO":"C-42"' : '"CUST_NO":"C-43"');
      expect(JSON.stringify(stack.erp.receipts().find((r) => r.messageId === replayId))).to.contain(`${tag}-${i}`).and.to.contain(i === 0 ? 'C-42' : 'C-43');
    }
  });
});
