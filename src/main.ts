import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildApp, type JunctionApp, type Role } from './app';
import { JunctionError } from './core/errors';
import { loadConfig } from './config/load-config';

/** Exit codes of the `junction` process. */
export const EXIT = { OK: 0, FAILED: 1, CONFIG: 2 } as const;

/** Command-line options of the process entry. */
export interface MainOptions {
  readonly config: string;
  readonly role: Role;
}

/** Reads `--config FILE` (or JUNCTION_CONFIG, or config/default.yaml) and `--role all|gateway|worker`. */
export function parseMainArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): MainOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: { config: { type: 'string', short: 'c' }, role: { type: 'string', default: 'all' } },
    allowPositionals: false,
  });
  const role = values.role;
  if (role !== 'all' && role !== 'gateway' && role !== 'worker') {
    throw new Error(`--role must be all, gateway or worker (got "${String(role)}")`);
  }
  return { config: values.config ?? env.JUNCTION_CONFIG ?? path.join('config', 'default.yaml'), role };
}

/**
 * Loads configuration, builds and starts Junction, and stops it cleanly on SIGINT/SIGTERM.
 * A configuration error prints what is wrong and where, and exits with code 2.
 */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<JunctionApp | undefined> {
  let app: JunctionApp;
  try {
    const options = parseMainArgs(argv);
    app = buildApp(loadConfig(options.config), { role: options.role });
  } catch (error) {
    process.stderr.write(`junction: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = EXIT.CONFIG;
    return undefined;
  }
  try {
    await app.start();
  } catch (error) {
    const text = error instanceof JunctionError ? `${error.code}: ${error.message}` : String(error);
    process.stderr.write(`junction: could not start: ${text}\n`);
    await app.close().catch(() => undefined);
    process.exitCode = EXIT.FAILED;
    return undefined;
  }
  const stop = (signal: string): void => {
    app.logger.info('stopping', { signal });
    app.close().then(() => process.exit(EXIT.OK), () => process.exit(EXIT.FAILED));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  return app;
}

if (require.main === module) {
  void main();
}
