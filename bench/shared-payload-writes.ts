/**
 * Measures what sharing the received body saves (docs/performance.md, "What changed"): the
 * transaction log's writes of a 100 KB order as a worker makes them with `capture: steps` for a
 * route check (leaves the body as it is) → map → json-to-xml → delivery, with and without the
 * received body handed to the log (TransitionOptions.received; without = the code before). Per
 * order: the SQL MariaDB received (its `Bytes_received`: use a server of your own), this
 * process's CPU and — with JUNCTION_TEST_DB_PID set (scripts/services.sh's env file) — MariaDB's.
 * Pairs are interleaved, each run on fresh tables.
 *
 *   npm run build && JUNCTION_DB_URL=mysql://… node dist/bench/shared-payload-writes.js [orders=300] [pairs=4]
 *
 * Not part of `npm test`.
 */
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createEnvelope } from '../src/core/envelope';
import { TypeOrmTransactionLog } from '../src/store/typeorm/typeorm-transaction-log';
import { dropStoreTables, openMysql } from '../test/contract/transaction-log.support';
import { orderBody } from './lib/payloads';

/** Total bytes the server has received from clients. */
async function bytesReceived(url: string): Promise<number> {
  const db = await openMysql(url);
  try {
    const [rows] = await db.query("SHOW GLOBAL STATUS LIKE 'Bytes_received'") as unknown as [{ Value: string }[]];
    return Number(rows[0]?.Value ?? 0);
  } finally {
    await db.end();
  }
}

/** CPU-ms a process has used (user + system), from /proc; 0 when no pid is given. */
function cpuMsOf(pid: string | undefined): number {
  if (pid === undefined) return 0;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function run(url: string, shared: boolean, orders: number): Promise<string> {
  const prefix = `bench_${randomUUID().slice(0, 8)}_`;
  const log = new TypeOrmTransactionLog({ url, tablePrefix: prefix });
  await log.start();
  try {
    const messages = Array.from({ length: orders }, (_, i) => createEnvelope({
      routeId: 'orders', pattern: 'one-way', source: 'bench', contentType: 'application/json', body: orderBody(`SO-${i}`, 100 * 1024),
    }));
    const received = await bytesReceived(url);
    for (const message of messages) await log.recordReceived(message);
    const receiveKb = (await bytesReceived(url) - received) / orders / 1024;
    // The steps' outputs, made before the clock starts: only the log's work is measured.
    const outputs = messages.map((m) => ({ mapped: m.body.replaceAll('"sku"', '"ITEM_CODE"'), xml: `<SalesOrder>${m.body.replace(/[{}",:[\]]/g, ' ')}</SalesOrder>` }));
    const bytes = await bytesReceived(url);
    const db = cpuMsOf(process.env.JUNCTION_TEST_DB_PID);
    const cpu = process.cpuUsage();
    const started = performance.now();
    await Promise.all(messages.map(async (m, i) => {
      const { mapped, xml } = outputs[i] ?? { mapped: '', xml: '' };
      await log.transition(m.id, { stage: 'processing', status: 'PROCESSING', attempt: 1 }, ['RECEIVED']);
      await log.transition(m.id, { stage: 'deliver:erp', status: 'DELIVERED', attempt: 1, endpoint: 'erp', payload: xml }, ['PROCESSING'], {
        ...(shared ? { received: m.body } : {}),
        preceding: [
          { stage: 'step:check', status: 'PROCESSING', attempt: 1, payload: m.body }, { stage: 'step:map', status: 'PROCESSING', attempt: 1, payload: mapped },
          { stage: 'step:xml', status: 'PROCESSING', attempt: 1, payload: xml }, { stage: 'route', status: 'PROCESSING', attempt: 1, detail: 'to erp' },
        ],
      });
    }));
    const wallMs = performance.now() - started;
    const used = process.cpuUsage(cpu);
    const dbMs = cpuMsOf(process.env.JUNCTION_TEST_DB_PID) - db;
    const sqlKb = (await bytesReceived(url) - bytes) / orders / 1024;
    const first = messages[0];
    if (first && (await log.load(first.id))?.stages.find((s) => s.stage === 'step:check')?.payload !== first.body) throw new Error('step:check read back wrong');
    return `| ${shared ? 'shared' : 'not shared'} | ${receiveKb.toFixed(1)} | ${sqlKb.toFixed(1)} | ${((used.user + used.system) / 1000 / orders).toFixed(2)} | ${(dbMs / orders).toFixed(2)} | ${Math.round(wallMs)} |`;
  } finally {
    await log.close();
    await dropStoreTables(url, prefix);
  }
}

async function main(): Promise<void> {
  const url = process.env.JUNCTION_DB_URL ?? process.env.JUNCTION_TEST_DB_URL;
  if (!url?.startsWith('mysql')) throw new Error('Set JUNCTION_DB_URL to a mysql:// URL.');
  const orders = Number(process.argv[2] ?? 300);
  const pairs = Number(process.argv[3] ?? 4);
  process.stdout.write('| received body | RECEIVED KB/order | worker SQL KB/order | log CPU-ms/order | MariaDB CPU-ms/order | wall ms |\n| --- | --- | --- | --- | --- | --- |\n');
  for (let i = 0; i < pairs; i += 1) {
    for (const shared of [false, true]) process.stdout.write(`${await run(url, shared, orders)}\n`);
  }
}

main().catch((error: unknown) => { process.stderr.write(`${String(error)}\n`); process.exitCode = 1; });
