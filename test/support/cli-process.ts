import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { eventually } from './http';

/** One JSON log line of a Junction process. */
export type JsonLogLine = Record<string, unknown> & { level: string; message: string; timestamp: string };

/**
 * A Junction process started the way an operator starts it (`junction start --role ... --config
 * ...`), with its stdout kept line by line so a test can read its JSON logs.
 */
export class CliJunctionProcess {
  readonly lines: string[] = [];
  private readonly child: ChildProcess;
  private partial = '';
  private stderr = '';

  constructor(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, ['dist/src/cli/main.js', 'start', ...args], {
      env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (chunk: Buffer) => {
      const text = this.partial + chunk.toString('utf8');
      const parts = text.split('\n');
      this.partial = parts.pop() ?? '';
      this.lines.push(...parts.filter((l) => l.length > 0));
    });
    this.child.stderr?.on('data', (chunk: Buffer) => { this.stderr += chunk.toString('utf8'); });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Every stdout line parsed as JSON; throws naming the first line that is not a JSON log line. */
  json(): JsonLogLine[] {
    return this.lines.map((line) => {
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        throw new Error(`not a JSON log line: ${line}`);
      }
      const record = value as JsonLogLine;
      if (typeof record.level !== 'string' || typeof record.message !== 'string' || typeof record.timestamp !== 'string') {
        throw new Error(`a log line without level, message or timestamp: ${line}`);
      }
      return record;
    });
  }

  /** Waits for the `junction started` line and resolves the base URL it names. */
  async started(timeoutMs = 30_000): Promise<string> {
    return eventually(async () => {
      if (this.child.exitCode !== null) throw new Error(`junction exited with ${this.child.exitCode}: ${this.stderr}${this.lines.join('\n')}`);
      const line = this.lines.find((l) => l.includes('"junction started"'));
      return line === undefined ? undefined : String((JSON.parse(line) as { url: string }).url);
    }, timeoutMs, 50);
  }

  /** SIGTERM, then waits for the exit (SIGKILL after `graceMs`). */
  async stop(graceMs = 15_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}

/** What one `junction <args>` run left: exit code, stdout, stderr. */
export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `junction <args>` (dist/src/cli/main.js) to its end, with only PATH and `env` in its environment. */
export function runJunction(args: readonly string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 30_000): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['dist/src/cli/main.js', ...args], { env: { PATH: process.env.PATH, ...env }, timeout: timeoutMs }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}
