import type { Envelope } from '../core/envelope';
import { JunctionError, toJunctionError, type SerializedError } from '../core/errors';
import { STAGES } from '../core/junction-metrics';
import { secondsSince } from '../core/metrics';
import type { Step, StepContext } from '../core/step';
import type { CompiledDelivery, CompiledRoute } from './compiled-route';
import { ParsedBodies } from './condition';

/** One stage of a run as the runner saw it. */
export interface TraceStage {
  /** `step:<name>` for the route's steps, `step:<endpoint>:<name>` for a recipient's own steps, `route` for the choice. */
  readonly stage: string;
  /** The body the stage produced. */
  readonly output?: string;
  readonly contentType?: string;
  /**
   * How long the stage took, precisely (performance.now()), in seconds: the stage histogram's
   * unit, whose buckets go below 1 ms. The transaction log and the reports show it in whole
   * milliseconds: {@link stageMilliseconds}.
   */
  readonly seconds: number;
  readonly error?: SerializedError;
  /** For `route`: the endpoints chosen. */
  readonly detail?: string;
}

/** What a run went through, stage by stage. */
export interface RunTrace {
  readonly stages: readonly TraceStage[];
}

/** A delivery the route decided on: which endpoint gets which message. */
export interface PlannedDelivery {
  readonly endpoint: string;
  readonly message: Envelope;
}

/** Called after each stage (the worker records it when the route captures every step). */
export type StageListener = (stage: TraceStage) => Promise<void>;

/** A step failure with the stage it happened in, so the log and the operator know where. */
export class StageFailure extends Error {
  constructor(readonly stage: string, readonly error: JunctionError) {
    super(error.message);
    this.name = 'StageFailure';
  }
}

/** The error with the route named in front, so a log line or a caller's fault says where it failed. */
function inRoute(routeId: string, error: JunctionError): JunctionError {
  if (error.message.startsWith('Route "')) return error;
  return new JunctionError(error.code, `Route "${routeId}": ${error.message}`, {
    retryable: error.retryable, violations: error.violations, details: { ...error.details }, cause: error.cause,
  });
}

/** A stage's time in whole milliseconds, as the transaction log stores it and reports show it. */
export function stageMilliseconds(stage: Pick<TraceStage, 'seconds'>): number {
  return Math.round(stage.seconds * 1000);
}

async function runSteps(steps: readonly Step[], prefix: string, input: Envelope, context: StepContext, trace: TraceStage[], listener?: StageListener): Promise<Envelope> {
  let current = input;
  for (const step of steps) {
    const stage = `${prefix}${step.name}`;
    const started = performance.now();
    try {
      current = await step.run(current, context);
    } catch (error) {
      const failure = inRoute(context.routeId, toJunctionError(error));
      trace.push({ stage, seconds: secondsSince(started), error: failure.toJSON() });
      throw new StageFailure(stage, failure);
    }
    const done: TraceStage = { stage, output: current.body, contentType: current.contentType, seconds: secondsSince(started) };
    trace.push(done);
    await listener?.(done);
  }
  return current;
}

function choose(route: CompiledRoute, message: Envelope): CompiledDelivery[] {
  const parsed = new ParsedBodies(message);
  const chosen = route.deliveries.filter((d) => !d.when || d.when(message, parsed));
  if (chosen.length === 0) {
    throw new JunctionError('JCT_ROUTE_NO_MATCH', `No recipient of route "${route.id}" matched the message (recipients: ${route.deliveries.map((d) => d.endpoint).join(', ')}).`);
  }
  if (route.pattern === 'request-reply' && chosen.length > 1) {
    throw new JunctionError('JCT_ROUTE_NO_MATCH', `Route "${route.id}" is request-reply but ${chosen.length} recipients matched (${chosen.map((d) => d.endpoint).join(', ')}); its conditions must pick exactly one.`);
  }
  return chosen;
}

/** Where a run starts when it resumes at a stage: the first common step to run, or one recipient from one of its steps. */
export interface ResumePoint {
  /** Index of the first of the route's own steps to run (their count: none). */
  readonly commonFrom: number;
  /** Resuming inside one recipient's part: only that recipient, from this step index (its step count: deliver at once). */
  readonly only?: { readonly delivery: CompiledDelivery; readonly stepFrom: number };
}

/**
 * Where a run resumed at `stage` starts (a replay "from the failed step"): `step:<name>` (a route
 * step), `route` (the choice of recipients), `step:<endpoint>:<name>` or `deliver:<endpoint>` (that
 * recipient only). Throws JCT_REPLAY_REFUSED for a stage the route does not have (any more).
 */
export function resumePoint(route: CompiledRoute, stage: string): ResumePoint {
  if (stage === STAGES.route) return { commonFrom: route.steps.length };
  const common = route.steps.findIndex((step) => `step:${step.name}` === stage);
  if (common >= 0) return { commonFrom: common };
  for (const delivery of route.deliveries) {
    if (stage === `deliver:${delivery.endpoint}`) return { commonFrom: route.steps.length, only: { delivery, stepFrom: delivery.steps.length } };
    const own = delivery.steps.findIndex((step) => `step:${delivery.endpoint}:${step.name}` === stage);
    if (own >= 0) return { commonFrom: route.steps.length, only: { delivery, stepFrom: own } };
  }
  throw new JunctionError('JCT_REPLAY_REFUSED', `Route "${route.id}" has no stage "${stage}" to resume at (its configuration changed?); replay from the original instead.`, {
    details: { reason: 'unknown-stage', stage },
  });
}

/**
 * The stage whose output is the input of `stage` in a run of `route` (what a replay "from the
 * failed step" starts with), or undefined when `stage`'s input is the message as it entered.
 */
export function stageBefore(route: CompiledRoute, stage: string): string | undefined {
  const point = resumePoint(route, stage);
  const lastCommon = point.commonFrom > 0 ? route.steps[point.commonFrom - 1] : undefined;
  const commonOutput = lastCommon ? `step:${lastCommon.name}` : undefined;
  if (!point.only) return commonOutput;
  const { delivery, stepFrom } = point.only;
  const previous = stepFrom > 0 ? delivery.steps[stepFrom - 1] : undefined;
  return previous ? `step:${delivery.endpoint}:${previous.name}` : commonOutput;
}

/**
 * Runs a route's chain for one message without delivering it: the route's steps, the choice of
 * recipients (content-based conditions), and each chosen recipient's own steps. Returns the
 * message each endpoint is to receive, and a trace of every stage. Used by the worker (which
 * then delivers), by `junction routes test` (which only shows) and by an operator's dry-run.
 * With `resumeAt` the run starts at that stage, `message` being its input (see {@link resumePoint}).
 * Throws {@link StageFailure}.
 */
export async function planRoute(route: CompiledRoute, message: Envelope, context: StepContext, listener?: StageListener, resumeAt?: string):
  Promise<{ deliveries: PlannedDelivery[]; trace: RunTrace }> {
  const trace: TraceStage[] = [];
  const point = resumeAt === undefined ? { commonFrom: 0 } : resumePoint(route, resumeAt);
  const common = await runSteps(route.steps.slice(point.commonFrom), 'step:', message, context, trace, listener);
  const deliveries: PlannedDelivery[] = [];
  if (point.only) {
    const { delivery, stepFrom } = point.only;
    const own = await runSteps(delivery.steps.slice(stepFrom), `step:${delivery.endpoint}:`, common, context, trace, listener);
    deliveries.push({ endpoint: delivery.endpoint, message: own });
    return { deliveries, trace: { stages: trace } };
  }
  const started = performance.now();
  let chosen: CompiledDelivery[];
  try {
    chosen = choose(route, common);
  } catch (error) {
    const failure = toJunctionError(error);
    trace.push({ stage: STAGES.route, seconds: secondsSince(started), error: failure.toJSON() });
    throw new StageFailure(STAGES.route, failure);
  }
  const choice: TraceStage = { stage: STAGES.route, seconds: secondsSince(started), detail: `to ${chosen.map((d) => d.endpoint).join(', ')}` };
  trace.push(choice);
  await listener?.(choice);
  for (const delivery of chosen) {
    const own = await runSteps(delivery.steps, `step:${delivery.endpoint}:`, common, context, trace, listener);
    deliveries.push({ endpoint: delivery.endpoint, message: own });
  }
  return { deliveries, trace: { stages: trace } };
}
