import { parseArgs } from 'node:util';
import { buildApp, type JunctionApp, type Role } from './app';
import { JunctionError } from './core/errors';
import { DEFAULT_CONFIG_FILE, loadConfig } from './config/load-config';

/** Exit codes of the `junction` process. */
export const EXIT = { OK: 0, FAILED: 1, CONFIG: 2 } as const;

/** A started Junction and the base URL it listens on (the real port when `server.port` is 0). */
export type RunningJunction = JunctionApp & { readonly url: string };

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
  // An empty JUNCTION_CONFIG counts as unset, as an empty variable does for the file's `${NAME}`.
  return { config: values.config ?? (env.JUNCTION_CONFIG || DEFAULT_CONFIG_FILE), role };
}

/**
 * Loads configuration, builds and starts Junction, and stops it cleanly on SIGINT/SIGTERM: no new
 * work, the work in flight finished (HTTP requests answered, messages processed and acked), then
 * exit 0 — or exit 1 after `server.shutdownTimeoutMs` (unfinished messages are redelivered by
 * RabbitMQ). A second signal exits at once. A configuration error prints what is wrong and where,
 * and exits with code 2.
 */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<RunningJunction | undefined> {
  let app: JunctionApp;
  let shutdownTimeoutMs: number;
  try {
    const options = parseMainArgs(argv);
    const loaded = loadConfig(options.config);
    shutdownTimeoutMs = loaded.config.server.shutdownTimeoutMs;
    app = buildApp(loaded, { role: options.role });
  } catch (error) {
    process.stderr.write(`junction: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = EXIT.CONFIG;
    return undefined;
  }
  // Signals are taken from before the start: a stop asked for while Junction is still starting (a
  // database that is slow to answer, say) waits for the start to end, then closes what it opened.
  let starting = true;
  let stopping = false;
  let startFailed = false;
  let started: Promise<unknown> = Promise.resolve();
  const stop = (signal: string): void => {
    if (stopping) {
      app.logger.warn('second signal while stopping: exiting now; RabbitMQ gives unfinished messages to another worker', { signal });
      process.exit(EXIT.FAILED);
    }
    stopping = true;
    app.logger.info(starting ? 'stopping once the start has ended' : 'stopping', { signal, shutdownTimeoutMs });
    const deadline = setTimeout(() => {
      app.logger.error('could not finish the work in flight within server.shutdownTimeoutMs; exiting anyway. Unacknowledged messages '
        + 'return to their queues and are delivered by another worker (the transaction log shows them redelivered)', { shutdownTimeoutMs });
      process.exit(EXIT.FAILED);
    }, shutdownTimeoutMs);
    started.then(() => app.close()).then(() => {
      clearTimeout(deadline);
      app.logger.info('stopped');
      process.exit(startFailed ? EXIT.FAILED : EXIT.OK);
    }, (error: unknown) => {
      clearTimeout(deadline);
      app.logger.error('stopping failed', { error: error instanceof Error ? error.message : String(error) });
      process.exit(EXIT.FAILED);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  let url: string;
  try {
    const startup = app.start();
    started = startup.catch(() => undefined);
    url = await startup;
  } catch (error) {
    startFailed = true;
    const text = error instanceof JunctionError ? `${error.code}: ${error.message}` : describeStartFailure(error);
    process.stderr.write(`junction: could not start: ${text}\n`);
    await app.close().catch(() => undefined);
    process.exitCode = EXIT.FAILED;
    return undefined;
  } finally {
    starting = false;
  }
  return { ...app, url };
}

/** A start failure in words; a port in use says what to change rather than only what happened. */
export function describeStartFailure(error: unknown): string {
  const listen = error as NodeJS.ErrnoException & { address?: string; port?: number };
  if (listen?.code === 'EADDRINUSE' && listen.syscall === 'listen') {
    return `${String(listen.address)}:${String(listen.port)} is in use by another process. Stop that process, or give Junction `
      + 'another port: server.port in the configuration (the shipped configurations read it from PORT, e.g. PORT=8081).';
  }
  return String(error);
}

if (require.main === module) {
  void main();
}
