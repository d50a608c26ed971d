import { buildApp, type JunctionApp } from '../../src/app';
import { silentLogger } from '../../src/core/logger';
import { loadConfig, type LoadedConfig } from '../../src/config/load-config';
import { ErpSimulator } from '../../examples/legacy/erp/erp-simulator';
import { OaSimulator } from '../../examples/legacy/oa/oa-simulator';
import { dropStoreTables } from '../contract/transaction-log.support';
import { deleteTopology } from '../integration/bus/amqp-admin';
import { requireEnv, uniqueName } from './env';

/** The demo configuration, its simulators and Junction itself, started for a test. */
export interface DemoStack {
  readonly app: JunctionApp;
  /** Junction's base URL. */
  readonly base: string;
  readonly oa: OaSimulator;
  readonly erp: ErpSimulator;
  /** The transaction log's table prefix (the store's tables are `<prefix>message`, `<prefix>audit`, ...). */
  readonly tablePrefix: string;
  close(): Promise<void>;
}

/** Options of {@link startDemoStack}. */
export interface DemoStackOptions {
  /** `real`: RabbitMQ + MariaDB from the environment, with names no other test uses; `embedded`: SQLite file + in-process bus. */
  readonly servers: 'real' | { readonly sqliteFile: string };
  /** Changes to the loaded configuration (e.g. a shorter reply timeout). */
  readonly adjust?: (loaded: LoadedConfig) => LoadedConfig;
}

/** Starts the OA and ERP simulators and Junction on config/default.yaml pointed at them. */
export async function startDemoStack(options: DemoStackOptions): Promise<DemoStack> {
  const oa = new OaSimulator();
  const erp = new ErpSimulator();
  const oaUrl = await oa.start();
  await erp.start();
  const env: NodeJS.ProcessEnv = { OA_REST_URL: `${oaUrl}/oa/approvals`, ERP_SOAP_URL: erp.soapUrl };
  const real = options.servers === 'real';
  if (options.servers === 'real') {
    env.JUNCTION_DB_URL = requireEnv('JUNCTION_TEST_DB_URL');
    env.JUNCTION_AMQP_URL = requireEnv('JUNCTION_TEST_AMQP_URL');
  } else {
    env.JUNCTION_DB_URL = `sqlite:${options.servers.sqliteFile}`;
  }
  let loaded = loadConfig('config/default.yaml', env);
  const tablePrefix = `${uniqueName('stk').toLowerCase().slice(0, 14)}_`;
  const busPrefix = uniqueName('stack');
  if (real) {
    const { config } = loaded;
    loaded = { ...loaded, config: { ...config, store: { ...config.store, tablePrefix }, bus: { ...config.bus, prefix: busPrefix } } };
  }
  if (options.adjust) loaded = options.adjust(loaded);
  const app = buildApp(loaded, { logger: silentLogger, port: 0 });
  const base = await app.start();
  return {
    app, base, oa, erp, tablePrefix: loaded.config.store.tablePrefix,
    close: async () => {
      await app.close();
      await Promise.all([oa.close(), erp.close()]);
      if (real) {
        await dropStoreTables(requireEnv('JUNCTION_TEST_DB_URL'), tablePrefix);
        await deleteTopology(requireEnv('JUNCTION_TEST_AMQP_URL'), busPrefix, app.routes.routes.map((r) => r.id));
      }
    },
  };
}
