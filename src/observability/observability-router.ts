import express, { type Request, type Response, type Router } from 'express';
import { checkReadiness, type ReadinessDeps } from './readiness';

/** What the observability endpoints need. */
export interface ObservabilityRouterDeps extends ReadinessDeps {
  /** The metrics in the Prometheus text format, and its content type. */
  readonly metrics: { render(): Promise<string>; readonly contentType: string };
}

/**
 * `GET /healthz` (liveness: the process is up and its event loop answers), `GET /readyz`
 * (readiness: 200 when the broker is connected and the transaction log answers, else 503 naming
 * what is down) and `GET /metrics` (Prometheus). Served by every role, on the same port as the
 * gateways. See docs/observability.md.
 */
export function createObservabilityRouter(deps: ObservabilityRouterDeps): Router {
  const router = express.Router();
  router.get('/healthz', (_req: Request, res: Response) => { res.json({ status: 'ok' }); });
  router.get('/readyz', async (_req: Request, res: Response) => {
    const readiness = await checkReadiness(deps);
    res.status(readiness.ready ? 200 : 503).setHeader('Cache-Control', 'no-store').json({ status: readiness.ready ? 'ready' : 'not ready', ...readiness });
  });
  router.get('/metrics', async (_req: Request, res: Response) => {
    const text = await deps.metrics.render();
    res.status(200).setHeader('Cache-Control', 'no-store').type(deps.metrics.contentType).send(text);
  });
  return router;
}
