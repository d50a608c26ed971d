import { CLI_EXIT, CliStop, type CliExitCode } from './exit-codes';

/**
 * Where a running Junction's admin API is and who is asking: `--url`/`JUNCTION_URL`, and either
 * `--token`/`JUNCTION_TOKEN` (an admin token or a bearer JWT) or `--api-key`/`JUNCTION_API_KEY`
 * (a client's API key, sent in `JUNCTION_API_KEY_HEADER`, default `X-Api-Key`).
 */
export interface AdminTarget {
  readonly url: string;
  readonly token?: string;
  readonly apiKey?: { readonly header: string; readonly key: string };
}

/** The connection options every operator command takes. */
export interface ConnectionOptions {
  readonly url?: string;
  readonly token?: string;
  readonly apiKey?: string;
}

/** The target from options, then the environment, then the demo's default URL. */
export function adminTarget(options: ConnectionOptions, env: NodeJS.ProcessEnv = process.env): AdminTarget {
  const url = (options.url ?? env.JUNCTION_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
  if (!/^https?:\/\//.test(url)) throw new CliStop(CLI_EXIT.USAGE, `--url must be an http(s) URL of a running Junction (got "${url}").`);
  if (options.token !== undefined && options.apiKey !== undefined) throw new CliStop(CLI_EXIT.USAGE, 'Give --token or --api-key, not both.');
  // An option beats the environment; in the environment a token beats an API key.
  const token = options.apiKey === undefined ? options.token ?? env.JUNCTION_TOKEN : undefined;
  const key = token ? undefined : options.apiKey ?? env.JUNCTION_API_KEY;
  return { url, ...(token ? { token } : {}), ...(key ? { apiKey: { header: env.JUNCTION_API_KEY_HEADER || 'X-Api-Key', key } } : {}) };
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

/** A small client of the admin API (global fetch). Every failure is a CliStop with the right exit code. */
export class AdminClient {
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
    const { token, apiKey } = this.target;
    if (!token && !apiKey) {
      throw new CliStop(CLI_EXIT.AUTH, 'No credentials: set JUNCTION_TOKEN (an admin token or a JWT) or JUNCTION_API_KEY, or pass --token / --api-key (docs/operators.md says where they come from).');
    }
    const credentials: Record<string, string> = apiKey ? { [apiKey.header]: apiKey.key } : { authorization: `Bearer ${token}` };
    let response: Response;
    try {
      response = await fetch(`${this.target.url}/admin/api${path}`, {
        method,
        headers: { ...credentials, accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(60_000),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      throw new CliStop(CLI_EXIT.UNAVAILABLE, `Junction at ${this.target.url} could not be reached (${cause}). Is it running? Check --url / JUNCTION_URL.`);
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
