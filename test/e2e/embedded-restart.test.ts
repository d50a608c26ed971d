import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { MessageRecord } from '../../src/core/transaction-log';
import { TypeOrmTransactionLog } from '../../src/store/typeorm/typeorm-transaction-log';
import { eventually, postJson } from '../support/http';
import { JunctionProcess } from '../support/junction-process';
import { closeNow, freePort, listenOnLoopback } from '../support/ports';

const ORDERS = 8;

/**
 * The embedded default's bus lives in the process: Junction killed with messages on it leaves them
 * QUEUED or PROCESSING in the SQLite log with no copy anywhere. The next start's recovery sweep
 * publishes them again, and they are delivered — a newcomer's demo does not keep stuck messages.
 */
describe('embedded default: messages on the in-process bus when Junction is killed are delivered after the restart', function () {
  this.timeout(120_000);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'junction-restart-'));
  const database = path.join(dir, 'junction.db');
  let answering = false;
  const received: string[] = [];
  const backend: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    received.push(String(req.headers['x-junction-message-id']));
    req.resume();
    if (answering) res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    // else: hangs, as a backend that stopped answering — the message stays PROCESSING.
  });
  let processes: JunctionProcess[] = [];

  after(async () => {
    await Promise.all(processes.map((p) => p.stop(2000)));
    await closeNow(backend);
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(): Promise<{ proc: JunctionProcess; url: string }> {
    const port = await freePort();
    const config = path.join(dir, `junction-${port}.yaml`);
    writeFileSync(config, `
server: { port: ${port} }
log: { level: info, format: json }
store: { url: "sqlite:${database}" }
bus: { url: "memory:", prefetch: 3 }
endpoints:
  oa: { type: http, url: "${backendUrl}/orders", timeoutMs: 60000 }
routes:
  - id: orders
    entry: { rest: { method: POST, path: /orders } }
    to: [oa]
`);
    const proc = await JunctionProcess.start(config, 'all', port);
    processes.push(proc);
    return { proc, url: `http://127.0.0.1:${port}/api/v1/orders` };
  }

  let backendUrl = '';

  it('kill -9 with orders PROCESSING and QUEUED; the restarted process delivers every one', async () => {
    backendUrl = await listenOnLoopback(backend);
    const first = await start();
    const ids: string[] = [];
    for (let i = 0; i < ORDERS; i += 1) {
      const res = await postJson(first.url, `{"orderId":"R-${i}"}`, { 'idempotency-key': `restart-${i}` });
      expect(res.status, res.text).to.equal(202);
      ids.push(String(res.json.messageId));
    }
    await eventually(async () => (received.length >= 3 ? true : undefined), 20_000, 20); // prefetch 3: three held by the hanging backend
    const log = new TypeOrmTransactionLog({ url: `sqlite:${database}` });
    const statuses = async (): Promise<string[]> => Promise.all(ids.map(async (id) => String((await log.load(id))?.status)));
    await log.start();
    try {
      await eventually(async () => ((await statuses()).filter((s) => s === 'QUEUED').length === ORDERS - 3 ? true : undefined), 20_000, 50);
      await first.proc.kill('SIGKILL');
      processes = processes.filter((p) => p !== first.proc);
      expect((await statuses()).sort()).to.deep.equal([...Array(ORDERS - 3).fill('QUEUED'), ...Array(3).fill('PROCESSING')].sort());

      answering = true;
      received.length = 0;
      await start();
      // The sweep's first round comes after 10 s; a PROCESSING copy then waits the bus's requeue delay (1 s).
      const settled = await eventually(async () => {
        const records = await Promise.all(ids.map((id) => log.load(id)));
        return records.every((r) => r?.status === 'DELIVERED') ? records as MessageRecord[] : undefined;
      }, 60_000, 200);
      for (const record of settled) {
        expect(record.stages.some((s) => s.stage === 'recovered' && s.detail === 'lost with the in-process bus when Junction stopped; published again by the recovery sweep'), record.id).to.equal(true);
      }
      expect([...new Set(received)].sort(), 'every order reached the backend after the restart').to.deep.equal([...ids].sort());
      expect(received, 'once each').to.have.length(ORDERS);
    } finally {
      await log.close();
    }
  });
});
