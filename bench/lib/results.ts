import type { LatencySummary } from './latency';

/** CPU seconds used during a measured span, by whom. */
export interface CpuUse {
  /** Junction's own processes (gateway and worker). */
  readonly junction: number;
  /** The baseline's own process (bare amqplib), when the point is a baseline. */
  readonly baseline: number;
  readonly rabbitmq: number | null;
  readonly mariadb: number | null;
  /** Backend and ERP simulator processes. */
  readonly backends: number;
  /** The benchmark's own process (the load generator). */
  readonly loadGenerator: number;
}

/** One measured point: a system, a payload size and a concurrency. */
export interface PointResult {
  /** `sync-rest-soap`, `async-orders`, `esb-direct`, `esb-cbr`, `esb-xslt`. */
  readonly scenario: string;
  /** `junction` or `baseline`. */
  readonly variant: 'junction' | 'baseline';
  /** What ran, in words: "Junction", "direct call to the ERP simulator", "bare amqplib". */
  readonly system: string;
  readonly payloadBytes: number;
  readonly concurrency: number;
  /** Messages completed in the measured span (answered, or delivered for asynchronous ones). */
  readonly messages: number;
  readonly errors: number;
  readonly errorSamples: readonly string[];
  readonly elapsedMs: number;
  readonly msgPerSec: number;
  /** Request-reply: the caller's latency. Asynchronous: from the send to the backend's receipt. */
  readonly latencyMs: LatencySummary;
  /** Asynchronous Junction points: the gateway's 202 latency. */
  readonly acceptLatencyMs?: LatencySummary;
  readonly cpuSeconds: CpuUse;
  /** CPU seconds per 1,000 messages: Junction's (or the baseline's own process's), the broker's, the database's. */
  readonly cpuPer1000: { readonly system: number | null; readonly rabbitmq: number | null; readonly mariadb: number | null };
}

/** A soak: memory of Junction's processes over time under a steady load. */
export interface SoakResult {
  readonly minutes: number;
  readonly concurrency: number;
  readonly messages: number;
  readonly msgPerSec: number;
  /**
   * Every sample: seconds since the start, resident memory, V8 heap in use and V8 heap after each
   * process's latest full collection (bytes, summed over Junction's processes; NaN, written as null,
   * before every process had one).
   */
  readonly samples: readonly { readonly atSeconds: number; readonly rssBytes: number; readonly heapUsedBytes: number; readonly heapAfterGcBytes: number }[];
  /** Mean RSS over the first and the last fifth of the run (after the first minute's warm-up). */
  readonly rssFirstBytes: number;
  readonly rssLastBytes: number;
  /** Mean heap after the latest full collection over the first and the last fifth: what the heap target judges. */
  readonly heapFirstBytes: number;
  readonly heapLastBytes: number;
  /** Mean heap in use (a sawtooth between collections) over the first and the last fifth, for information. */
  readonly heapUsedFirstBytes: number;
  readonly heapUsedLastBytes: number;
  /** Growth of the mean RSS from the first to the last fifth, in percent. */
  readonly rssGrowthPercent: number;
  readonly heapGrowthPercent: number;
}

/** How a target of the issue fared in this run. */
export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean | null;
}

/** The whole run, as written to bench/results/<run>/results.json. */
export interface BenchRun {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly mode: string;
  readonly machine: { readonly cpus: number; readonly loadAverageBefore: number; readonly loadAverageAfter: number; readonly node: string };
  readonly topology: string;
  readonly settings: { readonly warmupMs: number; readonly durationMs: number; readonly concurrency: readonly number[] };
  readonly points: readonly PointResult[];
  readonly targets: readonly TargetCheck[];
  readonly soak?: SoakResult;
}
