import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { stringify as stringifyLossless } from 'lossless-json';
import { createEnvelope } from '../../core/envelope';
import { DEADLINE_HEADER } from '../../core/headers';
import { JunctionError } from '../../core/errors';
import { parseExactJson } from '../../core/exact-json';
import { getByPointer } from '../../core/json-pointer';
import { traceHeaders } from '../../core/trace-context';
import type { TransactionLog } from '../../core/transaction-log';
import type { RestEntry } from '../../routes/compiled-route';
import type { CompiledRoute, CompiledRoutes } from '../../routes/compiled-route';
import { JsonRefusedError, parseJsonSafely } from '../../core/json-limits';
import { isJsonContentType } from '../../core/pretty-body';
import { assertValid } from '../../validators/json-schema-validator';
import { authenticate, principalOf, type GatewaySecurity } from '../http/authenticate';
import { decodeBody, readBody as readRequestBody } from '../soap/soap-body-reader';
import { checkIdempotencyKey, type MessageIntake } from '../message-intake';
import { toMessageView } from './message-view';
import { buildOpenApi } from './openapi';

/** Mount point of the REST gateway. */
export const REST_BASE = '/api/v1';

/** What the REST gateway needs. */
export interface RestGatewayDeps {
  readonly routes: CompiledRoutes;
  readonly intake: MessageIntake;
  readonly log: TransactionLog;
  readonly bodyLimitBytes: number;
  /** Junction's version, for the OpenAPI document. */
  readonly version: string;
  /** Authentication, per-route authorization, JSON limits and masking; absent = open (tests of other parts). */
  readonly security?: GatewaySecurity;
}

const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The charset parameter of a Content-Type, if any. */
function charsetOf(contentType: string | undefined): string | undefined {
  return /;\s*charset\s*=\s*"?([A-Za-z0-9._-]+)"?/i.exec(contentType ?? '')?.[1];
}

/**
 * Parses a JSON request body, keeping the text for the envelope (decimals stay exact in it).
 * Nesting deeper than `maxDepth` and `__proto__` / `constructor` / `prototype` keys are refused.
 */
function parseJsonBody(req: Request, maxDepth: number | undefined): unknown {
  if (!isJsonContentType(req.header('content-type'))) {
    throw new JunctionError('JCT_REQUEST_MEDIA_TYPE', 'Send the body as JSON with Content-Type: application/json.');
  }
  const text = typeof req.body === 'string' ? req.body : '';
  try {
    return parseJsonSafely(text, maxDepth);
  } catch (error) {
    if (error instanceof JsonRefusedError) throw new JunctionError('JCT_REQUEST_MALFORMED', `Request body is not accepted: ${error.message}.`);
    throw new JunctionError('JCT_REQUEST_MALFORMED', `Request body is not valid JSON: ${(error as Error).message}.`);
  }
}

/**
 * Path parameters (`/customers/{customerId}`) become fields of the body, so a route sees one
 * JSON document whichever way it came in. A body that names a different value is refused.
 */
function withPathParams(text: string, params: Record<string, string>): string {
  const names = Object.keys(params);
  if (names.length === 0) return text;
  let document: unknown;
  try {
    document = parseExactJson(text);
  } catch (error) {
    throw new JunctionError('JCT_REQUEST_MALFORMED', `Request body is not valid JSON: ${(error as Error).message}.`);
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new JunctionError('JCT_VALIDATION_FAILED', 'Request body must be a JSON object.', { violations: [{ path: '', message: 'must be an object' }] });
  }
  const record = document as Record<string, unknown>;
  const conflicts = names.filter((name) => Object.prototype.hasOwnProperty.call(record, name) && String(record[name]) !== params[name]);
  if (conflicts.length > 0) {
    throw new JunctionError('JCT_VALIDATION_FAILED', `The body's ${conflicts.join(', ')} differs from the URL's.`, {
      violations: conflicts.map((name) => ({ path: `/${name}`, message: `must equal the value in the URL ("${params[name]}") or be left out` })),
    });
  }
  for (const name of names) Object.defineProperty(record, name, { value: params[name], enumerable: true, writable: true, configurable: true });
  return String(stringifyLossless(record));
}

/** On an error about another message (an idempotent repeat), the id header names that message. */
function nameMessage(res: Response) {
  return (error: unknown): never => {
    if (error instanceof JunctionError && typeof error.details.messageId === 'string') res.setHeader('X-Junction-Message-Id', error.details.messageId);
    throw error;
  };
}

function entryHandler(entry: RestEntry, route: CompiledRoute, deps: RestGatewayDeps) {
  const { pattern, replyTimeoutMs } = route;
  const intakeOptions = { keepPayload: route.capture !== 'none' };
  return async (req: Request, res: Response): Promise<void> => {
    const idempotencyKey = checkIdempotencyKey(req.header('idempotency-key'));
    const sent = parseJsonBody(req, deps.security?.jsonMaxDepth);
    const params = Object.fromEntries(Object.entries(req.params).map(([k, v]) => [k, String(v)]));
    const body = withPathParams(req.body as string, params);
    // Parsed once more only when path parameters changed the text.
    const parsed: unknown = body === req.body ? sent : JSON.parse(body);
    if (entry.check) assertValid(entry.check(parsed), 'Request body');
    const key = entry.businessKey ? getByPointer(parsed, entry.businessKey) : undefined;
    const correlation = req.header('x-correlation-id');
    const message = createEnvelope({
      routeId: entry.routeId,
      pattern,
      source: `rest:${entry.method} ${REST_BASE}${entry.path}`,
      contentType: 'application/json',
      body,
      headers: {
        ...traceHeaders(req.header('traceparent'), req.header('tracestate')),
        ...(pattern === 'request-reply' ? { [DEADLINE_HEADER]: new Date(Date.now() + replyTimeoutMs).toISOString() } : {}),
      },
      ...(correlation && CORRELATION_ID.test(correlation) ? { correlationId: correlation } : {}),
      ...(typeof key === 'string' || typeof key === 'number' ? { businessKey: String(key).slice(0, 128) } : {}),
    });
    const options = idempotencyKey === undefined ? intakeOptions : { ...intakeOptions, idempotencyKey };
    if (pattern === 'request-reply') {
      res.setHeader('X-Junction-Message-Id', message.id);
      const answered = await deps.intake.request(message, replyTimeoutMs, options).catch(nameMessage(res));
      res.setHeader('X-Junction-Message-Id', answered.messageId);
      if (answered.replayed) res.setHeader('Idempotent-Replayed', 'true');
      res.status(200).type(answered.reply.contentType).send(answered.reply.body);
      return;
    }
    res.setHeader('X-Junction-Message-Id', message.id);
    const accepted = await deps.intake.accept(message, options).catch(nameMessage(res));
    res.setHeader('X-Junction-Message-Id', accepted.messageId);
    if (accepted.replayed) res.setHeader('Idempotent-Replayed', 'true');
    const location = `${REST_BASE}/messages/${accepted.messageId}`;
    res.status(202).location(location).json({ messageId: accepted.messageId, status: accepted.status, location });
  };
}

/**
 * The REST gateway under /api/v1: one handler per route entry (`POST /orders`, ...), plus
 * `GET /messages/{id}` for status and history. Bodies are read as text within the size limit,
 * parsed once to check them, and forwarded exactly as sent.
 */
export function createRestGateway(deps: RestGatewayDeps): Router {
  const router = express.Router();
  const { security } = deps;
  // Our own reader, not body-parser's: it stops at the limit at once (body-parser reads a refused
  // body to its end before answering, for ever if it is an endless chunked stream).
  const readBody = (req: Request, _res: Response, next: NextFunction): void => {
    readRequestBody(req, deps.bodyLimitBytes).then((bytes) => {
      req.body = decodeBody(bytes, charsetOf(req.header('content-type')));
      next();
    }, next);
  };
  // Credentials are checked, and the route authorised, before a byte of the body is read.
  // With authentication off, credentials are neither required nor checked.
  if (security?.mode === 'required') router.use(authenticate(security));
  const authorize = (route: CompiledRoute, what: string) => (_req: Request, res: Response, next: NextFunction): void => {
    security?.policy.check(principalOf(res), route.id, what);
    next();
  };
  const authenticated = (_req: Request, res: Response, next: NextFunction): void => {
    security?.policy.checkAuthenticated(principalOf(res));
    next();
  };
  for (const route of deps.routes.routes) {
    const entry = route.rest;
    if (!entry) continue;
    const method = entry.method.toLowerCase() as 'post' | 'put' | 'patch';
    router[method](entry.path, authorize(route, `${entry.method} ${REST_BASE}${entry.path.replace(/:(\w+)/g, '{$1}')}`), readBody, entryHandler(entry, route, deps));
  }
  const openapi = JSON.stringify(buildOpenApi(deps.routes, deps.version));
  const docsGuard = security?.docs === 'authenticated' ? [authenticated] : [];
  router.get('/openapi.json', ...docsGuard, (_req: Request, res: Response) => { res.type('application/json').send(openapi); });
  router.get('/messages/:id', authenticated, async (req: Request, res: Response) => {
    const id = String(req.params.id);
    const record = UUID.test(id) ? await deps.log.load(id.toLowerCase()) : undefined;
    if (!record) throw new JunctionError('JCT_MESSAGE_NOT_FOUND', `No message has the id "${id.slice(0, 64)}".`);
    res.json(toMessageView(record));
  });
  return router;
}
