/** The console's client of the admin API: the operator's token lives in this tab's sessionStorage only. */

const TOKEN_KEY = 'junction.token';

/** An error the API answered with (problem+json). */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, detail: string) {
    super(`${code}: ${detail}`);
  }
}

export function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value: string | null): void {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** Calls /admin/api; throws ApiError for a problem answer (a 401 forgets the token). */
export async function api<T>(path: string, body?: unknown): Promise<T> {
  const response = await fetch(`../admin/api${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${token() ?? ''}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = await response.json().catch(() => ({})) as Record<string, unknown>;
  if (!response.ok) {
    if (response.status === 401) setToken(null);
    const violations = Array.isArray(json.violations) ? ` (${(json.violations as { path: string; message: string }[]).map((v) => `${v.path || '/'} ${v.message}`).join('; ')})` : '';
    throw new ApiError(response.status, String(json.code ?? response.status), `${String(json.detail ?? response.statusText)}${violations}`);
  }
  return json as T;
}

/** Query text from an object, skipping empty values. */
export function query(params: Record<string, string | undefined>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) search.set(k, v);
  const text = search.toString();
  return text ? `?${text}` : '';
}
