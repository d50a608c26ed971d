import express, { type Request, type Response, type Router } from 'express';
import { createEnvelope } from '../../core/envelope';
import { JunctionError } from '../../core/errors';
import { getByPointer } from '../../core/json-pointer';
import type { TransactionLog } from '../../core/transaction-log';
import type { RestEntry } from '../../routes/compiled-route';
import type { CompiledRoutes } from '../../routes/compiled-route';
import { assertValid } from '../../validators/json-schema-validator';
import type { MessageIntake } from '../message-intake';
import { toMessageView } from './message-view';

/** Mount point of the REST gateway. */
export const REST_BASE = '/api/v1';

/** What the REST gateway needs. */
export interface RestGatewayDeps {
  readonly routes: CompiledRoutes;
  readonly intake: MessageIntake;
  readonly log: TransactionLog;
  readonly bodyLimitBytes: number;
}

const JSON_TYPE = /^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i;
const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Parses a JSON request body, keeping the text for the envelope (decimals stay exact in it). */
function parseJsonBody(req: Request): unknown {
  if (!JSON_TYPE.test(req.header('content-type') ?? '')) {
    throw new JunctionError('JCT_REQUEST_MEDIA_TYPE', 'Send the body as JSON with Content-Type: application/json.');
  }
  const text = typeof req.body === 'string' ? req.body : '';
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new JunctionError('JCT_REQUEST_MALFORMED', `Request body is not valid JSON: ${(error as Error).message}.`);
  }
}

function acceptHandler(entry: RestEntry, deps: RestGatewayDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const parsed = parseJsonBody(req);
    if (entry.check) assertValid(entry.check(parsed), 'Request body');
    const key = entry.businessKey ? getByPointer(parsed, entry.businessKey) : undefined;
    const correlation = req.header('x-correlation-id');
    const message = createEnvelope({
      routeId: entry.routeId,
      pattern: 'one-way',
      source: `rest:${entry.method} ${REST_BASE}${entry.path}`,
      contentType: 'application/json',
      body: req.body as string,
      headers: Object.fromEntries(Object.entries(req.params).map(([k, v]) => [`path.${k}`, String(v)])),
      ...(correlation && CORRELATION_ID.test(correlation) ? { correlationId: correlation } : {}),
      ...(typeof key === 'string' || typeof key === 'number' ? { businessKey: String(key).slice(0, 128) } : {}),
    });
    await deps.intake.accept(message);
    const location = `${REST_BASE}/messages/${message.id}`;
    res.status(202).location(location).json({ messageId: message.id, status: 'QUEUED', location });
  };
}

/**
 * The REST gateway under /api/v1: one handler per route entry (`POST /orders`, ...), plus
 * `GET /messages/{id}` for status and history. Bodies are read as text within the size limit,
 * parsed once to check them, and forwarded exactly as sent.
 */
export function createRestGateway(deps: RestGatewayDeps): Router {
  const router = express.Router();
  const readBody = express.text({ type: () => true, limit: deps.bodyLimitBytes, defaultCharset: 'utf-8' });
  for (const route of deps.routes.routes) {
    const entry = route.rest;
    if (!entry) continue;
    if (route.pattern !== 'one-way') continue; // request-reply REST entries arrive with the sync path (issue 3)
    const method = entry.method.toLowerCase() as 'post' | 'put' | 'patch';
    router[method](entry.path, readBody, acceptHandler(entry, deps));
  }
  router.get('/messages/:id', async (req: Request, res: Response) => {
    const id = String(req.params.id);
    const record = UUID.test(id) ? await deps.log.load(id.toLowerCase()) : undefined;
    if (!record) throw new JunctionError('JCT_MESSAGE_NOT_FOUND', `No message has the id "${id.slice(0, 64)}".`);
    res.json(toMessageView(record));
  });
  return router;
}
