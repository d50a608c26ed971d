import { HttpClient } from 'soap';
import { request, type Dispatcher } from 'undici';
import { JunctionError } from '../../core/errors';
import { BodyTooLarge, readCapped } from '../../core/read-capped';
import { withAuthorization, type OutboundAuth } from '../outbound-auth';
import { createDispatcher, forOtherHosts, type OutboundConnection } from '../outbound-connection';

/**
 * The one way Junction fetches a WSDL given as a URL, and every XSD or WSDL it imports: undici
 * over the endpoint's TLS and proxy, following a few redirects (never from https to http), with
 * the endpoint's `auth` sent only to the WSDL URL's own origin, size capped, each document within
 * the endpoint's `timeoutMs`. node-soap reads the documents through {@link WsdlHttpClient}.
 */

/** Redirects followed for one document; one more is a loop or a misconfiguration. */
export const MAX_WSDL_REDIRECTS = 5;
/** Largest WSDL or XSD document read (large SAP WSDLs are a few MB). */
export const MAX_WSDL_BYTES = 16 * 1024 * 1024;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** What a WSDL fetch needs of its endpoint. */
export interface WsdlFetchSettings {
  /** TLS and proxy (its client certificate and servername only for the WSDL URL's own origin). */
  readonly connection: OutboundConnection;
  /** Sent as `Authorization` to the WSDL URL's origin, never to another. */
  readonly auth?: OutboundAuth;
  /** Time limit of each document, redirects, token and body included. */
  readonly timeoutMs: number;
}

/** The location of a WSDL safe to show: no user, password or query values. */
export function describeLocation(location: string): string {
  if (!/^https?:/i.test(location)) return location;
  try {
    const url = new URL(location);
    const query = url.search === '' ? '' : url.search.toLowerCase() === '?wsdl' ? url.search : '?…';
    return `${url.origin}${url.pathname}${query}`;
  } catch {
    return '(invalid URL)';
  }
}

/**
 * A WSDL document that could not be had, and what to tell the operator: `reason` says what
 * happened, `hint(where)` (where = `endpoints.<name>`) which option to change, if one would help.
 */
export class WsdlFetchError extends Error {
  constructor(readonly reason: string, readonly hint?: (where: string) => string, options?: { cause?: unknown }) {
    super(reason, options);
  }
}

/** What one GET answered, the body read only when it is the document. */
type Answer = { readonly status: number; readonly location?: string; readonly text?: string };

/**
 * node-soap's HTTP client for reading one WSDL and its imports (node-soap hands this client on to
 * every import it opens). Each document answered with 200 after at most {@link MAX_WSDL_REDIRECTS}
 * redirects is handed to node-soap, any other outcome fails the load with a
 * {@link WsdlFetchError}. `overrideImportLocation` resolves relative imports against the URL a
 * document was finally read from, as a browser would, not the one that redirected there.
 */
export class WsdlHttpClient extends HttpClient {
  /** The WSDL URL as configured (normalised), and its origin: the only one given the credentials (none for a WSDL file). */
  private readonly start: string | undefined;
  private readonly origin: string | undefined;
  private readonly finalUrls = new Map<string, string>();
  /** To the WSDL URL's origin: the endpoint's TLS, client certificate and servername. */
  private own: Dispatcher | undefined;
  /** To any other origin: the proxy and trusted CAs only. */
  private others: Dispatcher | undefined;

  /**
   * `location`: the WSDL URL, or undefined for a WSDL file whose imports name URLs: those are then
   * fetched the same way, but as from another origin (no credentials, no client certificate).
   */
  constructor(location: string | undefined, private readonly settings: WsdlFetchSettings) {
    super();
    const url = location === undefined ? undefined : new URL(location);
    this.start = url?.href;
    this.origin = url?.origin;
  }

  /** Relative imports against the redirect's target; node-soap's `wsdl_options.overrideImportLocation`. */
  readonly overrideImportLocation = (resolved: string, parent: string, location: string): string => {
    const base = this.finalUrls.get(parent);
    return base === undefined ? resolved : new URL(location, base).toString();
  };

  async close(): Promise<void> {
    await Promise.all([this.own?.close(), this.others?.close()]);
  }

  override request(url: string, _data: unknown, callback: (error: unknown, res?: unknown, body?: unknown) => unknown): ReturnType<HttpClient['request']> {
    const done = this.fetch(url).then((text) => {
      const response = { status: 200, headers: {}, data: text };
      callback(null, response, text);
      return response;
    }, (error: unknown) => {
      callback(error);
      return undefined;
    });
    return done as unknown as ReturnType<HttpClient['request']>;
  }

  /** The text of the document at `target`, following redirects; its final URL noted for its imports. */
  private async fetch(target: string): Promise<string> {
    const { timeoutMs } = this.settings;
    const deadline = Date.now() + timeoutMs;
    const signal = AbortSignal.timeout(timeoutMs);
    let url = new URL(target);
    for (let redirects = 0; ; redirects += 1) {
      const who = url.href === this.start ? 'it' : describeLocation(url.href);
      let answer: Answer;
      try {
        answer = await this.get(url, signal, deadline);
      } catch (error) {
        throw this.transportFailure(who, error, signal);
      }
      if (answer.text !== undefined) {
        this.finalUrls.set(target, url.href);
        return answer.text;
      }
      if (!REDIRECT_STATUSES.has(answer.status)) throw this.statusFailure(who, url, answer.status);
      url = this.redirectTarget(who, url, answer, redirects);
    }
  }

  /** One GET: with the endpoint's Authorization (one more try with a fresh token after a 401) on the WSDL's origin only. */
  private async get(url: URL, signal: AbortSignal, deadline: number): Promise<Answer> {
    const own = url.origin === this.origin;
    const dispatcher = own ? (this.own ??= this.dispatcher(this.settings.connection)) : (this.others ??= this.dispatcher(forOtherHosts(this.settings.connection)));
    const once = async (authorization: string | undefined): Promise<Answer> => {
      const response = await request(url, {
        method: 'GET', signal, dispatcher,
        headers: { accept: 'text/xml, application/xml, application/wsdl+xml, */*;q=0.5', ...(authorization !== undefined ? { authorization } : {}) },
      });
      if (response.statusCode === 200) return { status: 200, text: await readCapped(response.body, MAX_WSDL_BYTES) };
      await response.body.dump();
      const location = response.headers.location;
      return { status: response.statusCode, ...(typeof location === 'string' ? { location } : {}) };
    };
    return withAuthorization(own ? this.settings.auth : undefined, deadline, once, (outcome) => 'result' in outcome && outcome.result.status === 401);
  }

  private dispatcher(connection: OutboundConnection): Dispatcher {
    const { timeoutMs } = this.settings;
    return createDispatcher(connection, { connections: 2, headersTimeoutMs: timeoutMs, bodyTimeoutMs: timeoutMs, connectTimeoutMs: timeoutMs });
  }

  /** Where a redirect leads, if Junction follows it: http(s) only, never from https down to http, at most MAX_WSDL_REDIRECTS. */
  private redirectTarget(who: string, from: URL, answer: Answer, redirects: number): URL {
    const finalUrl = (where: string): string => `give the final URL in ${where}.wsdl`;
    if (answer.location === undefined) throw new WsdlFetchError(`${who} answered HTTP ${answer.status} without a Location`);
    if (redirects >= MAX_WSDL_REDIRECTS) throw new WsdlFetchError(`${who} was redirected more than ${MAX_WSDL_REDIRECTS} times (a redirect loop?)`, finalUrl);
    let to: URL;
    try {
      to = new URL(answer.location, from);
    } catch {
      throw new WsdlFetchError(`${who} redirected to an invalid URL`);
    }
    if (to.protocol !== 'http:' && to.protocol !== 'https:') throw new WsdlFetchError(`${who} redirected to a ${to.protocol} URL, which is not fetched`, finalUrl);
    if (from.protocol === 'https:' && to.protocol === 'http:') {
      throw new WsdlFetchError(`${who} redirected from https to plain http (${describeLocation(to.href)}), which is not followed`, (where) => `serve the WSDL over https, or give its http URL in ${where}.wsdl if plain http is really meant`);
    }
    return to;
  }

  /** The failure for an answer that is neither the document nor a redirect. */
  private statusFailure(who: string, url: URL, status: number): WsdlFetchError {
    if (status !== 401 && status !== 403) return new WsdlFetchError(`${who} answered HTTP ${status} instead of the WSDL`, (where) => `check ${where}.wsdl`);
    const refused = `${who} answered HTTP ${status}`;
    if (this.origin === undefined) {
      return new WsdlFetchError(`${refused}; what a WSDL file imports by URL is fetched without credentials`, (where) => `keep a local copy of it beside the file ${where}.wsdl names`);
    }
    if (this.settings.auth === undefined) return new WsdlFetchError(refused, (where) => `if it asks for credentials, give them in ${where}.auth`);
    if (url.origin !== this.origin) {
      return new WsdlFetchError(`${refused}; the endpoint's auth is sent to ${this.origin} (the WSDL URL's origin) only, not to ${url.origin}`,
        (where) => `give the URL the WSDL is finally served from in ${where}.wsdl, or keep a local copy`);
    }
    return new WsdlFetchError(`${refused} to the credentials sent`, (where) => `check ${where}.auth`);
  }

  /** A GET that got no answer: the deadline, the size cap, or the connection (its error in `cause`: TLS and proxy failures are read from it). */
  private transportFailure(who: string, error: unknown, signal: AbortSignal): Error {
    if (error instanceof WsdlFetchError || error instanceof JunctionError) return error; // JunctionError: from the token endpoint, already clear
    if (error instanceof BodyTooLarge) return new WsdlFetchError(`${who} is larger than ${MAX_WSDL_BYTES / 1024 / 1024} MiB`, (where) => `keep a local copy and give its path in ${where}.wsdl`);
    const code = (error as { code?: unknown } | null)?.code;
    if (signal.aborted || (typeof code === 'string' && TIMEOUT_CODES.has(code))) {
      return new WsdlFetchError(`${who} did not arrive within ${this.settings.timeoutMs} ms`, (where) => `raise ${where}.timeoutMs, or keep a local copy and give its path in ${where}.wsdl`, { cause: error });
    }
    const reason = typeof code === 'string' ? code : 'connection failed';
    return new WsdlFetchError(who === 'it' ? `no answer (${reason})` : `${who} gave no answer (${reason})`, undefined, { cause: error });
  }
}
