import { createHash } from 'node:crypto';
import { createClientAsync, type IOptions, type WSDL } from 'soap';
import { EXACT_DESERIALIZERS } from './soap-values';
import { WsdlHttpClient, type WsdlFetchSettings } from './wsdl-fetch';

/**
 * How every WSDL is opened. Must be the same for all endpoints sharing a parsed WSDL, because
 * node-soap keeps parsing options on the WSDL object: exact numbers, and no node-soap cache
 * (this module caches, and forgets failures).
 */
function wsdlOptions(): IOptions {
  // A fresh object each time: node-soap may write into the options it is given.
  return { disableCache: true, customDeserializer: EXACT_DESERIALIZERS };
}

function isUrl(location: string): boolean {
  return /^https?:/i.test(location);
}

/**
 * Parsed WSDLs by location (absolute path or URL), shared by every `soap` endpoint in the
 * process: reading and compiling a large WSDL is slow, and many endpoints call one service.
 * A failed load is forgotten so the next start() tries again.
 *
 * A WSDL URL, and every document it imports, is fetched by {@link WsdlHttpClient} (undici, the
 * endpoint's TLS, proxy and auth, redirects followed with care), and cached per TLS and proxy
 * settings and credentials: an endpoint never uses a WSDL fetched with credentials it lacks. A
 * WSDL file's imports by URL go through the same client, with the same limits, without auth.
 */
export class WsdlCache {
  private readonly entries = new Map<string, Promise<WSDL>>();
  /** Loads actually started (not served from the cache); tests use it. */
  loads = 0;

  /**
   * The parsed WSDL at `location`, loading it on first use (a URL as `settings` say; a load
   * already under way for the same URL and settings is shared, with the time limit it began with).
   */
  load(location: string, settings: WsdlFetchSettings): Promise<WSDL> {
    const url = isUrl(location);
    // Keyed by digests of the connection settings and credentials: never the PEM, proxy credentials or password themselves.
    const key = url ? [location, createHash('sha256').update(JSON.stringify(settings.connection)).digest('hex'), settings.auth?.key ?? ''].join('\u0000') : location;
    let entry = this.entries.get(key);
    if (!entry) {
      this.loads += 1;
      // A file's imports may name URLs: the same client fetches them, without the endpoint's auth.
      entry = fetchAndParse(location, url ? settings : { connection: settings.connection, timeoutMs: settings.timeoutMs });
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

/** Loads a WSDL (URL or file): node-soap reads it and every import by URL through one {@link WsdlHttpClient}. */
async function fetchAndParse(location: string, settings: WsdlFetchSettings): Promise<WSDL> {
  const http = new WsdlHttpClient(isUrl(location) ? location : undefined, settings);
  try {
    const options: IOptions = { ...wsdlOptions(), httpClient: http, wsdl_options: { overrideImportLocation: http.overrideImportLocation } };
    return (await createClientAsync(location, options)).wsdl;
  } finally {
    await http.close();
  }
}

/** The process-wide cache the `soap` endpoint factory uses. */
export const sharedWsdlCache = new WsdlCache();
