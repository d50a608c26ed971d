import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Endpoint, RequestPreview } from '../core/endpoint';
import { describeError, JunctionError, toJunctionError, type SerializedError } from '../core/errors';
import type { MessagePattern } from '../core/envelope';
import { planRoute, StageFailure, stageMilliseconds, type PlannedDelivery, type TraceStage } from '../routes/route-runner';
import { buildOfflineOrStop, closeSteps, configFile, readySteps, stepsOf } from './offline-build';
import type { CliLogger } from './cli-logger';
import { CLI_EXIT, CliStop, stopWith } from './exit-codes';
import { enterSample, parseHeaders, sampleContentType, type EntryResult } from './sample-message';

/** What `junction routes test` is asked to do. */
export interface RouteTestOptions {
  readonly routeId: string;
  readonly sampleFile: string;
  /** `--config`; default as `junction start`. */
  readonly config?: string;
  /** `--content-type`; default from the sample's extension. */
  readonly contentType?: string;
  /** `--header name=value`, repeatable: envelope headers (conditions may read them). */
  readonly headers: readonly string[];
  /** `--no-entry-check` turns off what the entry checks before accepting (JSON syntax, the REST entry's JSON Schema). */
  readonly entryCheck: boolean;
}

/** An error as the report shows it: its plain form, plus the cause's text for an unexpected one. */
export type ReportedError = SerializedError & { readonly cause?: string };

/** One stage the sample went through: `entry`, `step:<name>`, `route`, `step:<endpoint>:<name>`, `deliver:<endpoint>`. */
export interface ReportStage {
  readonly stage: string;
  /** The body the stage produced (exact text). */
  readonly output?: string;
  readonly contentType?: string;
  readonly durationMs: number;
  /** What the stage did, in words (the entry's checks, the recipients chosen). */
  readonly detail?: string;
  readonly error?: ReportedError;
}

/** A recipient the route chose, the message it would get and the request its endpoint would make. */
export interface ReportDelivery {
  readonly endpoint: string;
  readonly message: { readonly contentType: string; readonly body: string };
  /** Exactly what the endpoint would send (endpoint.preview); absent when building it failed. */
  readonly request?: RequestPreview;
  readonly error?: ReportedError;
}

/** The outcome of a route test: everything the human and the JSON output show. */
export interface RouteTestReport {
  readonly ok: boolean;
  readonly route: string;
  readonly pattern: MessagePattern;
  readonly config: string;
  readonly sample: { readonly file: string; readonly contentType: string };
  /** The envelope the entry made (its id is the one the requests carry). */
  readonly message?: {
    readonly id: string;
    readonly correlationId: string;
    readonly source: string;
    readonly businessKey?: string;
    readonly headers: Readonly<Record<string, string>>;
  };
  readonly stages: readonly ReportStage[];
  readonly deliveries: readonly ReportDelivery[];
  /** The stage that failed and why; absent when the test passed. */
  readonly failure?: { readonly stage: string; readonly error: ReportedError };
  /** Parts of the route that cannot run offline (reply steps need the backend's answer). */
  readonly notRun: readonly string[];
  /** Always false: a route test delivers nothing. */
  readonly delivered: false;
}

function reported(error: unknown): ReportedError {
  const failure = toJunctionError(error);
  const cause = failure.code === 'JCT_INTERNAL' ? (failure.cause ?? (error instanceof JunctionError ? undefined : error)) : undefined;
  return { ...failure.toJSON(), ...(cause !== undefined ? { cause: describeError(cause) } : {}) };
}

function readSample(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : 'it cannot be read';
    throw new CliStop(CLI_EXIT.USAGE, `Sample file ${path.resolve(file)} cannot be loaded: ${reason}.`);
  }
}

/**
 * Runs one route for a sample message, offline: builds the configuration as a start would
 * (without connecting anything), wraps the sample as the route's entry would, runs the chain
 * with the shared route runner (steps, recipient choice, each recipient's steps) and asks each
 * chosen endpoint for the exact request it would make (start(), preview(), close()). Nothing is
 * sent, recorded or published. Throws CliStop (exit 2) for configuration and usage problems;
 * a failing stage is in the report.
 */
export async function runRouteTest(options: RouteTestOptions, logger: CliLogger): Promise<RouteTestReport> {
  const file = configFile(options.config);
  const contentType = sampleContentType(options.sampleFile, options.contentType);
  const headers = parseHeaders(options.headers);
  const body = readSample(options.sampleFile);
  const { loaded, app } = buildOfflineOrStop(file, 'worker', logger);
  const route = app.routes.routes.find((r) => r.id === options.routeId);
  if (!route) {
    const known = app.routes.routes.map((r) => r.id).join(', ') || 'none';
    throw new CliStop(CLI_EXIT.USAGE, `Route "${options.routeId}" is not defined in ${loaded.file} (routes: ${known}).`);
  }
  const base = {
    route: route.id, pattern: route.pattern, config: loaded.file,
    sample: { file: path.resolve(options.sampleFile), contentType },
  };
  const tail = {
    notRun: route.replySteps.length > 0 ? [`reply steps (${route.replySteps.map((s) => s.name).join(', ')}): they run on the endpoint's answer`] : [],
    delivered: false as const,
  };
  const steps = stepsOf(loaded, route);
  const started: Endpoint[] = [];
  try {
    try {
      await readySteps(loaded, steps);
    } catch (error) {
      throw stopWith(CLI_EXIT.USAGE, error);
    }
    const stages: ReportStage[] = [];
    const fail = (stage: string, error: unknown, durationMs: number, extra: Partial<RouteTestReport> = {}): RouteTestReport => {
      const shown = reported(error);
      stages.push({ stage, durationMs, error: shown });
      return { ok: false, ...base, ...extra, stages, deliveries: [], failure: { stage, error: shown }, ...tail };
    };

    let at = Date.now();
    let entry: EntryResult;
    try {
      entry = enterSample(route, body, contentType, headers, options.entryCheck);
    } catch (error) {
      return fail('entry', error, Date.now() - at);
    }
    const { message } = entry;
    const shownMessage = {
      id: message.id, correlationId: message.correlationId, source: message.source, headers: message.headers,
      ...(message.businessKey !== undefined ? { businessKey: message.businessKey } : {}),
    };
    stages.push({ stage: 'entry', output: message.body, contentType: message.contentType, durationMs: Date.now() - at, detail: `checked ${entry.checked}` });

    at = Date.now();
    const record = async (stage: TraceStage): Promise<void> => {
      stages.push({
        stage: stage.stage, ...(stage.output !== undefined ? { output: stage.output } : {}),
        ...(stage.contentType !== undefined ? { contentType: stage.contentType } : {}),
        durationMs: stageMilliseconds(stage), // the report shows whole milliseconds
        ...(stage.error !== undefined ? { error: stage.error } : {}), ...(stage.detail !== undefined ? { detail: stage.detail } : {}),
      });
      at = Date.now();
    };
    let planned: PlannedDelivery[];
    try {
      planned = (await planRoute(route, message, { routeId: route.id, logger, original: message }, record)).deliveries;
    } catch (error) {
      const stage = error instanceof StageFailure ? error.stage : 'route';
      return fail(stage, error instanceof StageFailure ? error.error : error, Date.now() - at, { message: shownMessage });
    }

    const deliveries: ReportDelivery[] = [];
    let failure: RouteTestReport['failure'];
    for (const delivery of planned) {
      const shown = { endpoint: delivery.endpoint, message: { contentType: delivery.message.contentType, body: delivery.message.body } };
      const stage = `deliver:${delivery.endpoint}`;
      at = Date.now();
      try {
        const endpoint = app.routes.endpoints.get(delivery.endpoint);
        if (!endpoint) throw new JunctionError('JCT_INTERNAL', `Endpoint "${delivery.endpoint}" is not built`);
        started.push(endpoint);
        await endpoint.start();
        const request = await endpoint.preview(delivery.message);
        deliveries.push({ ...shown, request });
        stages.push({ stage, durationMs: Date.now() - at, detail: `${request.method} ${request.url} (previewed, not sent)` });
      } catch (error) {
        const shownError = reported(error);
        deliveries.push({ ...shown, error: shownError });
        stages.push({ stage, durationMs: Date.now() - at, error: shownError });
        failure ??= { stage, error: shownError };
      }
    }
    return { ok: failure === undefined, ...base, message: shownMessage, stages, deliveries, ...(failure ? { failure } : {}), ...tail };
  } finally {
    await Promise.allSettled(started.map((e) => e.close()));
    await closeSteps(steps);
  }
}

/** The exit code of a finished test: 0 passed; 2 when an endpoint's configuration failed it (a WSDL missing); 1 otherwise. */
export function routeTestExitCode(report: RouteTestReport): number {
  if (!report.failure) return CLI_EXIT.OK;
  return report.failure.stage.startsWith('deliver:') && report.failure.error.code.startsWith('JCT_CONFIG_') ? CLI_EXIT.USAGE : CLI_EXIT.FAILED;
}
