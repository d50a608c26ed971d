import { createHash } from 'node:crypto';
import { createClientAsync, type IOptions, type WSDL } from 'soap';
import type { OutboundConnection } from '../outbound-connection';
import { CapturingHttpClient } from './capturing-http-client';
import { EXACT_DESERIALIZERS } from './soap-values';

/** Longest wait for a WSDL fetched over HTTP, in milliseconds. */
export const WSDL_FETCH_TIMEOUT_MS = 30_000;

/**
 * How every WSDL is opened. Must be the same for all endpoints sharing a parsed WSDL, because
 * node-soap keeps parsing options on the WSDL object: exact numbers, and no node-soap cache
 * (this module caches, and forgets failures).
 */
function wsdlOptions(): IOptions {
  // A fresh object each time: node-soap may write into the options it is given.
  return { disableCache: true, customDeserializer: EXACT_DESERIALIZERS, wsdl_options: { timeout: WSDL_FETCH_TIMEOUT_MS } };
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

/** True when `connection` changes how a URL is fetched (TLS or a proxy). */
function isSpecial(connection: OutboundConnection): boolean {
  return connection.tls !== undefined || connection.proxy !== undefined;
}

/**
 * Parsed WSDLs by location (absolute path or URL), shared by every `soap` endpoint in the
 * process: reading and compiling a large WSDL is slow, and many endpoints call one service.
 * A failed load is forgotten so the next start() tries again.
 *
 * A WSDL URL is fetched with node-soap's own client (axios: system CAs, redirects followed),
 * unless the endpoint has `tls` or `proxy`: then over undici with them, like its calls (no
 * redirects followed), and cached apart from the same URL fetched otherwise.
 */
export class WsdlCache {
  private readonly entries = new Map<string, Promise<WSDL>>();
  /** Loads actually started (not served from the cache); tests use it. */
  loads = 0;

  /** The parsed WSDL at `location`, loading it on first use (a URL through `connection`'s TLS and proxy). */
  load(location: string, connection: OutboundConnection = {}): Promise<WSDL> {
    const special = /^https?:/i.test(location) && isSpecial(connection);
    // Keyed by a hash of the connection settings: never the PEM or proxy credentials themselves.
    const key = special ? `${location}\u0000${createHash('sha256').update(JSON.stringify(connection)).digest('hex')}` : location;
    let entry = this.entries.get(key);
    if (!entry) {
      this.loads += 1;
      entry = special ? fetchWith(location, connection) : createClientAsync(location, wsdlOptions()).then((client) => client.wsdl);
      this.entries.set(key, entry);
      entry.catch(() => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      });
    }
    return entry;
  }

  /** Number of WSDLs held (loaded or loading). */
  get size(): number {
    return this.entries.size;
  }

  /** Forgets every WSDL (endpoints already started keep their clients). */
  clear(): void {
    this.entries.clear();
  }
}

/** Loads a WSDL URL over undici with the endpoint's TLS and proxy (node-soap reads it through `httpClient`). */
async function fetchWith(location: string, connection: OutboundConnection): Promise<WSDL> {
  const http = new CapturingHttpClient(1, connection);
  try {
    // CapturingHttpClient honours a signal, not axios's `timeout`.
    const options: IOptions = { ...wsdlOptions(), httpClient: http, wsdl_options: { signal: AbortSignal.timeout(WSDL_FETCH_TIMEOUT_MS) } };
    return (await createClientAsync(location, options)).wsdl;
  } finally {
    await http.close();
  }
}

/** The process-wide cache the `soap` endpoint factory uses. */
export const sharedWsdlCache = new WsdlCache();
