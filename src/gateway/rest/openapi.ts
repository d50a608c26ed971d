import type { CompiledRoute, CompiledRoutes } from '../../routes/compiled-route';

type Json = Record<string, unknown>;

const problemResponse = (description: string): Json => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

const COMPONENTS: Json = {
  Problem: {
    type: 'object',
    description: 'RFC 9457 problem details; `code` is a stable JCT_ code documented in docs/errors.md.',
    required: ['type', 'title', 'status', 'detail', 'code'],
    properties: {
      type: { type: 'string', examples: ['urn:junction:error:JCT_VALIDATION_FAILED'] },
      title: { type: 'string' },
      status: { type: 'integer' },
      detail: { type: 'string' },
      code: { type: 'string', pattern: '^JCT_[A-Z_]+$' },
      instance: { type: 'string' },
      requestId: { type: 'string' },
      messageId: { type: 'string', format: 'uuid', description: 'The message concerned, when one was recorded.' },
      violations: { type: 'array', items: { type: 'object', required: ['path', 'message'], properties: { path: { type: 'string' }, message: { type: 'string' } } } },
    },
  },
  Accepted: {
    type: 'object',
    required: ['messageId', 'status', 'location'],
    properties: { messageId: { type: 'string', format: 'uuid' }, status: { const: 'QUEUED' }, location: { type: 'string' } },
  },
  MessageView: {
    type: 'object',
    required: ['id', 'routeId', 'status', 'attempts', 'correlationId', 'receivedAt', 'updatedAt', 'stages'],
    properties: {
      id: { type: 'string', format: 'uuid' },
      routeId: { type: 'string' },
      status: { enum: ['RECEIVED', 'QUEUED', 'PROCESSING', 'RETRYING', 'HELD', 'DELIVERED', 'FAILED'] },
      attempts: { type: 'integer' },
      correlationId: { type: 'string' },
      businessKey: { type: 'string' },
      replayOf: { type: 'string' },
      receivedAt: { type: 'string', format: 'date-time' },
      updatedAt: { type: 'string', format: 'date-time' },
      lastError: { $ref: '#/components/schemas/StoredError' },
      stages: {
        type: 'array',
        items: {
          type: 'object',
          required: ['stage', 'status', 'attempt', 'at'],
          properties: {
            stage: { type: 'string' }, status: { type: 'string' }, attempt: { type: 'integer' }, at: { type: 'string', format: 'date-time' },
            durationMs: { type: 'integer' }, endpoint: { type: 'string' }, detail: { type: 'string' }, error: { $ref: '#/components/schemas/StoredError' },
          },
        },
      },
    },
  },
  StoredError: {
    type: 'object',
    required: ['code', 'message', 'retryable'],
    properties: { code: { type: 'string' }, message: { type: 'string' }, retryable: { type: 'boolean' }, violations: { type: 'array' }, details: { type: 'object' } },
  },
};

/** The request body schema as a caller sends it: path parameters may be left out of the body. */
function requestSchema(route: CompiledRoute, pathParams: readonly string[]): Json {
  const schema: Json = { ...(route.rest?.schema ?? { type: 'object' }) };
  delete schema.$schema;
  delete schema.$id;
  if (Array.isArray(schema.required)) schema.required = (schema.required as string[]).filter((name) => !pathParams.includes(name));
  return schema;
}

function operation(route: CompiledRoute): Json {
  const entry = route.rest;
  if (!entry) return {};
  const pathParams = [...entry.path.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => String(m[1]));
  const sync = route.pattern === 'request-reply';
  return {
    operationId: route.id,
    summary: route.description ?? route.id,
    description: sync
      ? `Synchronous: waits up to ${route.replyTimeoutMs} ms for the backend's answer.`
      : 'Asynchronous: answers 202 once the message is durable; follow the Location to see its status.',
    ...(pathParams.length > 0 ? {
      parameters: pathParams.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' }, description: `Also the body's "${name}".` })),
    } : {}),
    requestBody: { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${route.id}-request` } } } },
    responses: {
      ...(sync
        ? { 200: { description: 'The backend\'s answer.', headers: { 'X-Junction-Message-Id': { schema: { type: 'string' } } }, content: { 'application/json': { schema: { type: 'object' } } } } }
        : { 202: { description: 'Accepted: durable in the transaction log and the broker.', headers: { Location: { schema: { type: 'string' } } }, content: { 'application/json': { schema: { $ref: '#/components/schemas/Accepted' } } } } }),
      400: problemResponse('Malformed JSON (JCT_REQUEST_MALFORMED).'),
      413: problemResponse('Body larger than the limit (JCT_REQUEST_TOO_LARGE).'),
      415: problemResponse('Not application/json (JCT_REQUEST_MEDIA_TYPE).'),
      422: problemResponse('Breaks the schema; every violation listed (JCT_VALIDATION_FAILED).'),
      503: problemResponse('Transaction log or broker unavailable; retry after Retry-After.'),
      ...(sync ? {
        502: problemResponse('The backend refused or failed (JCT_ENDPOINT_*); messageId given.'),
        504: problemResponse('No answer in time (JCT_REPLY_TIMEOUT or JCT_ENDPOINT_TIMEOUT); messageId given — ask its status before sending again.'),
      } : {}),
    },
  };
}

/**
 * The OpenAPI 3.1 document of the REST gateway, built from the routes, so it always matches what
 * is served. Served at /api/v1/openapi.json.
 */
export function buildOpenApi(routes: CompiledRoutes, version: string): Json {
  const paths: Record<string, Json> = {};
  const schemas: Json = { ...COMPONENTS };
  for (const route of routes.routes) {
    const entry = route.rest;
    if (!entry) continue;
    const openapiPath = entry.path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
    paths[openapiPath] = { ...(paths[openapiPath] ?? {}), [entry.method.toLowerCase()]: operation(route) };
    const pathParams = [...entry.path.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => String(m[1]));
    schemas[`${route.id}-request`] = requestSchema(route, pathParams);
  }
  paths['/messages/{id}'] = {
    get: {
      operationId: 'get-message',
      summary: 'Status and stage history of a message.',
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
      responses: {
        200: { description: 'The message.', content: { 'application/json': { schema: { $ref: '#/components/schemas/MessageView' } } } },
        404: problemResponse('No such message (JCT_MESSAGE_NOT_FOUND).'),
      },
    },
  };
  return {
    openapi: '3.1.0',
    info: { title: 'Junction REST gateway', version, description: 'Errors are application/problem+json with a stable JCT_ code (docs/errors.md).' },
    servers: [{ url: '/api/v1' }],
    paths,
    components: { schemas },
  };
}
