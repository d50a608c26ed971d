import { expect } from 'chai';
import { TypeOrmTransactionLog } from '../../src/store/typeorm/typeorm-transaction-log';
import { OaSimulator } from '../../examples/legacy/oa/oa-simulator';
import { dropStoreTables } from '../contract/transaction-log.support';
import { deleteTopology, withAdminChannel } from '../integration/bus/amqp-admin';
import { requireEnv, uniqueName } from './env';
import { eventually } from './http';
import { JunctionProcess } from './junction-process';
import type { ClientRun, OrderToSend } from './patient-client';
import { freePort } from './ports';
import { StalledError, untilDone } from './progress';
import { checkOrders, describeCheck, HALF_WAY, type OrderCheck } from './queue-checker';
import { TempConfigDir } from './temp-config';

/** What a scenario may change in the Junction it starts. */
export interface JunctionSettings {
  readonly role?: 'all' | 'gateway' | 'worker';
  /** The HTTP port (default: a free one); a restarted Junction takes over its predecessor's. */
  readonly port?: number;
  readonly prefetch?: number;
  readonly endpointTimeoutMs?: number;
  readonly shutdownTimeoutMs?: number;
}

/**
 * What the fault-injection suites share: the OA simulator on a fixed port (so it can go away and
 * come back), Junction as real processes on the real RabbitMQ and MariaDB with names no other test
 * uses, the callers' view checked against the backend and the transaction log.
 */
export class FaultRig {
  readonly temp = new TempConfigDir();
  readonly tablePrefix = `${uniqueName('flt').toLowerCase().slice(0, 14)}_`;
  readonly busPrefix = uniqueName('fault');
  readonly oa: OaSimulator;
  readonly amqpUrl: string;
  readonly dbUrl: string;
  private readonly routes = new Set<string>();
  private readonly processes: JunctionProcess[] = [];

  private constructor(oa: OaSimulator, private readonly oaPort: number) {
    this.oa = oa;
    this.amqpUrl = requireEnv('JUNCTION_TEST_AMQP_URL');
    this.dbUrl = requireEnv('JUNCTION_TEST_DB_URL');
  }

  static async start(): Promise<FaultRig> {
    const port = await freePort();
    const oa = new OaSimulator({ port });
    const rig = new FaultRig(oa, port);
    await oa.start();
    return rig;
  }

  /** The OA simulator's base URL (fixed for the rig's life, also across oa.close() / oa.start()). */
  get oaUrl(): string {
    return `http://127.0.0.1:${this.oaPort}`;
  }

  /** Starts a Junction process with one route to the OA simulator (a 2 s AMQP heartbeat). */
  async startJunction(route: string, settings: JunctionSettings = {}): Promise<{ proc: JunctionProcess; url: string; port: number }> {
    this.routes.add(route);
    const port = settings.port ?? await freePort();
    const busUrl = `${this.amqpUrl}${this.amqpUrl.includes('?') ? '&' : '?'}heartbeat=2`;
    const file = this.temp.write(`${route}-${port}.yaml`, `
server: { port: ${port}, shutdownTimeoutMs: ${settings.shutdownTimeoutMs ?? 30000} }
log: { level: info, format: json }
store: { url: "${this.dbUrl}", tablePrefix: ${this.tablePrefix} }
bus: { url: "${busUrl}", prefix: ${this.busPrefix}, prefetch: ${settings.prefetch ?? 20} }
endpoints:
  oa: { type: http, url: "${this.oaUrl}/oa/approvals", timeoutMs: ${settings.endpointTimeoutMs ?? 2000}, breaker: { failures: 5, openMs: 1000 } }
routes:
  - id: ${route}
    entry: { rest: { method: POST, path: /${route} } }
    retry: { attempts: 4, initialDelayMs: 100, multiplier: 2, maxDelayMs: 400, jitter: 0.2 }
    steps: [ { type: json-to-xml, root: approvalRequest } ]
    to: [oa]
`);
    const proc = await JunctionProcess.start(file, settings.role ?? 'all', port);
    this.processes.push(proc);
    return { proc, url: `http://127.0.0.1:${port}/api/v1/${route}`, port };
  }

  /** `count` orders; every tenth caller has no idempotency key (orderIds ending in 9). */
  orders(tag: string, count: number): OrderToSend[] {
    return Array.from({ length: count }, (_, i) => {
      const orderId = `${tag}-${i}`;
      const body = `{"orderId":"${orderId}","customerId":"C-${i % 17}","amount":"${(i % 3000) + 0.5}","currency":"EUR"}`;
      return i % 10 === 9 ? { orderId, body } : { orderId, body, key: `key-${orderId}` };
    });
  }

  /**
   * Resolves once callers have had `accepted` orders accepted and the backend has applied `applied`:
   * the moment to inject a fault that both the gateway and the worker meet.
   */
  async whenMidStream(run: ClientRun, accepted: number, applied: number): Promise<void> {
    await eventually(async () => (run.accepted.size >= accepted && this.oa.stats().received >= applied ? true : undefined), 60_000, 10);
  }

  /** Resolves once the backend has applied `count` requests. */
  async whenApplied(count: number): Promise<void> {
    await eventually(async () => (this.oa.stats().received >= count ? true : undefined), 60_000, 10);
  }

  /** Runs `work` with a transaction log of its own on the rig's tables (opened after any fault). */
  async withLog<T>(work: (log: TypeOrmTransactionLog) => Promise<T>): Promise<T> {
    const log = new TypeOrmTransactionLog({ url: this.dbUrl, tablePrefix: this.tablePrefix, poolSize: 4 });
    await log.start();
    try {
      return await work(log);
    } finally {
      await log.close();
    }
  }

  /**
   * Waits until nothing in the log of `route` is left half-way (RECEIVED … HELD), then counts what
   * the callers were told against the backend and the log, and prints the count.
   * Every FAILED message must be one the gateway refused to its caller (never an accepted one).
   * There is no deadline for the whole wait, which a loaded machine would stretch: it fails once
   * neither the half-way messages nor the backend's requests have changed for `stallMs`.
   */
  async settle(route: string, run: ClientRun, stallMs = 30_000): Promise<OrderCheck> {
    const settleStarted = Date.now();
    return this.withLog(async (log) => {
      const halfWay = async (): Promise<string[]> => (await Promise.all(HALF_WAY.map((status) => log.find({ routeId: route, status, limit: 1000 }))))
        .flat().map((m) => `${m.id} ${m.status}`);
      const stuck = await untilDone(async () => {
        const found = await halfWay();
        return found.length === 0 ? found : undefined;
      }, async () => `${(await halfWay()).join(', ')}; ${this.oa.stats().attempts} requests at the backend`,
      { what: `messages of ${route} left half-way`, stallMs, everyMs: 500 }).catch(async (error: unknown) => {
        if (!(error instanceof StalledError)) throw error;
        return halfWay();
      });
      expect(stuck, 'messages left half-way').to.deep.equal([]);
      const accepted = new Set(run.accepted.values());
      for (const failed of await log.find({ routeId: route, status: 'FAILED', limit: 1000 })) {
        expect(accepted.has(failed.id), `accepted message ${failed.id} ended FAILED`).to.equal(false);
        const record = await log.load(failed.id);
        expect(record?.stages.at(-1)?.stage, `FAILED message ${failed.id} was refused by the gateway`).to.equal('publish');
      }
      const check = await checkOrders(log, run, this.oa.receipts().map((r) => ({ messageId: r.messageId, orderId: r.fields.orderId })));
      process.stdout.write(`      ${describeCheck(check, run, this.oa.stats().deduplicated)}; settled in ${Date.now() - settleStarted} ms\n`);
      return check;
    });
  }

  /** Consumers on the route's queue right now. */
  consumers(route: string): Promise<number> {
    return withAdminChannel(this.amqpUrl, async (channel) => (await channel.checkQueue(`${this.busPrefix}.route.${route}`)).consumerCount);
  }

  /** Stops every Junction still running; prints the last lines of each when `failed`. */
  async stopJunctions(failed: boolean): Promise<void> {
    for (const proc of this.processes.splice(0)) {
      if (failed) process.stderr.write(`--- last lines of Junction ${proc.pid} ---\n${proc.tail(60)}\n`);
      await proc.stop();
    }
  }

  async close(): Promise<void> {
    await this.stopJunctions(false);
    await this.oa.close();
    await dropStoreTables(this.dbUrl, this.tablePrefix);
    await deleteTopology(this.amqpUrl, this.busPrefix, this.routes);
    this.temp.remove();
  }
}
