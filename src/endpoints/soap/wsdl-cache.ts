import { createClientAsync, type IOptions, type WSDL } from 'soap';
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

/**
 * Parsed WSDLs by location (absolute path or URL), shared by every `soap` endpoint in the
 * process: reading and compiling a large WSDL is slow, and many endpoints call one service.
 * A failed load is forgotten so the next start() tries again.
 */
export class WsdlCache {
  private readonly entries = new Map<string, Promise<WSDL>>();
  /** Loads actually started (not served from the cache); tests use it. */
  loads = 0;

  /** The parsed WSDL at `location`, loading it on first use. */
  load(location: string): Promise<WSDL> {
    let entry = this.entries.get(location);
    if (!entry) {
      this.loads += 1;
      entry = createClientAsync(location, wsdlOptions()).then((client) => client.wsdl);
      this.entries.set(location, entry);
      entry.catch(() => {
        if (this.entries.get(location) === entry) this.entries.delete(location);
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

/** The process-wide cache the `soap` endpoint factory uses. */
export const sharedWsdlCache = new WsdlCache();
