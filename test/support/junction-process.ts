import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { eventually } from './http';

const MAIN = path.join(__dirname, '..', '..', 'src', 'main.js');

/** How a spawned Junction process ended. */
export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * Junction run as a real process (dist/src/main.js), the way production runs it: it can be
 * killed with -9 or stopped with SIGTERM. Its log lines (JSON) are kept for assertions and
 * printed when a test wants to see them (JUNCTION_FAULT_DEBUG=1 prints them as they come).
 */
export class JunctionProcess {
  private readonly child: ChildProcess;
  private readonly output: string[] = [];
  private partial = '';
  readonly exited: Promise<Exit>;

  private constructor(configFile: string, role: string, readonly base: string | undefined) {
    this.child = spawn(process.execPath, [MAIN, '--config', configFile, '--role', role], { stdio: ['ignore', 'pipe', 'pipe'] });
    const collect = (chunk: Buffer): void => {
      const text = this.partial + chunk.toString('utf8');
      const lines = text.split('\n');
      this.partial = lines.pop() ?? '';
      for (const line of lines) {
        this.output.push(line);
        if (process.env.JUNCTION_FAULT_DEBUG) process.stderr.write(`[junction ${this.child.pid ?? '?'}] ${line}\n`);
      }
    };
    this.child.stdout?.on('data', collect);
    this.child.stderr?.on('data', collect);
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Starts Junction with `configFile` and `role`; with a `port`, waits until it answers on it. */
  static async start(configFile: string, role: 'all' | 'gateway' | 'worker', port?: number): Promise<JunctionProcess> {
    const proc = new JunctionProcess(configFile, role, port === undefined ? undefined : `http://127.0.0.1:${port}`);
    await eventually(async () => {
      if (!proc.running) throw new Error(`Junction exited while starting:\n${proc.tail(30)}`);
      return proc.lines().some((line) => line.includes('junction started')) ? true : undefined;
    }, 30_000, 50);
    return proc;
  }

  get pid(): number {
    return Number(this.child.pid);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Every line written so far. */
  lines(): readonly string[] {
    return this.output;
  }

  /** The log lines parsed (non-JSON lines skipped). */
  records(): Array<Record<string, unknown>> {
    return this.output.flatMap((line) => {
      try {
        const parsed: unknown = JSON.parse(line);
        return typeof parsed === 'object' && parsed !== null ? [parsed as Record<string, unknown>] : [];
      } catch {
        return [];
      }
    });
  }

  /** The last `n` lines, for failure messages. */
  tail(n: number): string {
    return this.output.slice(-n).join('\n');
  }

  /** Sends a signal; resolves when the process has exited (for SIGKILL and SIGTERM). */
  async kill(signal: 'SIGKILL' | 'SIGTERM'): Promise<Exit> {
    if (this.running) this.child.kill(signal);
    return this.exited;
  }

  /** Stops it if it still runs (SIGTERM, then SIGKILL after `graceMs`). */
  async stop(graceMs = 20_000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => { if (this.running) this.child.kill('SIGKILL'); }, graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
