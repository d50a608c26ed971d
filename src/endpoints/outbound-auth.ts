import { createHash } from 'node:crypto';
import { request, type Dispatcher } from 'undici';
import { SECRET_REF_SCHEMA } from '../config/config-schema';
import type { SecretRefConfig } from '../config/config-types';
import { JunctionError } from '../core/errors';
import { readCapped } from '../core/read-capped';
import { readSecret } from '../security/secrets';
import { createDispatcher, forOtherHosts, type OutboundConnection } from './outbound-connection';

/**
 * How an endpoint proves who Junction is to its backend, besides static `headers`: HTTP Basic with
 * a password from a secret, or an OAuth 2.0 access token by the client-credentials grant (RFC
 * 6749 §4.4), fetched from the token endpoint, kept until shortly before it expires, shared by
 * the endpoint's calls in flight, and fetched again when the backend answers 401.
 */

/** Schema of the `auth` option of `http` and `soap` endpoints. */
export const OUTBOUND_AUTH_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  maxProperties: 1,
  properties: {
    basic: {
      type: 'object',
      additionalProperties: false,
      required: ['username', 'password'],
      properties: { username: { type: 'string', minLength: 1, pattern: '^[^:]*$' }, password: SECRET_REF_SCHEMA },
    },
    oauth2: {
      type: 'object',
      additionalProperties: false,
      required: ['tokenUrl', 'clientId', 'clientSecret'],
      properties: {
        tokenUrl: { type: 'string', pattern: '^https?://[^\\s]+$' },
        clientId: { type: 'string', minLength: 1 },
        clientSecret: SECRET_REF_SCHEMA,
        scope: { type: 'string', minLength: 1 },
        audience: { type: 'string', minLength: 1 },
        /** How the client authenticates at the token endpoint: HTTP Basic (client_secret_basic, the default) or form fields (client_secret_post). */
        clientAuthentication: { enum: ['basic', 'post'], default: 'basic' },
      },
    },
  },
} as const;

/** The `auth` option as configured. */
export type OutboundAuthConfig =
  | { readonly basic: { readonly username: string; readonly password: SecretRefConfig } }
  | { readonly oauth2: {
    readonly tokenUrl: string; readonly clientId: string; readonly clientSecret: SecretRefConfig;
    readonly scope?: string; readonly audience?: string; readonly clientAuthentication: 'basic' | 'post';
  } };

/** The Authorization of an endpoint's calls. */
export interface OutboundAuth {
  /**
   * The `Authorization` header value for the next call. May wait for a token, but not past
   * `deadline` (a `Date.now()` time: the end of the caller's delivery): JCT_ENDPOINT_TIMEOUT then.
   */
  authorization(deadline: number): Promise<string>;
  /** The backend refused `authorization` with 401: true when a fresh one is worth one more try. */
  refused(authorization: string): boolean;
  /** What a preview shows instead of the credentials (`junction routes test` prints requests). */
  readonly shown: string;
  /** Equal for equal credentials, and a digest of them, never them: what was fetched with one may serve the other. */
  readonly key: string;
  /** Closes the connections to the token endpoint. */
  close(): Promise<void>;
}

/** A token is fetched again this long before it expires, so a call never carries one about to lapse. */
const EARLY_MS = 30_000;
/** How long a token without `expires_in` is kept. */
const DEFAULT_LIFETIME_MS = 300_000;
/**
 * After a 401 made the endpoint fetch a new token, further 401s within this time do not make it
 * fetch again: a backend that refuses every token (wrong audience or scope) must not turn each
 * message into a token request.
 */
const REFUSAL_PAUSE_MS = 10_000;
/** A failed token fetch answers the calls of this long before the token endpoint is asked again. */
const FAILURE_PAUSE_MS = 5_000;
/** A token answer is a few hundred bytes; a larger one is not a token answer. */
const MAX_TOKEN_ANSWER_BYTES = 64 * 1024;

/**
 * Calls `call` with the endpoint's Authorization; when the backend refused it (`refusedWith401`
 * says so of the result or the error), once more with a fresh one if {@link OutboundAuth.refused}
 * allows. Without `auth`, one call without Authorization. Waits for a token until `deadline` at
 * most: the calls themselves keep to it too, so token fetches, call and retry fit in one deadline.
 */
export async function withAuthorization<T>(auth: OutboundAuth | undefined, deadline: number, call: (authorization: string | undefined) => Promise<T>,
  refusedWith401: (outcome: { readonly result: T } | { readonly error: unknown }) => boolean): Promise<T> {
  const authorization = await auth?.authorization(deadline);
  let outcome: { readonly result: T } | { readonly error: unknown };
  try {
    outcome = { result: await call(authorization) };
  } catch (error) {
    outcome = { error };
  }
  if (auth !== undefined && authorization !== undefined && refusedWith401(outcome) && auth.refused(authorization)) return call(await auth.authorization(deadline));
  if ('error' in outcome) throw outcome.error;
  return outcome.result;
}

function digest(...parts: string[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

class BasicAuth implements OutboundAuth {
  private readonly value: string;
  readonly shown = 'Basic ****';
  readonly key: string;

  constructor(username: string, password: string) {
    this.value = `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
    this.key = digest('basic', this.value);
  }

  async authorization(): Promise<string> {
    return this.value;
  }

  refused(): boolean {
    return false;
  }

  async close(): Promise<void> {
    // nothing open
  }
}

class ClientCredentials implements OutboundAuth {
  private token: { value: string; until: number } | undefined;
  private fetching: Promise<string> | undefined;
  private failure: { error: JunctionError; until: number } | undefined;
  private refreshedOn401At = 0;
  readonly shown: string;
  readonly key: string;

  /** To the token endpoint, through the endpoint's TLS and proxy; made at the first fetch. */
  private dispatcher: Dispatcher | undefined;

  constructor(private readonly endpoint: string, private readonly settings: Extract<OutboundAuthConfig, { oauth2: unknown }>['oauth2'],
    private readonly secret: string, private readonly connection: OutboundConnection, private readonly timeoutMs: number) {
    this.shown = `Bearer <access token from ${new URL(settings.tokenUrl).host}>`;
    this.key = digest('oauth2', settings.tokenUrl, settings.clientId, secret, settings.scope ?? '', settings.audience ?? '', settings.clientAuthentication);
  }

  async close(): Promise<void> {
    const dispatcher = this.dispatcher;
    this.dispatcher = undefined;
    await dispatcher?.close();
  }

  async authorization(deadline: number): Promise<string> {
    const now = Date.now();
    if (this.token && now < this.token.until) return this.token.value;
    if (this.failure && now < this.failure.until) throw this.failure.error;
    this.fetching ??= this.fetch().then((value) => {
      this.failure = undefined;
      return value;
    }, (error: unknown) => {
      if (error instanceof JunctionError) this.failure = { error, until: Date.now() + FAILURE_PAUSE_MS };
      throw error;
    }).finally(() => { this.fetching = undefined; });
    return this.until(this.fetching, deadline);
  }

  /**
   * The shared fetch's token, or JCT_ENDPOINT_TIMEOUT once `deadline` comes first. The fetch goes
   * on (within its own `timeoutMs`) for the calls after: one caller's short remainder must not
   * fail the fetch, and with it every call for FAILURE_PAUSE_MS.
   */
  private until(fetching: Promise<string>, deadline: number): Promise<string> {
    const tokenHost = new URL(this.settings.tokenUrl).host;
    const timedOut = (): JunctionError => new JunctionError('JCT_ENDPOINT_TIMEOUT',
      `Endpoint "${this.endpoint}" timed out after ${this.timeoutMs} ms waiting for an access token from its token endpoint ${tokenHost}`,
      { details: { endpoint: this.endpoint, tokenHost, timeoutMs: this.timeoutMs } });
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(timedOut()), Math.max(0, deadline - Date.now()));
      // A fetch that began with this delivery ends on its own time limit as the deadline comes: a timeout either way.
      fetching.then(resolve, (error: unknown) => reject(Date.now() >= deadline ? timedOut() : error)).finally(() => clearTimeout(timer));
    });
  }

  refused(authorization: string): boolean {
    if (this.token?.value !== authorization) return true; // already replaced (or being replaced): try the newer one
    if (Date.now() - this.refreshedOn401At < REFUSAL_PAUSE_MS) return false;
    this.refreshedOn401At = Date.now();
    this.token = undefined;
    return true;
  }

  private async fetch(): Promise<string> {
    const { tokenUrl, clientId, scope, audience, clientAuthentication } = this.settings;
    const where = new URL(tokenUrl).host;
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (scope !== undefined) form.set('scope', scope);
    if (audience !== undefined) form.set('audience', audience);
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    if (clientAuthentication === 'post') {
      form.set('client_id', clientId);
      form.set('client_secret', this.secret);
    } else {
      // RFC 6749 §2.3.1: each part form-encoded before Basic.
      const encode = (v: string): string => encodeURIComponent(v).replace(/%20/g, '+');
      headers.authorization = `Basic ${Buffer.from(`${encode(clientId)}:${encode(this.secret)}`, 'utf8').toString('base64')}`;
    }
    let answer: { status: number; text: string };
    try {
      // Another host than the backend: its proxy and trusted CAs, not its servername or client certificate.
      this.dispatcher ??= createDispatcher(forOtherHosts(this.connection), { connections: 2, headersTimeoutMs: this.timeoutMs, bodyTimeoutMs: this.timeoutMs });
      const response = await request(tokenUrl, { method: 'POST', headers, body: form.toString(), signal: AbortSignal.timeout(this.timeoutMs), dispatcher: this.dispatcher });
      answer = { status: response.statusCode, text: await readCapped(response.body, MAX_TOKEN_ANSWER_BYTES) };
    } catch (error) {
      const code = (error as { code?: unknown; name?: unknown } | null)?.code ?? (error as { name?: unknown } | null)?.name;
      throw this.failed(`cannot reach its token endpoint ${where} (${typeof code === 'string' ? code : 'connection failed'})`, error);
    }
    let body: Record<string, unknown> = {};
    try {
      const parsed: unknown = JSON.parse(answer.text);
      if (typeof parsed === 'object' && parsed !== null) body = parsed as Record<string, unknown>;
    } catch {
      // not JSON: said below
    }
    if (answer.status !== 200) {
      const said = typeof body.error === 'string' ? `: ${body.error}${typeof body.error_description === 'string' ? ` (${body.error_description.slice(0, 200)})` : ''}` : '';
      const hint = body.error === 'invalid_client' || answer.status === 401
        ? `; check endpoints.${this.endpoint}.auth.oauth2.clientId and clientSecret` : body.error === 'invalid_scope' ? `; check endpoints.${this.endpoint}.auth.oauth2.scope` : '';
      throw this.failed(`got no access token: its token endpoint ${where} answered HTTP ${answer.status}${said}${hint}`);
    }
    const token = body.access_token;
    if (typeof token !== 'string' || token === '') throw this.failed(`got no access token: the answer of its token endpoint ${where} has no access_token`);
    const type = typeof body.token_type === 'string' ? body.token_type : 'Bearer';
    if (type.toLowerCase() !== 'bearer') throw this.failed(`got a "${type.slice(0, 40)}" token from ${where}; only Bearer tokens are sent`);
    const lifetime = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in * 1000 : DEFAULT_LIFETIME_MS;
    const value = `Bearer ${token}`;
    this.token = { value, until: Date.now() + Math.max(lifetime - EARLY_MS, lifetime / 2) };
    return value;
  }

  private failed(what: string, cause?: unknown): JunctionError {
    return new JunctionError('JCT_ENDPOINT_UNREACHABLE', `Endpoint "${this.endpoint}" ${what}`, {
      details: { endpoint: this.endpoint, tokenHost: new URL(this.settings.tokenUrl).host }, ...(cause !== undefined ? { cause } : {}),
    });
  }
}

/**
 * Reads an endpoint's `auth` (secrets at boot: JCT_CONFIG_INVALID naming the path when one cannot
 * be read). The token endpoint is reached through the endpoint's own TLS and proxy (`connection`);
 * `timeoutMs` bounds each token request (a caller waits for it only until its own deadline).
 */
export function readOutboundAuth(endpoint: string, auth: OutboundAuthConfig, baseDir: string, connection: OutboundConnection, timeoutMs: number,
  env: NodeJS.ProcessEnv = process.env): OutboundAuth {
  const where = `endpoints.${endpoint}.auth`;
  if ('basic' in auth) return new BasicAuth(auth.basic.username, readSecret(auth.basic.password, `${where}.basic.password`, baseDir, env).value);
  const secret = readSecret(auth.oauth2.clientSecret, `${where}.oauth2.clientSecret`, baseDir, env).value;
  return new ClientCredentials(endpoint, auth.oauth2, secret, connection, timeoutMs);
}

/** JCT_CONFIG_INVALID when `auth` is given together with an Authorization header in `headers`. */
export function checkAuthHeaders(endpoint: string, auth: OutboundAuthConfig | undefined, headers: Readonly<Record<string, string>>): void {
  if (auth !== undefined && Object.keys(headers).some((h) => h.toLowerCase() === 'authorization')) {
    throw new JunctionError('JCT_CONFIG_INVALID', `endpoints.${endpoint}: give auth or an Authorization header in headers, not both.`);
  }
}
