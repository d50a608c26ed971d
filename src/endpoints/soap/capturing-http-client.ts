import { HttpClient, type IExOptions, type IHeaders } from 'soap';
import type { RequestPreview } from '../../core/endpoint';

/** What node-soap's `HttpClient.request` returns (an axios promise; axios is node-soap's, not ours). */
type RequestResult = ReturnType<HttpClient['request']>;

/**
 * node-soap's own HTTP client, able to capture a call instead of sending it. A call whose options
 * object was registered with {@link CapturingHttpClient.capture} is built by the same
 * `buildRequest` a real call uses (same URL, headers and body bytes), handed to the capture, and
 * never sent: node-soap gets no answer for it, so nothing else happens. Every other call is sent
 * exactly as node-soap's default client sends it.
 */
export class CapturingHttpClient extends HttpClient {
  private readonly captures = new WeakMap<object, (request: RequestPreview) => void>();

  /** The next request made with `options` (the same object) goes to `onRequest` instead of the network. */
  capture(options: object, onRequest: (request: RequestPreview) => void): void {
    this.captures.set(options, onRequest);
  }

  override request(
    rurl: string,
    data: unknown,
    callback: (error: unknown, res?: unknown, body?: unknown) => unknown,
    exheaders?: IHeaders,
    exoptions?: IExOptions,
  ): RequestResult {
    const onRequest = exoptions === undefined ? undefined : this.captures.get(exoptions);
    if (!onRequest || exoptions === undefined) return super.request(rurl, data, callback, exheaders, exoptions);
    this.captures.delete(exoptions);
    const built = this.buildRequest(rurl, data, exheaders, exoptions) as { url: string; method: string; headers: Record<string, unknown>; data: unknown };
    const headers = Object.fromEntries(Object.entries(built.headers).map(([name, value]) => [name, String(value)]));
    onRequest({ method: built.method, url: built.url, headers, body: typeof built.data === 'string' ? built.data : String(built.data) });
    // Never settles: the call was only built, so there is no answer to give node-soap.
    return new Promise<never>(() => undefined) as RequestResult;
  }
}
