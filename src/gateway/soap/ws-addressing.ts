import { randomUUID } from 'node:crypto';
import type { Element } from '@xmldom/xmldom';
import { JunctionError } from '../../core/errors';
import { childElements, clark, ownText } from './xml-dom';

/**
 * WS-Addressing on the SOAP gateway, for callers whose stack sends it (JAX-WS/CXF with
 * `@Addressing`, WCF custom bindings with `Soap11WSAddressing10`/`Soap12WSAddressing10` or the
 * August 2004 version): its headers are understood (mustUnderstand is fine), the answer comes
 * back on the same HTTP connection with `wsa:Action`, a `wsa:MessageID` of its own and
 * `wsa:RelatesTo` the request's MessageID, and a fault carries the fault action. Replies to
 * another address (`wsa:ReplyTo`/`FaultTo` other than anonymous: asynchronous callbacks) are not
 * offered and are refused up front. A request without WS-Addressing headers is answered without.
 */

/** WS-Addressing 1.0 (W3C) and the August 2004 submission WCF still offers. */
const VERSIONS = {
  '2005/08': { ns: 'http://www.w3.org/2005/08/addressing', anonymous: 'http://www.w3.org/2005/08/addressing/anonymous', none: 'http://www.w3.org/2005/08/addressing/none', fault: 'http://www.w3.org/2005/08/addressing/soap/fault' },
  '2004/08': { ns: 'http://schemas.xmlsoap.org/ws/2004/08/addressing', anonymous: 'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous', none: undefined, fault: 'http://schemas.xmlsoap.org/ws/2004/08/addressing/fault' },
} as const;
type AddressingVersion = (typeof VERSIONS)[keyof typeof VERSIONS];

const HEADERS = ['Action', 'MessageID', 'To', 'ReplyTo', 'FaultTo', 'From', 'RelatesTo'] as const;

/** The header blocks (`{ns}local`) the gateway understands once WS-Addressing is read. */
export const ADDRESSING_HEADERS: readonly string[] = Object.values(VERSIONS).flatMap((v) => HEADERS.map((h) => clark(v.ns, h)));

/** What a request said with WS-Addressing. */
export interface Addressing {
  readonly version: AddressingVersion;
  readonly action?: string;
  readonly messageId?: string;
}

function addressOf(block: Element): string {
  const address = childElements(block).find((c) => c.localName === 'Address' && c.namespaceURI === block.namespaceURI);
  return address ? ownText(address).trim() : '';
}

/**
 * The request's WS-Addressing, or undefined when it has none. Throws JCT_REQUEST_MALFORMED (a
 * Client fault) for a header given twice, two versions mixed, or a reply or fault address other
 * than anonymous.
 */
export function readAddressing(blocks: readonly Element[]): Addressing | undefined {
  const found = new Map<string, Element>();
  let version: AddressingVersion | undefined;
  for (const block of blocks) {
    const match = Object.values(VERSIONS).find((v) => v.ns === block.namespaceURI);
    if (!match) continue;
    if (version && version !== match) throw new JunctionError('JCT_REQUEST_MALFORMED', 'The request mixes two versions of WS-Addressing; use one.');
    version = match;
    const name = block.localName ?? '';
    if (found.has(name) && name !== 'RelatesTo') throw new JunctionError('JCT_REQUEST_MALFORMED', `The WS-Addressing header ${name} is given twice.`);
    found.set(name, block);
  }
  if (!version) return undefined;
  for (const name of ['ReplyTo', 'FaultTo'] as const) {
    const block = found.get(name);
    if (!block) continue;
    const address = addressOf(block);
    if (address !== version.anonymous && address !== version.none) {
      throw new JunctionError('JCT_REQUEST_MALFORMED',
        `wsa:${name} is "${address.slice(0, 200)}": Junction answers on the same connection only; send the anonymous address ${version.anonymous} (or leave ${name} out).`);
    }
  }
  const text = (name: string): string | undefined => {
    const block = found.get(name);
    const value = block ? ownText(block).trim() : '';
    return value === '' ? undefined : value;
  };
  const action = text('Action');
  const messageId = text('MessageID');
  return { version, ...(action !== undefined ? { action } : {}), ...(messageId !== undefined ? { messageId } : {}) };
}

function escape(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The WS-Addressing header blocks of an answer (`action`) or a fault (no action: the fault action). */
export function answerHeaders(request: Addressing, action?: string): string {
  const { ns } = request.version;
  const element = (name: string, value: string): string => `<wsa:${name} xmlns:wsa="${ns}">${escape(value)}</wsa:${name}>`;
  return element('Action', action ?? request.version.fault)
    + element('MessageID', `urn:uuid:${randomUUID()}`)
    + (request.messageId !== undefined ? element('RelatesTo', request.messageId) : '')
    + element('To', request.version.anonymous);
}
