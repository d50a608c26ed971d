import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What scripts/services.sh wrote about the servers of THIS worktree (read again after a restart: pids change). */
export interface ServicesState {
  readonly rabbitPid: number;
  readonly dbPid: number;
}

function servicesScript(): string {
  const script = process.env.JUNCTION_TEST_SERVICES_SCRIPT;
  if (!script) {
    throw new Error('JUNCTION_TEST_SERVICES_SCRIPT is not set: the fault-injection tests kill and restart the servers '
      + 'that scripts/services.sh started for this run (`npm test` does that); they cannot run against external servers.');
  }
  return script;
}

function envFile(): string {
  const dir = process.env.JUNCTION_SERVICES_DIR;
  if (!dir) throw new Error('JUNCTION_SERVICES_DIR is not set: run the suite with `npm test` (scripts/services.sh).');
  return path.join(dir, 'env');
}

/** Reads the current pids of RabbitMQ and MariaDB from the env file scripts/services.sh keeps up to date. */
export function servicesState(): ServicesState {
  const values = new Map<string, string>();
  for (const line of readFileSync(envFile(), 'utf8').split('\n')) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line);
    if (match) values.set(String(match[1]), String(match[2]).replace(/^"|"$/g, ''));
  }
  const pid = (name: string): number => {
    const value = Number(values.get(name));
    if (!Number.isInteger(value) || value <= 1) throw new Error(`${name} is missing from ${envFile()}`);
    return value;
  };
  return { rabbitPid: pid('JUNCTION_TEST_RABBIT_PID'), dbPid: pid('JUNCTION_TEST_DB_PID') };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitGone(pid: number): Promise<void> {
  for (let i = 0; i < 200 && alive(pid); i += 1) await new Promise((r) => setTimeout(r, 25));
}

/** The state letter of each thread of `pid` (`/proc/<pid>/task/<tid>/stat`: 'T' is stopped); [] when it is gone. */
function threadStates(pid: number): string[] {
  try {
    return readdirSync(`/proc/${pid}/task`).map((tid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      } catch {
        return 'gone';
      }
    });
  } catch {
    return [];
  }
}

/**
 * SIGSTOP, then waits until every thread of `pid` is stopped: kill(2) returns before the other
 * threads have been stopped, and on a loaded virtual machine a thread on another vCPU may still
 * answer a query meanwhile. Throws, naming the states seen, if the process is not stopped in 5 s.
 */
export async function freeze(pid: number): Promise<void> {
  process.kill(pid, 'SIGSTOP');
  let states = threadStates(pid);
  for (let i = 0; i < 200 && !(states.length > 0 && states.every((s) => s === 'T' || s === 'gone')); i += 1) {
    await new Promise((r) => setTimeout(r, 25));
    states = threadStates(pid);
  }
  if (!(states.length > 0 && states.every((s) => s === 'T' || s === 'gone'))) {
    throw new Error(`pid ${pid} is not stopped 5 s after SIGSTOP (thread states: ${states.join('') || 'no such process'})`);
  }
}

/** Sends `signal` to this run's RabbitMQ (beam.smp); SIGKILL waits until it is gone, SIGSTOP until it is stopped. */
export async function signalRabbit(signal: 'SIGKILL' | 'SIGSTOP' | 'SIGCONT'): Promise<void> {
  const { rabbitPid } = servicesState();
  if (signal === 'SIGSTOP') return freeze(rabbitPid);
  process.kill(rabbitPid, signal);
  if (signal === 'SIGKILL') await waitGone(rabbitPid);
}

/** kill -9 of this run's MariaDB (mariadbd); waits until it is gone. */
export async function killDb(): Promise<void> {
  const { dbPid } = servicesState();
  process.kill(dbPid, 'SIGKILL');
  await waitGone(dbPid);
}

/** Restarts RabbitMQ (same port, same data) after a kill -9: scripts/services.sh restart-rabbit, about 6-10 s. */
export async function restartRabbit(): Promise<void> {
  await run('bash', [servicesScript(), 'restart-rabbit'], { timeout: 120_000 });
}

/** Restarts MariaDB (same port, same data: InnoDB crash recovery) after a kill -9: about 1-2 s. */
export async function restartDb(): Promise<void> {
  await run('bash', [servicesScript(), 'restart-db'], { timeout: 120_000 });
}
