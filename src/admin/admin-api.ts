import { randomUUID } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import type { AdminConfig } from '../config/admin-config-types';
import { JunctionError, type SerializedError } from '../core/errors';
import type { Logger } from '../core/logger';
import { normaliseErrorMessage } from '../core/error-fingerprint';
import type { AuditAction, ReplayJobStatus } from '../core/operator-records';
import type { MessageRecord, TransactionLog } from '../core/transaction-log';
import type { CompiledRoutes } from '../routes/compiled-route';
import type { Masker } from '../security/masking/masker';
import { authenticate, forbidden, hasRole, principalOf, requireRole, type AuthenticateOptions, type Authenticator } from './admin-auth';
import { auditView, groupView, jobView, messageView, summaryView } from './admin-views';
import { bodiesOf, stageContentType, ViewMasking } from './admin-masking';
import {
  decodeCursor, encodeCursor, jsonBody, limitOf, messageIdOf, optionalText, parseBulkFilter, parseFilter, requiredQuery, sourceOf,
} from './admin-request';
import { dryRun, findRoute } from './dry-run';
import type { ReplayJobRunner } from './replay-job-runner';
import type { ReplayService } from './replay-service';
import { diffBodies } from './text-diff';

/** Mount point of the admin API. */
export const ADMIN_BASE = '/admin/api';

/** What the admin API needs. */
export interface AdminApiDeps {
  readonly log: TransactionLog;
  readonly routes: CompiledRoutes;
  readonly service: ReplayService;
  readonly runner?: ReplayJobRunner;
  readonly authenticators: readonly Authenticator[];
  readonly auth: AuthenticateOptions;
  /** Masks what leaves the API (security.masking). */
  readonly masker: Masker;
  readonly settings: AdminConfig;
  readonly bodyLimitBytes: number;
  readonly logger: Logger;
}

const AUDIT_ACTIONS: readonly AuditAction[] = ['replay', 'resolve', 'replay-job.create', 'replay-job.pause', 'replay-job.resume', 'replay-job.cancel'];

/** What `a` and `b` of GET /diff name. */
const DIFF_SIDE = 'a message id, or <message id>:<stage seq> for the payload a stage left';

/** `<messageId>` (its payload as received) or `<messageId>:<seq>` (a stage's payload), with the message it belongs to. */
async function payloadOf(log: TransactionLog, ref: string): Promise<{ record: MessageRecord; body?: string; contentType: string }> {
  const [id, seq] = ref.split(':');
  if (!id) throw new JunctionError('JCT_REQUEST_MALFORMED', `"${ref.slice(0, 64)}" names no message: give ${DIFF_SIDE}.`);
  const record = await log.load(messageIdOf(id));
  if (!record) throw new JunctionError('JCT_MESSAGE_NOT_FOUND', `No message has the id "${String(id).slice(0, 64)}".`);
  if (seq === undefined || seq === '') return { record, body: record.payload, contentType: record.contentType };
  const stage = record.stages.find((s) => String(s.seq) === seq);
  if (!stage) throw new JunctionError('JCT_NOT_FOUND', `Message ${record.id} has no stage ${seq}.`);
  return { record, ...(stage.payload !== undefined ? { body: stage.payload } : {}), contentType: stageContentType(record, stage.detail) };
}

/**
 * The operators' API under /admin/api (docs/operators.md): search, message timelines, failure
 * groups, replay (one, bulk jobs), dry-run, resolve, the audit trail. Every request needs
 * credentials (an admin token, a client's API key or TLS certificate, or a bearer JWT); reading needs the viewer role,
 * changing anything operator, forcing admin. Everything it answers is masked (admin-views.ts).
 */
export function createAdminApi(deps: AdminApiDeps): Router {
  const { log, service, settings, masker } = deps;
  const router = express.Router();
  router.use(authenticate(deps.authenticators, deps.auth));
  router.use(express.text({ type: () => true, limit: deps.bodyLimitBytes, defaultCharset: 'utf-8' }));
  const viewer = requireRole('viewer');
  const operator = requireRole('operator');

  router.get('/whoami', viewer, (_req: Request, res: Response) => { res.json(principalOf(res)); });

  router.get('/routes', viewer, (_req: Request, res: Response) => {
    res.json({ items: deps.routes.routes.map((r) => ({
      id: r.id, pattern: r.pattern, capture: r.capture, description: r.description,
      businessKey: (r.rest?.businessKey ?? r.soap?.businessKey)?.text, steps: r.steps.map((s) => s.name),
      recipients: r.deliveries.map((d) => ({ endpoint: d.endpoint, conditional: d.when !== undefined, steps: d.steps.map((s) => s.name) })),
    })) });
  });

  router.get('/messages', viewer, async (req: Request, res: Response) => {
    const query = req.query as Record<string, unknown>;
    const after = decodeCursor(query.cursor);
    const page = await log.search({ ...parseFilter(query), order: query.order === 'oldest' ? 'oldest' : 'newest',
      ...(after ? { after } : {}), ...(limitOf(query.limit) !== undefined ? { limit: limitOf(query.limit) } : {}) });
    res.json({ items: page.items.map((m) => summaryView(m, masker)), next: page.next ? encodeCursor(page.next) : null });
  });

  router.get('/messages/:id', viewer, async (req: Request, res: Response) => {
    const record = await service.load(messageIdOf(req.params.id));
    const replays = (await log.search({ replayOf: record.id, limit: 100 })).items;
    res.json(messageView(record, replays, req.query.pretty === 'true', masker));
  });

  router.get('/diff', viewer, async (req: Request, res: Response) => {
    const refs = [requiredQuery(req.query.a, 'a', DIFF_SIDE), requiredQuery(req.query.b, 'b', DIFF_SIDE)] as const;
    const a = await payloadOf(log, refs[0]);
    const b = await payloadOf(log, refs[1]);
    const view = ViewMasking.of(masker, [...bodiesOf(a.record), ...(b.record.id === a.record.id ? [] : bodiesOf(b.record))]);
    const shown = (side: { body?: string; contentType: string }): string | undefined => (side.body === undefined ? undefined : view.payload(side.body, side.contentType));
    res.json(diffBodies(shown(a), a.contentType, shown(b), b.contentType));
  });

  router.post('/messages/:id/replay', operator, async (req: Request, res: Response) => {
    const body = jsonBody(req);
    const principal = principalOf(res);
    const force = body.force === true;
    if (force && !hasRole(principal.role, 'admin')) throw forbidden(principal, 'admin', 'Forcing a replay');
    const payload = optionalText(body, 'payload', deps.bodyLimitBytes);
    const contentType = optionalText(body, 'contentType', 255);
    const reason = optionalText(body, 'reason', 1000);
    const result = await service.replay(messageIdOf(req.params.id), {
      from: sourceOf(body.from), force, ...(payload !== undefined ? { payload } : {}), ...(contentType ? { contentType } : {}), ...(reason ? { reason } : {}),
    }, principal);
    res.status(202).location(`${ADMIN_BASE}/messages/${result.replayId}`).json(result);
  });

  router.post('/messages/:id/dry-run', operator, async (req: Request, res: Response) => {
    const body = jsonBody(req);
    const record = await service.load(messageIdOf(req.params.id));
    const payload = optionalText(body, 'payload', deps.bodyLimitBytes);
    const contentType = optionalText(body, 'contentType', 255);
    res.json(await dryRun(record, deps.routes, {
      from: sourceOf(body.from), force: body.force === true, ...(payload !== undefined ? { payload } : {}), ...(contentType ? { contentType } : {}),
    }, deps.logger, masker));
  });

  router.post('/messages/:id/resolve', operator, async (req: Request, res: Response) => {
    const body = jsonBody(req);
    const id = messageIdOf(req.params.id);
    await service.resolve(id, optionalText(body, 'reason', 1000), principalOf(res));
    res.json({ messageId: id, resolution: 'resolved' });
  });

  router.get('/failure-groups', viewer, async (req: Request, res: Response) => {
    const filter = parseFilter(req.query as Record<string, unknown>);
    const groups = await log.failureGroups({
      ...(filter.routeId ? { routeId: filter.routeId } : {}), ...(filter.receivedFrom ? { receivedFrom: filter.receivedFrom } : {}),
      ...(filter.receivedTo ? { receivedTo: filter.receivedTo } : {}), ...(limitOf(req.query.limit) ? { limit: limitOf(req.query.limit) } : {}),
    });
    res.json({ items: groups.map((g) => groupView(g, masker)) });
  });

  // A sample of matching failures run dry: does the fix work for the group before replaying it all?
  router.post('/dry-runs', operator, async (req: Request, res: Response) => {
    const body = jsonBody(req);
    const filter = { ...parseBulkFilter(body.filter), unresolved: true };
    const limit = limitOf(body.limit, 200) ?? 20;
    const from = sourceOf(body.from);
    const matched = await log.count(filter);
    const page = await log.search({ ...filter, order: 'oldest', limit });
    const results = [];
    for (const item of page.items) {
      const record = await log.load(item.id);
      if (!record) continue;
      try {
        const report = await dryRun(record, deps.routes, { from }, deps.logger, masker);
        results.push({ messageId: item.id, verdict: report.verdict, ...(report.failure ? { failure: report.failure } : {}) });
      } catch (error) {
        const plain: SerializedError = error instanceof JunctionError ? error.toJSON() : { code: 'JCT_INTERNAL', message: 'dry-run failed', retryable: false };
        const failure = ViewMasking.of(masker, bodiesOf(record)).error(plain);
        results.push({ messageId: item.id, verdict: 'would-fail', failure: { stage: 'replay', error: failure } });
      }
    }
    const causes = new Map<string, { stage: string; code: string; message: string; count: number; sampleId: string }>();
    for (const r of results) {
      if (!r.failure) continue;
      const key = `${r.failure.stage}|${r.failure.error.code}|${normaliseErrorMessage(r.failure.error.message)}`;
      const cause = causes.get(key) ?? { stage: r.failure.stage, code: r.failure.error.code, message: normaliseErrorMessage(r.failure.error.message), count: 0, sampleId: r.messageId };
      cause.count += 1;
      causes.set(key, cause);
    }
    res.json({
      matched, tried: results.length, wouldDeliver: results.filter((r) => r.verdict === 'would-deliver').length,
      wouldFail: results.filter((r) => r.verdict === 'would-fail').length, failures: [...causes.values()], results, delivered: false,
    });
  });

  router.get('/replay-jobs', viewer, async (req: Request, res: Response) => {
    res.json({ items: (await log.listReplayJobs(limitOf(req.query.limit, 200))).map((j) => jobView(j, masker)) });
  });

  router.get('/replay-jobs/:id', viewer, async (req: Request, res: Response) => {
    const job = await log.loadReplayJob(String(req.params.id));
    if (!job) throw new JunctionError('JCT_NOT_FOUND', `No replay job has the id "${String(req.params.id).slice(0, 64)}".`);
    res.json(jobView(job, masker));
  });

  router.post('/replay-jobs', operator, async (req: Request, res: Response) => {
    const body = jsonBody(req);
    const principal = principalOf(res);
    const given = optionalText(body, 'reason', 1000)?.trim();
    if (!given) throw new JunctionError('JCT_REQUEST_MALFORMED', 'A bulk replay needs a reason (it goes to the audit trail).');
    const reason = masker.maskText(given);
    const rate = body.ratePerSecond === undefined ? settings.replay.ratePerSecond : Number(body.ratePerSecond);
    if (!Number.isInteger(rate) || rate < 1 || rate > settings.replay.maxRatePerSecond) {
      throw new JunctionError('JCT_REQUEST_MALFORMED', `"ratePerSecond" must be a whole number from 1 to ${settings.replay.maxRatePerSecond} (admin.replay.maxRatePerSecond).`);
    }
    const filter = parseBulkFilter(body.filter);
    if (filter.routeId) findRoute(deps.routes, filter.routeId);
    const source = sourceOf(body.from);
    const createdAt = new Date();
    const selection = { ...filter, unresolved: true, receivedTo: filter.receivedTo && filter.receivedTo < createdAt ? filter.receivedTo : createdAt };
    const total = await log.count(selection);
    // A job of nothing would only be noise in the job list and the audit trail, and usually means a wrong filter.
    if (total === 0) {
      throw new JunctionError('JCT_REPLAY_REFUSED', `No unresolved FAILED message matches the filter ${JSON.stringify(body.filter ?? {}).slice(0, 300)}: `
        + 'there is nothing to replay, so no job was created. Check the filter against the unresolved failures '
        + '(GET /admin/api/messages?unresolved=true&…, junction messages list --unresolved …).', { details: { reason: 'nothing-matched' } });
    }
    const job = await log.createReplayJob({ id: randomUUID(), createdBy: principal.name, reason, filter, source, ratePerSecond: rate, total, createdAt },
      { actor: principal.name, role: principal.role, method: principal.method, action: 'replay-job.create', reason, detail: { filter, from: source, ratePerSecond: rate, total } });
    deps.runner?.wake();
    res.status(201).location(`${ADMIN_BASE}/replay-jobs/${job.id}`).json(jobView(job, masker));
  });

  const control = (action: 'pause' | 'resume' | 'cancel', to: ReplayJobStatus, from: readonly ReplayJobStatus[]) =>
    async (req: Request, res: Response): Promise<void> => {
      const body = jsonBody(req);
      const principal = principalOf(res);
      const id = String(req.params.id);
      const reason = optionalText(body, 'reason', 1000);
      const outcome = await log.updateReplayJob(id, { status: to, ...(to === 'running' ? { lastError: null } : {}), ...(to === 'cancelled' ? { finishedAt: new Date() } : {}) }, from,
        { actor: principal.name, role: principal.role, method: principal.method, action: `replay-job.${action}`, ...(reason ? { reason: masker.maskText(reason) } : {}) });
      if (outcome === 'missing') throw new JunctionError('JCT_NOT_FOUND', `No replay job has the id "${id.slice(0, 64)}".`);
      const job = await log.loadReplayJob(id);
      if (outcome === 'skipped') {
        throw new JunctionError('JCT_REPLAY_JOB_CONFLICT', `Replay job ${id} is ${job?.status ?? 'gone'}; it can be ${action}d only when ${from.join(' or ')}.`, { details: { status: job?.status ?? 'missing' } });
      }
      if (to === 'running') deps.runner?.wake();
      res.json(job ? jobView(job, masker) : job);
    };
  router.post('/replay-jobs/:id/pause', operator, control('pause', 'paused', ['running']));
  router.post('/replay-jobs/:id/resume', operator, control('resume', 'running', ['paused']));
  router.post('/replay-jobs/:id/cancel', operator, control('cancel', 'cancelled', ['running', 'paused']));

  router.get('/audit', viewer, async (req: Request, res: Response) => {
    const q = req.query as Record<string, unknown>;
    const action = q.action === undefined || q.action === '' ? undefined : String(q.action);
    if (action !== undefined && !AUDIT_ACTIONS.includes(action as AuditAction)) {
      throw new JunctionError('JCT_REQUEST_MALFORMED', `"action" must be one of ${AUDIT_ACTIONS.join(', ')}.`);
    }
    const before = q.cursor === undefined || q.cursor === '' ? undefined : Number(q.cursor);
    if (before !== undefined && !Number.isInteger(before)) throw new JunctionError('JCT_REQUEST_MALFORMED', '"cursor" is not one this API gave out.');
    const page = await log.findAudit({
      ...(q.messageId ? { messageId: messageIdOf(q.messageId) } : {}), ...(q.jobId ? { jobId: String(q.jobId) } : {}),
      ...(q.actor ? { actor: String(q.actor) } : {}), ...(action ? { action: action as AuditAction } : {}),
      ...(before !== undefined ? { before } : {}), ...(limitOf(q.limit) ? { limit: limitOf(q.limit) } : {}),
    });
    res.json({ items: page.items.map((a) => auditView(a, masker)), next: page.next ?? null });
  });

  return router;
}
