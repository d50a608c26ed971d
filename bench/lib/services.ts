import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The RabbitMQ and MariaDB the benchmark runs against. */
export interface Servers {
  readonly amqpUrl: string;
  readonly dbUrl: string;
  /** Their server processes, when known (for CPU accounting): RabbitMQ's beam.smp and mariadbd. */
  readonly rabbitPid?: number;
  readonly dbPid?: number;
  /** How they came: set by the caller, started here, or already running from scripts/services.sh. */
  readonly origin: 'external' | 'started' | 'reused';
  /** Stops them if this run started them. */
  stop(): void;
}

/** Reads scripts/services.sh's env file (KEY=value or KEY="value" lines). */
function readEnvFile(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!match) continue;
    const [, key, raw] = match as unknown as [string, string, string];
    out[key] = raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw;
  }
  return out;
}

function pidOf(value: string | undefined): number | undefined {
  const pid = Number(value);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * RabbitMQ and MariaDB, the way the test suite gets them: the servers named by
 * JUNCTION_TEST_AMQP_URL and JUNCTION_TEST_DB_URL when both are set, otherwise
 * `scripts/services.sh up` (installs them with apt-get where missing, starts them on loopback and
 * provisions users; needs root, like `npm test`). Progress goes to stderr.
 */
export function ensureServers(repo: string, log: (line: string) => void): Servers {
  const env = process.env;
  if (env.JUNCTION_TEST_AMQP_URL && env.JUNCTION_TEST_DB_URL) {
    log('using the servers named by JUNCTION_TEST_AMQP_URL and JUNCTION_TEST_DB_URL');
    return {
      amqpUrl: env.JUNCTION_TEST_AMQP_URL, dbUrl: env.JUNCTION_TEST_DB_URL,
      ...(pidOf(env.JUNCTION_TEST_RABBIT_PID) ? { rabbitPid: pidOf(env.JUNCTION_TEST_RABBIT_PID) } : {}),
      ...(pidOf(env.JUNCTION_TEST_DB_PID) ? { dbPid: pidOf(env.JUNCTION_TEST_DB_PID) } : {}),
      origin: 'external', stop: () => undefined,
    };
  }
  const script = path.join(repo, 'scripts', 'services.sh');
  log('starting RabbitMQ and MariaDB with scripts/services.sh (installs them with apt-get if missing)');
  const result = execFileSync('bash', [script, 'up'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop();
  const file = execFileSync('bash', [script, 'env'], { encoding: 'utf8' }).trim();
  const vars = readEnvFile(file);
  const origin = result === 'started' ? 'started' : 'reused';
  const amqpUrl = vars.JUNCTION_TEST_AMQP_URL;
  const dbUrl = vars.JUNCTION_TEST_DB_URL;
  if (!amqpUrl || !dbUrl) throw new Error(`scripts/services.sh wrote no URLs to ${file}`);
  return {
    amqpUrl, dbUrl, origin,
    ...(pidOf(vars.JUNCTION_TEST_RABBIT_PID) ? { rabbitPid: pidOf(vars.JUNCTION_TEST_RABBIT_PID) } : {}),
    ...(pidOf(vars.JUNCTION_TEST_DB_PID) ? { dbPid: pidOf(vars.JUNCTION_TEST_DB_PID) } : {}),
    stop: () => {
      if (origin !== 'started') return;
      log('stopping the RabbitMQ and MariaDB this run started');
      execFileSync('bash', [script, 'down'], { stdio: ['ignore', 'ignore', 'inherit'] });
    },
  };
}
