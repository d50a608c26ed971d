import type { RequestPreview } from '../core/endpoint';
import { endpointOfStage } from '../core/error-fingerprint';
import { JunctionError, toJunctionError, type SerializedError } from '../core/errors';
import type { Logger } from '../core/logger';
import type { MessageRecord, StageRecord } from '../core/transaction-log';
import type { CompiledRoute, CompiledRoutes } from '../routes/compiled-route';
import { planRoute, StageFailure, type PlannedDelivery, type TraceStage } from '../routes/route-runner';
import type { Masker } from '../security/masking/masker';
import { bodiesOf, stageContentType, ViewMasking, type TypedBody } from './admin-masking';
import { checkEditedEntry, ENTRY_STAGE, planReplay, type ReplayPlan, type ReplayRequest } from './replay-plan';
import { diffBodies, type BodyDiff } from './text-diff';

/**
 * How a stage of the dry-run compares with the same stage of the original run. `untried`: a
 * delivery that failed in the original run and whose request can now be built — a dry-run never
 * sends it, so whether the backend now takes it is not known (never `fixed`).
 */
export type StageChange = 'same' | 'changed' | 'fixed' | 'untried' | 'still-failing' | 'now-failing' | 'new' | 'not-run' | 'not-captured' | 'skipped';

/** One side of a compared stage. */
export interface StageSide {
  readonly ok: boolean;
  readonly output?: string;
  readonly contentType?: string;
  readonly detail?: string;
  readonly error?: SerializedError;
}

/** A stage of the dry-run next to the original run's. */
export interface DryRunStage {
  readonly stage: string;
  readonly original?: StageSide;
  readonly dryRun?: StageSide;
  readonly change: StageChange;
  /** Original output → dry-run output, pretty-printed, when both exist. */
  readonly diff?: BodyDiff;
}

/** The request an endpoint would make, or why it could not be built; `skipped` for recipients the original reached. */
export interface DryRunDelivery {
  readonly endpoint: string;
  readonly skipped: boolean;
  readonly request?: RequestPreview;
  readonly error?: SerializedError;
}

/** What a dry-run found: would the replay deliver, and how each stage differs from the original run. */
export interface DryRunReport {
  readonly messageId: string;
  readonly routeId: string;
  readonly from: ReplayPlan['from'];
  readonly resumeAt?: string;
  readonly edited: boolean;
  /**
   * `would-deliver`: as far as Junction can tell — the steps pass and every request is built; the
   * backends are not called, so one that refused the original may refuse the replay too.
   */
  readonly verdict: 'would-deliver' | 'would-fail';
  readonly failure?: { readonly stage: string; readonly error: SerializedError };
  readonly stages: readonly DryRunStage[];
  readonly deliveries: readonly DryRunDelivery[];
  /** Always false: a dry-run delivers, records and publishes nothing. */
  readonly delivered: false;
}

const ROUTE_STAGE = /^(step:|route$|deliver:)/;

/** The original run's last record of each route stage (latest attempt wins). */
function originalStages(record: MessageRecord): Map<string, StageRecord> {
  const map = new Map<string, StageRecord>();
  for (const s of record.stages) if (ROUTE_STAGE.test(s.stage)) map.set(s.stage, s);
  return map;
}

/** A side as operators see it: output, detail and error masked. */
function shown(side: StageSide, contentType: string, view: ViewMasking): StageSide {
  return {
    ...side,
    ...(side.output !== undefined ? { output: view.payload(side.output, contentType) } : {}),
    ...(side.detail !== undefined ? { detail: view.text(side.detail) } : {}),
    ...(side.error !== undefined ? { error: view.error(side.error) } : {}),
  };
}

/**
 * Compares a stage of the dry-run with the original run's. Whether it changed is decided on the
 * real outputs; what is shown — the outputs and their diff — is masked (a change only in a masked
 * field shows as `changed` with no changed line).
 */
function compare(record: MessageRecord, stage: string, original: StageRecord | undefined, dry: StageSide | undefined, view: ViewMasking): DryRunStage {
  const side: StageSide | undefined = original && {
    ok: original.error === undefined && original.status !== 'FAILED',
    ...(original.payload !== undefined ? { output: original.payload } : {}),
    ...(original.detail !== undefined ? { detail: original.detail } : {}),
    ...(original.error !== undefined ? { error: original.error } : {}),
  };
  const originalType = original ? stageContentType(record, original.detail) : record.contentType;
  const base = {
    stage, ...(side ? { original: shown(side, originalType, view) } : {}), ...(dry ? { dryRun: shown(dry, dry.contentType ?? originalType, view) } : {}),
  };
  if (!dry) return { ...base, change: 'not-run' };
  if (!side) return { ...base, change: 'new' };
  if (!side.ok && dry.ok) return { ...base, change: endpointOfStage(stage) !== undefined ? 'untried' : 'fixed' };
  if (!side.ok) return { ...base, change: 'still-failing' };
  if (!dry.ok) return { ...base, change: 'now-failing' };
  if (stage === 'route') return { ...base, change: side.detail === dry.detail ? 'same' : 'changed' };
  if (side.output === undefined) return { ...base, change: 'not-captured' };
  const contentType = side.detail !== undefined && side.detail.includes('/') ? side.detail : dry.contentType;
  const changed = diffBodies(side.output, contentType, dry.output, dry.contentType).changed;
  const diff = diffBodies(base.original?.output, contentType, base.dryRun?.output, dry.contentType);
  return { ...base, change: changed ? 'changed' : 'same', diff: { ...diff, changed } };
}

/**
 * Runs a message through its route as it is configured now — the same route runner the worker
 * uses, from the replay's starting point — and asks each chosen endpoint for the request it would
 * make, without sending, recording or publishing anything. Each stage is compared with the
 * original run's (its captured output and error). What the report shows is masked with `masker`
 * (payloads, diffs, errors, request previews); an edited payload that still holds the mask is
 * refused as a replay of it would be (JCT_REPLAY_PAYLOAD_MASKED).
 */
export async function dryRun(record: MessageRecord, routes: CompiledRoutes, request: ReplayRequest, logger: Logger, masker: Masker): Promise<DryRunReport> {
  const route = findRoute(routes, record.routeId);
  const plan = planReplay(record, route, request, masker);
  const ran: { stage: string; side: StageSide }[] = [];
  const listener = async (stage: TraceStage): Promise<void> => {
    ran.push({ stage: stage.stage, side: {
      ok: true, ...(stage.output !== undefined ? { output: stage.output } : {}),
      ...(stage.contentType !== undefined ? { contentType: stage.contentType } : {}), ...(stage.detail !== undefined ? { detail: stage.detail } : {}),
    } });
  };
  let planned: PlannedDelivery[] = [];
  let failure: DryRunReport['failure'];
  try {
    // A payload the operator gave passes the REST entry first, as the replay checks it (replay-plan.ts).
    if (request.payload !== undefined) {
      try {
        checkEditedEntry(route, plan);
      } catch (error) {
        throw new StageFailure(ENTRY_STAGE, toJunctionError(error));
      }
    }
    planned = (await planRoute(route, plan.envelope, { routeId: route.id, logger, original: plan.envelope }, listener, plan.resumeAt)).deliveries;
  } catch (error) {
    const failed = error instanceof StageFailure ? error : new StageFailure('processing', toJunctionError(error));
    failure = { stage: failed.stage, error: failed.error.toJSON() };
    ran.push({ stage: failed.stage, side: { ok: false, error: failure.error } });
  }
  const deliveries: DryRunDelivery[] = [];
  for (const delivery of planned) {
    const stage = `deliver:${delivery.endpoint}`;
    if (plan.skipped.includes(delivery.endpoint)) {
      deliveries.push({ endpoint: delivery.endpoint, skipped: true });
      continue;
    }
    try {
      const endpoint = routes.endpoints.get(delivery.endpoint);
      if (!endpoint) throw new JunctionError('JCT_INTERNAL', `Endpoint "${delivery.endpoint}" is not built`);
      const preview = await endpoint.preview(delivery.message);
      deliveries.push({ endpoint: delivery.endpoint, skipped: false, request: preview });
      ran.push({ stage, side: { ok: true, output: delivery.message.body, contentType: delivery.message.contentType, detail: `${preview.method} ${preview.url} (previewed, not sent)` } });
    } catch (error) {
      const shown = toJunctionError(error).toJSON();
      deliveries.push({ endpoint: delivery.endpoint, skipped: false, error: shown });
      ran.push({ stage, side: { ok: false, error: shown } });
      failure ??= { stage, error: shown };
    }
  }
  // Everything sensitive the message, the edit and this run hold is masked wherever it shows.
  const produced: TypedBody[] = ran.flatMap((r) => (r.side.output === undefined ? [] : [{ text: r.side.output, contentType: r.side.contentType ?? plan.envelope.contentType }]));
  const view = ViewMasking.of(masker, [...bodiesOf(record), { text: plan.envelope.body, contentType: plan.envelope.contentType }, ...produced]);
  const original = originalStages(record);
  const compared: DryRunStage[] = ran.map((r) => compare(record, r.stage, original.get(r.stage), r.side, view));
  for (const d of deliveries.filter((x) => x.skipped)) {
    const stage = `deliver:${d.endpoint}`;
    const before = original.get(stage);
    compared.push({ stage, ...(before ? { original: { ok: true, ...(before.payload !== undefined ? { output: view.payload(before.payload, stageContentType(record, before.detail)) } : {}) } } : {}), change: 'skipped' });
  }
  for (const [stage, rec] of original) if (!compared.some((c) => c.stage === stage)) compared.push(compare(record, stage, rec, undefined, view));
  return {
    messageId: record.id, routeId: route.id, from: plan.from, ...(plan.resumeAt ? { resumeAt: plan.resumeAt } : {}), edited: plan.edited,
    verdict: failure ? 'would-fail' : 'would-deliver', ...(failure ? { failure: { stage: failure.stage, error: view.error(failure.error) } } : {}),
    stages: compared, deliveries: deliveries.map((d) => shownDelivery(d, view)), delivered: false,
  };
}

/** A delivery preview as operators see it: body, headers and error masked. */
function shownDelivery(delivery: DryRunDelivery, view: ViewMasking): DryRunDelivery {
  const { request, error } = delivery;
  const contentType = request ? Object.entries(request.headers).find(([name]) => name.toLowerCase() === 'content-type')?.[1] ?? '' : '';
  return {
    ...delivery,
    ...(request ? { request: { ...request, url: view.text(request.url), headers: view.headers(request.headers), body: view.payload(request.body, contentType) } } : {}),
    ...(error ? { error: view.error(error) } : {}),
  };
}

/** The compiled route of a message, or JCT_REPLAY_REFUSED when the running configuration no longer has it. */
export function findRoute(routes: CompiledRoutes, routeId: string): CompiledRoute {
  const route = routes.routes.find((r) => r.id === routeId);
  if (!route) {
    throw new JunctionError('JCT_REPLAY_REFUSED', `Route "${routeId}" is not in the running configuration; its messages cannot be replayed here.`,
      { details: { reason: 'unknown-route' } });
  }
  return route;
}
