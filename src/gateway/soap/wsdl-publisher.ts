import type { IncomingHttpHeaders } from 'node:http';
import type { Document, Element } from '@xmldom/xmldom';
import { NS } from './soap-namespaces';
import type { PublishedDocument, WsdlService } from './wsdl-service';
import { serializeXml } from './xml-dom';

const HOST = /^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

function firstValue(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  return value?.split(',')[0]?.trim() || undefined;
}

/**
 * The URL the caller used to reach `path`: scheme and host from `X-Forwarded-Proto` /
 * `X-Forwarded-Host` when a proxy set them, else from the connection and the `Host` header.
 * Values that are not a plain scheme or host are ignored (they end up in the WSDL).
 */
export function callerUrl(headers: IncomingHttpHeaders, encrypted: boolean, path: string): string {
  const forwardedProto = firstValue(headers['x-forwarded-proto'])?.toLowerCase();
  const proto = forwardedProto === 'http' || forwardedProto === 'https' ? forwardedProto : encrypted ? 'https' : 'http';
  const host = [firstValue(headers['x-forwarded-host']), firstValue(headers.host)].find((h) => h !== undefined && HOST.test(h)) ?? 'localhost';
  return `${proto}://${host}${path}`;
}

function rewrite(element: Element, published: PublishedDocument, endpoint: string): void {
  const stack: Element[] = [element];
  while (stack.length > 0) {
    const current = stack.pop()!;
    const ns = current.namespaceURI;
    if (ns === NS.xsd && (current.localName === 'import' || current.localName === 'include')) {
      const name = published.locations.get(current.getAttribute('schemaLocation') ?? '');
      if (name !== undefined) current.setAttribute('schemaLocation', `${endpoint}?xsd=${encodeURIComponent(name)}`);
    } else if ((ns === NS.wsdlSoap11 || ns === NS.wsdlSoap12) && current.localName === 'address') {
      current.setAttribute('location', endpoint);
    }
    for (let child = current.lastChild; child; child = child.previousSibling) {
      if (child.nodeType === 1) stack.push(child as Element);
    }
  }
}

/** The document's text with addresses and schemaLocations pointing at `endpoint` (the caller's URL of the service). */
export function renderPublished(published: PublishedDocument, endpoint: string): string {
  const copy = published.document.cloneNode(true) as Document;
  if (copy.documentElement) rewrite(copy.documentElement, published, endpoint);
  return serializeXml(copy);
}

/** The WSDL (`?wsdl`) or one of its XSDs (`?xsd=<name>`) named by a query string; undefined when it names nothing served. */
export function publishedFor(service: WsdlService, query: URLSearchParams): PublishedDocument | undefined {
  for (const [key, value] of query) {
    const lower = key.toLowerCase();
    if (lower === 'wsdl') return service.wsdl;
    if (lower === 'xsd') return service.schemas.get(value);
  }
  return undefined;
}
