import type { Envelope } from '../core/envelope';
import { JunctionError, toJunctionError, type SerializedError } from '../core/errors';
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
  readonly durationMs: number;
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

async function runSteps(steps: readonly Step[], prefix: string, input: Envelope, context: StepContext, trace: TraceStage[], listener?: StageListener): Promise<Envelope> {
  let current = input;
  for (const step of steps) {
    const stage = `${prefix}${step.name}`;
    const started = Date.now();
    try {
      current = await step.run(current, context);
    } catch (error) {
      const failure = inRoute(context.routeId, toJunctionError(error));
      trace.push({ stage, durationMs: Date.now() - started, error: failure.toJSON() });
      throw new StageFailure(stage, failure);
    }
    const done: TraceStage = { stage, output: current.body, contentType: current.contentType, durationMs: Date.now() - started };
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

/**
 * Runs a route's chain for one message without delivering it: the route's steps, the choice of
 * recipients (content-based conditions), and each chosen recipient's own steps. Returns the
 * message each endpoint is to receive, and a trace of every stage. Used by the worker (which
 * then delivers) and by `junction routes test` (which only shows). Throws {@link StageFailure}.
 */
export async function planRoute(route: CompiledRoute, message: Envelope, context: StepContext, listener?: StageListener):
  Promise<{ deliveries: PlannedDelivery[]; trace: RunTrace }> {
  const trace: TraceStage[] = [];
  const common = await runSteps(route.steps, 'step:', message, context, trace, listener);
  const started = Date.now();
  let chosen: CompiledDelivery[];
  try {
    chosen = choose(route, common);
  } catch (error) {
    const failure = toJunctionError(error);
    trace.push({ stage: 'route', durationMs: Date.now() - started, error: failure.toJSON() });
    throw new StageFailure('route', failure);
  }
  const choice: TraceStage = { stage: 'route', durationMs: Date.now() - started, detail: `to ${chosen.map((d) => d.endpoint).join(', ')}` };
  trace.push(choice);
  await listener?.(choice);
  const deliveries: PlannedDelivery[] = [];
  for (const delivery of chosen) {
    const own = await runSteps(delivery.steps, `step:${delivery.endpoint}:`, common, context, trace, listener);
    deliveries.push({ endpoint: delivery.endpoint, message: own });
  }
  return { deliveries, trace: { stages: trace } };
}
