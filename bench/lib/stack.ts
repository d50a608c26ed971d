import { randomBytes } from 'node:crypto';
import { appendFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { dropStoreTables } from '../../test/contract/transaction-log.support';
import { deleteTopology } from '../../test/integration/bus/amqp-admin';
import { freePort } from '../../test/support/ports';
import { answers, NodeChild } from './child';
import { describeDelta, snapshot, type StageSnapshot } from './stage-breakdown';
import type { Servers } from './services';

/** How Junction runs in the benchmark: one process with every role, or a gateway and a worker process. */
export type Topology = 'all' | 'split';

/** The routes of bench/config/bench.yaml (their queues are deleted after the run). */
export const BENCH_ROUTES = ['upsert-customer', 'submit-order', 'esb-direct', 'esb-cbr', 'esb-xslt'] as const;

/** Options of {@link Stack.start}. */
export interface StackOptions {
  readonly repo: string;
  readonly servers: Servers;
  readonly topology: Topology;
  /** Directory for the processes' logs (and CPU profiles). */
  readonly outDir: string;
  /** Start Junction's processes with `--cpu-prof` into `outDir`. */
  readonly profile?: boolean;
  readonly logLevel?: string;
}

/**
 * Everything a run needs besides RabbitMQ and MariaDB, each in a process of its own: the backend
 * (echo + sink), the ERP simulator, and Junction (`--role all`, or a gateway and a worker).
 * Junction gets a table prefix and a bus prefix no other run uses; `stop()` removes them.
 */
export class Stack {
  private readonly lastSnapshots = new Map<string, StageSnapshot>();

  private constructor(
    readonly junctionUrl: string,
    readonly backendUrl: string,
    readonly erpUrl: string,
    readonly junction: readonly NodeChild[],
    private readonly helpers: readonly NodeChild[],
    private readonly servers: Servers,
    private readonly prefixes: { readonly table: string; readonly bus: string },
  ) {}

  /** Junction's process ids (what "CPU-seconds of Junction's own processes" counts). */
  get junctionPids(): number[] {
    return this.junction.filter((c) => c.running).map((c) => c.pid);
  }

  get backendPids(): number[] {
    return this.helpers.filter((c) => c.running).map((c) => c.pid);
  }

  static async start(options: StackOptions): Promise<Stack> {
    const { repo, servers, outDir } = options;
    const dist = path.join(repo, 'dist');
    const backendPort = await freePort();
    const erpPort = await freePort();
    const backend = new NodeChild('backend', path.join(dist, 'bench', 'backends', 'backend-server.js'), ['--port', String(backendPort)], path.join(outDir, 'backend.log'));
    const erp = new NodeChild('erp-simulator', path.join(dist, 'examples', 'legacy', 'erp', 'main.js'), ['--port', String(erpPort), '--quiet'], path.join(outDir, 'erp.log'));
    const backendUrl = `http://127.0.0.1:${backendPort}`;
    const erpUrl = `http://127.0.0.1:${erpPort}`;
    const helpers = [backend, erp];
    const junction: NodeChild[] = [];
    const suffix = randomBytes(4).toString('hex');
    const prefixes = { table: `bench_${suffix}_`, bus: `bench-${suffix}` };
    const stack = (url: string): Stack => new Stack(url, backendUrl, erpUrl, junction, helpers, servers, prefixes);
    try {
      await backend.ready(() => answers(`${backendUrl}/_stats`));
      await erp.ready(() => answers(`${erpUrl}/erp/soap?wsdl`));
      const env = {
        JUNCTION_DB_URL: servers.dbUrl, JUNCTION_AMQP_URL: servers.amqpUrl, BENCH_TABLE_PREFIX: prefixes.table, BENCH_BUS_PREFIX: prefixes.bus,
        ERP_SOAP_URL: `${erpUrl}/erp/soap`, BENCH_BACKEND_URL: backendUrl, JUNCTION_LOG_LEVEL: options.logLevel ?? 'info',
      };
      const config = path.join(repo, 'bench', 'config', 'bench.yaml');
      const nodeArgs = options.profile ? ['--cpu-prof', '--cpu-prof-dir', path.join(outDir, 'profiles')] : [];
      const roles = options.topology === 'all' ? ['all'] : ['gateway', 'worker'];
      let gatewayUrl = '';
      for (const role of roles) {
        const port = await freePort();
        const child = new NodeChild(`junction (${role})`, path.join(dist, 'src', 'main.js'), ['--config', config, '--role', role],
          path.join(outDir, `junction-${role}.log`), { ...env, PORT: String(port) }, nodeArgs);
        child.url = `http://127.0.0.1:${port}`;
        junction.push(child);
        await child.ready(() => answers(`${child.url}/readyz`));
        if (role !== 'worker') gatewayUrl = `http://127.0.0.1:${port}`;
      }
      return stack(gatewayUrl);
    } catch (error) {
      await stack('').stop();
      throw error;
    }
  }

  /** Stops every process, then removes the run's tables and queues. */
  async stop(): Promise<void> {
    // Workers first, so nothing is consumed half-way; then the gateway; then the backends.
    await Promise.all([...this.junction].reverse().map((c) => c.stop()));
    await Promise.all(this.helpers.map((c) => c.stop()));
    await dropStoreTables(this.servers.dbUrl, this.prefixes.table).catch(() => undefined);
    await deleteTopology(this.servers.amqpUrl, this.prefixes.bus, BENCH_ROUTES).catch(() => undefined);
  }

  /**
   * Saves every Junction process's /metrics page as `metrics-<label>-<role>.txt` in `dir`, and
   * appends to `stages.txt` the mean time of each stage since the previous call (what the point
   * just measured spent where).
   */
  async saveMetrics(dir: string, label: string): Promise<void> {
    const texts = await this.metricsTexts().catch(() => [] as string[]);
    const lines: string[] = [];
    texts.forEach((text, i) => {
      const role = /\((\w+)\)/.exec(this.junction[i]?.name ?? '')?.[1] ?? String(i);
      writeFileSync(path.join(dir, `metrics-${label}-${role}.txt`), text);
      const now = snapshot(text);
      lines.push(...describeDelta(`${label} ${role}`, this.lastSnapshots.get(role), now));
      this.lastSnapshots.set(role, now);
    });
    appendFileSync(path.join(dir, 'stages.txt'), `${lines.join('\n')}\n`);
  }

  /** Prometheus text of every Junction process, for memory and heap readings. */
  async metricsTexts(): Promise<string[]> {
    return Promise.all(this.junctionUrls.map(async (url) => (await fetch(`${url}/metrics`)).text()));
  }

  private get junctionUrls(): string[] {
    return this.junction.map((c) => c.url).filter((u): u is string => u !== undefined);
  }
}
