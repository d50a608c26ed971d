import { Pool } from 'undici';
import { preciseNow } from './clock';
import { LatencyRecorder } from './latency';

/** One request the load generator sends. */
export interface LoadRequest {
  readonly method: 'GET' | 'POST' | 'PUT';
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Options of {@link runClosedLoop}. */
export interface LoadOptions {
  /** Origin, e.g. http://127.0.0.1:8080. */
  readonly origin: string;
  /** Clients, each sending its next request when the previous one is answered. */
  readonly concurrency: number;
  /** How long to send. */
  readonly durationMs: number;
  /** Stop after this many requests even if time is left (quick runs). */
  readonly maxRequests?: number;
  /** The i-th request (i counts from 0 across all clients). */
  readonly request: (i: number) => LoadRequest;
  /** The status a successful answer has. */
  readonly expectStatus: number;
  /** Called with each successful answer and when its request was sent (epoch ms). */
  readonly onAnswer?: (headers: Record<string, string | string[] | undefined>, body: string, sentAt: number) => void;
}

/** What a closed-loop run measured. */
export interface LoadResult {
  readonly completed: number;
  readonly errors: number;
  /** The first few unexpected answers, to say what went wrong. */
  readonly errorSamples: readonly string[];
  readonly elapsedMs: number;
  readonly latency: LatencyRecorder;
}

/**
 * A closed-loop HTTP load: `concurrency` clients over as many keep-alive connections, each sending
 * its next request as soon as the previous is answered, for `durationMs`. Latency is measured from
 * the request's start to the end of its answer's body.
 */
export async function runClosedLoop(options: LoadOptions): Promise<LoadResult> {
  const pool = new Pool(options.origin, { connections: options.concurrency, pipelining: 1, keepAliveTimeout: 60_000 });
  const latency = new LatencyRecorder();
  const errorSamples: string[] = [];
  let completed = 0;
  let errors = 0;
  let issued = 0;
  const started = performance.now();
  const deadline = started + options.durationMs;
  const client = async (): Promise<void> => {
    while (performance.now() < deadline && (options.maxRequests === undefined || issued < options.maxRequests)) {
      const request = options.request(issued);
      issued += 1;
      const sentAt = preciseNow();
      const t0 = performance.now();
      try {
        const response = await pool.request({
          path: request.path, method: request.method, headers: request.headers, body: request.body,
        });
        const body = await response.body.text();
        const ms = performance.now() - t0;
        if (response.statusCode === options.expectStatus) {
          completed += 1;
          latency.record(ms);
          options.onAnswer?.(response.headers, body, sentAt);
        } else {
          errors += 1;
          if (errorSamples.length < 5) errorSamples.push(`HTTP ${response.statusCode}: ${body.slice(0, 300)}`);
        }
      } catch (error) {
        errors += 1;
        if (errorSamples.length < 5) errorSamples.push(String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, client));
  const elapsedMs = performance.now() - started;
  await pool.close();
  return { completed, errors, errorSamples, elapsedMs, latency };
}
