/**
 * `npm start`: Junction on the embedded default (SQLite file, in-process bus, config/default.yaml)
 * with the legacy simulators it delivers to, started in this process. Prints what to try.
 */
import { randomBytes } from 'node:crypto';
import { DEFAULT_CONFIG_FILE } from '../../src/config/load-config';
import { main, parseMainArgs } from '../../src/main';
import { ErpSimulator } from '../legacy/erp/erp-simulator';
import { OaSimulator } from '../legacy/oa/oa-simulator';

const SAMPLE_ORDER = '{"orderId":"SO-1001","customerId":"C-42","amount":"250.00","currency":"EUR","lines":[{"sku":"WIDGET-1","qty":2,"price":"125.00"}]}';

const SAMPLE_CUSTOMER = '{"name":"Ada Lovelace","email":"ada@example.org","status":"ACTIVE"}';

/**
 * Starts a simulator; when its port is taken, says which variable moves it (no stack trace), sets
 * exit code 1 and resolves undefined.
 */
async function startSimulator(name: string, portVariable: string, start: () => Promise<string>): Promise<string | undefined> {
  try {
    return await start();
  } catch (error) {
    const listen = error as NodeJS.ErrnoException & { address?: string; port?: number };
    const text = listen?.code === 'EADDRINUSE'
      ? `${String(listen.address)}:${String(listen.port)} is in use by another process. Stop it, or start the demo with another port, `
        + `e.g. ${portVariable}=${Number(listen.port) + 100} npm start`
      : String(error);
    process.stderr.write(`junction demo: the ${name} simulator could not start: ${text}\n`);
    process.exitCode = 1;
    return undefined;
  }
}

/**
 * True unless another configuration file (--config, JUNCTION_CONFIG: as main reads them) or the
 * variables config/default.yaml reads for the log and the bus moved Junction off the embedded default.
 */
function embeddedDefault(argv: readonly string[]): boolean {
  const { JUNCTION_DB_URL, JUNCTION_AMQP_URL } = process.env;
  return parseMainArgs(argv).config === DEFAULT_CONFIG_FILE && !JUNCTION_DB_URL && !JUNCTION_AMQP_URL;
}

async function run(): Promise<void> {
  const simulators: { close(): Promise<void> }[] = [];
  if (!process.env.OA_REST_URL) {
    const oa = new OaSimulator({ port: Number(process.env.OA_PORT ?? 8091), host: '127.0.0.1' });
    const url = await startSimulator('OA', 'OA_PORT', () => oa.start());
    if (url === undefined) return;
    process.env.OA_REST_URL = `${url}/oa/approvals`;
    simulators.push(oa);
  }
  if (!process.env.ERP_SOAP_URL) {
    const erp = new ErpSimulator({ port: Number(process.env.ERP_PORT ?? 8092), host: '127.0.0.1' });
    if (await startSimulator('ERP', 'ERP_PORT', () => erp.start()) === undefined) {
      await Promise.all(simulators.map((s) => s.close()));
      return;
    }
    process.env.ERP_SOAP_URL = erp.soapUrl;
    simulators.push(erp);
  }
  // The demo operator's admin token (config/default.yaml reads it from the environment).
  process.env.JUNCTION_ADMIN_TOKEN ||= `demo-${randomBytes(12).toString('hex')}`;
  const app = await main(process.argv.slice(2));
  if (!app) {
    await Promise.all(simulators.map((s) => s.close()));
    return;
  }
  // The address Junction really listens on: PORT=0 (any free port) prints the port it got.
  const base = app.url;
  process.stdout.write([
    '',
    embeddedDefault(process.argv.slice(2))
      ? 'Junction is running on the embedded default (SQLite in .junction/, in-process bus).'
      : 'Junction is running with the transaction log and the bus configured (see "Transaction log ready" above).',
    `  REST gateway   ${base}/api/v1   (OpenAPI: ${base}/api/v1/openapi.json)`,
    `  SOAP service   ${base}/soap/crm?wsdl   (SOAP 1.1 and 1.2)`,
    `  health         ${base}/healthz`,
    `  console        ${base}/console   (operators: failed messages, replay, audit)`,
    `  admin API      ${base}/admin/api`,
    `  ERP simulator  ${process.env.ERP_SOAP_URL} (stats: ${new URL(process.env.ERP_SOAP_URL ?? '').origin}/_sim/stats)`,
    `  OA simulator   ${process.env.OA_REST_URL} (stats: ${new URL(process.env.OA_REST_URL ?? '').origin}/_sim/stats)`,
    '',
    'Upsert a customer in the ERP (synchronous):',
    `  curl -X PUT ${base}/api/v1/customers/C-42 -H 'Content-Type: application/json' -d '${SAMPLE_CUSTOMER}'`,
    '',
    'Send an order:',
    `  curl -i -X POST ${base}/api/v1/orders -H 'Content-Type: application/json' -d '${SAMPLE_ORDER}'`,
    'then follow the Location header:',
    `  curl ${base}/api/v1/messages/<messageId>`,
    '',
    'Operators (console, admin API, `junction` CLI) sign in with the demo admin token:',
    `  export JUNCTION_URL=${base} JUNCTION_TOKEN=${process.env.JUNCTION_ADMIN_TOKEN}`,
    '  node dist/src/cli/main.js messages list --status FAILED --unresolved',
    '',
    'Ctrl-C stops everything.',
    '',
  ].join('\n'));
  const stopSimulators = (): void => { void Promise.all(simulators.map((s) => s.close())); };
  process.once('SIGINT', stopSimulators);
  process.once('SIGTERM', stopSimulators);
}

void run();
