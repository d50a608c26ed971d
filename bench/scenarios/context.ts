import type { Servers } from '../lib/services';
import type { Stack } from '../lib/stack';

/** What every scenario runs with. */
export interface RunContext {
  readonly repo: string;
  readonly servers: Servers;
  readonly stack: Stack;
  readonly outDir: string;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** Quick (smoke) runs stop each closed loop after this many requests. */
  readonly maxRequests?: number;
  readonly log: (line: string) => void;
}

/** One point to measure. */
export interface Point {
  readonly concurrency: number;
  readonly payloadBytes: number;
}
