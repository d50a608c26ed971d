import { tlsFetch, tlsHint, type AdminTls, type FetchFunction } from './admin-tls';
import { CLI_EXIT, CliStop, type CliExitCode } from './exit-codes';

/**
 * Where a running Junction's admin API is and who is asking: `--url`/`JUNCTION_URL`, and either
 * `--token`/`JUNCTION_TOKEN` (an admin token or a bearer JWT) or `--api-key`/`JUNCTION_API_KEY`
 * (a client's API key, sent in `JUNCTION_API_KEY_HEADER`, default `X-Api-Key`), and/or a TLS
 * client certificate (`--cert`/`--key`, `JUNCTION_CERT`/`JUNCTION_KEY`) with the CA of Junction's
 * server certificate (`--ca`/`JUNCTION_CA`). A token or key sent with a certificate decides who calls.
 */
export interface AdminTarget {
  readonly url: string;
  readonly token?: string;
  readonly apiKey?: { readonly header: string; readonly key: string };
  readonly tls?: AdminTls;
}

/** The connection options every operator command takes. */
export interface ConnectionOptions {
  readonly url?: string;
  readonly token?: string;
  readonly apiKey?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly ca?: string;
}

/** The TLS files from options, then the environment (each on its own); undefined when none is given. */
function tlsOf(options: ConnectionOptions, env: NodeJS.ProcessEnv, url: string): AdminTls | undefined {
  const pick = (option: string | undefined, variable: string | undefined): string | undefined => option ?? (variable || undefined);
  const cert = pick(options.cert, env.JUNCTION_CERT);
  const key = pick(options.key, env.JUNCTION_KEY);
  const ca = pick(options.ca, env.JUNCTION_CA);
  if (cert === undefined && key === undefined && ca === undefined) return undefined;
  if ((cert === undefined) !== (key === undefined)) throw new CliStop(CLI_EXIT.USAGE, 'Give a client certificate and its key together: --cert and --key (or JUNCTION_CERT and JUNCTION_KEY).');
  if (!url.startsWith('https://')) throw new CliStop(CLI_EXIT.USAGE, `--cert, --key and --ca need an https:// URL (got "${url}").`);
  return { ...(cert !== undefined ? { cert } : {}), ...(key !== undefined ? { key } : {}), ...(ca !== undefined ? { ca } : {}) };
}

/** The target from options, then the environment, then the demo's default URL. */
export function adminTarget(options: ConnectionOptions, env: NodeJS.ProcessEnv = process.env): AdminTarget {
  const url = (options.url ?? (env.JUNCTION_URL || 'http://127.0.0.1:8080')).replace(/\/+$/, ''); // an empty variable counts as unset
  if (!/^https?:\/\//.test(url)) throw new CliStop(CLI_EXIT.USAGE, `--url must be an http(s) URL of a running Junction (got "${url}").`);
  if (options.token !== undefined && options.apiKey !== undefined) throw new CliStop(CLI_EXIT.USAGE, 'Give --token or --api-key, not both.');
  // An option beats the environment; in the environment a token beats an API key.
  const token = options.apiKey === undefined ? options.token ?? env.JUNCTION_TOKEN : undefined;
  const key = token ? undefined : options.apiKey ?? env.JUNCTION_API_KEY;
  const tls = tlsOf(options, env, url);
  return { url, ...(token ? { token } : {}), ...(key ? { apiKey: { header: env.JUNCTION_API_KEY_HEADER || 'X-Api-Key', key } } : {}), ...(tls ? { tls } : {}) };
}

/** The exit code an API answer's status means. */
function exitFor(status: number): CliExitCode {
  if (status === 401 || status === 403) return CLI_EXIT.AUTH;
  if (status === 404) return CLI_EXIT.NOT_FOUND;
  if (status >= 500) return CLI_EXIT.UNAVAILABLE;
  if (status === 400) return CLI_EXIT.USAGE;
  return CLI_EXIT.FAILED;
}

/** An API error as the CLI reports it: problem+json's code, detail and violations. */
export class ApiError extends CliStop {
  constructor(readonly status: number, readonly problem: Record<string, unknown>) {
    const violations = Array.isArray(problem.violations)
      ? (problem.violations as { path?: string; message?: string }[]).map((v) => `\n  - ${v.path || '(root)'}: ${v.message}`).join('') : '';
    super(exitFor(status), `${String(problem.code ?? `HTTP ${status}`)}: ${String(problem.detail ?? problem.title ?? 'request failed')}${violations}`);
    this.name = 'ApiError';
  }
}

/** A small client of the admin API (Node's fetch; undici's with TLS options). Every failure is a CliStop with the right exit code. */
export class AdminClient {
  private send?: Promise<FetchFunction>;

  constructor(private readonly target: AdminTarget) {}

  get base(): string {
    return this.target.url;
  }

  async get<T>(path: string, query: Record<string, string | number | boolean | undefined> = {}): Promise<T> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(key, String(value));
    const text = params.toString();
    return this.call<T>('GET', `${path}${text ? `?${text}` : ''}`);
  }

  async post<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>('POST', path, body);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const { token, apiKey, tls } = this.target;
    if (!token && !apiKey && tls?.cert === undefined) {
      throw new CliStop(CLI_EXIT.AUTH, 'No credentials: set JUNCTION_TOKEN (an admin token or a JWT), JUNCTION_API_KEY or JUNCTION_CERT and JUNCTION_KEY (a client certificate), or pass --token / --api-key / --cert and --key (docs/operators.md says where they come from).');
    }
    const credentials: Record<string, string> = apiKey ? { [apiKey.header]: apiKey.key } : token ? { authorization: `Bearer ${token}` } : {};
    const send = await (this.send ??= tls ? tlsFetch(tls) : Promise.resolve(fetch));
    let response: Response;
    try {
      response = await send(`${this.target.url}/admin/api${path}`, {
        method,
        headers: { ...credentials, accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(60_000),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      const hint = this.target.url.startsWith('https://') ? tlsHint(cause) : undefined;
      throw new CliStop(CLI_EXIT.UNAVAILABLE, `Junction at ${this.target.url} could not be reached (${cause}). ${hint ? `${hint}.` : 'Is it running? Check --url / JUNCTION_URL.'}`);
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text === '' ? {} : JSON.parse(text);
    } catch {
      throw new CliStop(exitFor(response.status === 200 ? 502 : response.status), `${this.target.url} did not answer like Junction's admin API (HTTP ${response.status}).`);
    }
    if (!response.ok) throw new ApiError(response.status, json as Record<string, unknown>);
    return json as T;
  }
}
