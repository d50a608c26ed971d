/** Small HTTP helpers for tests (global fetch). */

/** A parsed response: status, headers and the body both as text and, when JSON, parsed. */
export interface TestResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly json: Record<string, unknown>;
}

/** Sends a request and reads the whole answer. */
export async function request(url: string, init: RequestInit = {}): Promise<TestResponse> {
  const response = await fetch(url, init);
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON; tests look at text
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** POSTs a JSON text body (sent exactly as given). */
export function postJson(url: string, body: string, headers: Record<string, string> = {}): Promise<TestResponse> {
  return request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

/** Polls `probe` until it returns a value or the time is up. */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A valid demo order with the given id. */
export function sampleOrder(orderId: string, amount = '"250.00"'): string {
  return `{"orderId":"${orderId}","customerId":"C-42","amount":${amount},"currency":"EUR","lines":[{"sku":"WIDGET-1","qty":2,"price":"125.00"}]}`;
}
