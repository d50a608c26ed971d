/**
 * Runs the legacy ERP simulator as its own process:
 *   node dist/examples/legacy/erp/main.js [--port N] [--host H] [--quiet]
 * The port defaults to $ERP_PORT or 8092.
 */
import { parseArgs } from 'node:util';
import { ErpSimulator } from './erp-simulator.js';

function parsePort(raw: string, source: string): number {
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535) throw new Error(`${source} must be a port number 0-65535, got "${raw}"`);
  return port;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      quiet: { type: 'boolean', default: false },
    },
  });
  const port = values.port !== undefined
    ? parsePort(values.port, '--port')
    : parsePort(process.env['ERP_PORT'] ?? '8092', 'ERP_PORT');
  const simulator = new ErpSimulator({
    port,
    host: values.host,
    ...(values.quiet ? {} : { logger: (line: string) => console.log(line) }),
  });
  const url = await simulator.start();
  console.log(`ERP simulator listening on ${url} (SOAP ${simulator.soapUrl}, WSDL ${simulator.wsdlUrl})`);

  const stop = (signal: NodeJS.Signals): void => {
    console.log(`ERP simulator: ${signal}, closing`);
    simulator.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
