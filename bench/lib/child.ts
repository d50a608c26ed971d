import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `probe` every 50 ms until it resolves true, or throws after `timeoutMs` naming `what`. */
export async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** True when GET `url` answers 200. */
export async function answers(url: string): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
  await response.arrayBuffer();
  return response.status === 200;
}

/**
 * A Node.js process the benchmark starts: its stdout and stderr go straight to a log file (the
 * benchmark's process never copies its output), so its CPU time is its own.
 */
export class NodeChild {
  readonly process: ChildProcess;
  /** The HTTP address it serves, when it serves one. */
  url: string | undefined;
  private exited: Promise<void>;

  constructor(readonly name: string, script: string, args: readonly string[], logFile: string, env: NodeJS.ProcessEnv = {}, nodeArgs: readonly string[] = []) {
    const fd = openSync(logFile, 'a');
    try {
      this.process = spawn(process.execPath, [...nodeArgs, script, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
    this.exited = new Promise((resolve) => this.process.once('exit', () => resolve()));
  }

  get pid(): number {
    const { pid } = this.process;
    if (pid === undefined) throw new Error(`${this.name} did not start`);
    return pid;
  }

  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  /** Waits until `probe` holds; fails at once if the process exits first. */
  async ready(probe: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
    await waitFor(this.name, async () => {
      if (!this.running) throw new Error(`${this.name} exited (code ${String(this.process.exitCode)}) while starting; see its log`);
      return probe();
    }, timeoutMs).catch((error: unknown) => {
      if (!this.running) throw new Error(`${this.name} exited (code ${String(this.process.exitCode)}) while starting; see its log`);
      throw error;
    });
  }

  /** SIGTERM, SIGKILL after `graceMs`; resolves when it has exited. */
  async stop(graceMs = 15_000): Promise<void> {
    if (!this.running) return;
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
