import type { Element } from '@xmldom/xmldom';
import { JunctionError } from '../../core/errors';
import { WSSE_NS } from '../../security/auth/username-token';
import { isNil } from './xml-dom';

/**
 * Signed requests and the header blocks Junction acts on (docs/security.md, "Header blocks of
 * signed requests"). The signature must cover the Body and the Timestamp; with
 * `security.auth.wsSecurity.signature.requireSignedHeaders` (the default) every header Junction
 * would *act on* must be covered too — the `IdempotencyKey` and `CorrelationId` blocks, and
 * `wsa:MessageID` when it becomes the idempotency key — so that nobody between the signer and
 * Junction can make a signed order look like a repeat of an earlier one or move it to another
 * correlation. The check happens where the header is used (soap-dispatch.ts, soap-idempotency.ts),
 * so a header the request carries but Junction ignores need not be signed.
 */

/**
 * The local names of the header blocks of a signed request that its signature does not cover
 * (the `wsse:Security` block itself aside: it holds the signature; and nil blocks, which count as
 * absent). Local names, because the gateway reads simple headers by local name in any namespace
 * (`SoapCall.soapHeaders`).
 */
export function unsignedHeaderNames(blocks: readonly Element[], signed: ReadonlySet<Element>): string[] {
  return blocks
    .filter((b) => !signed.has(b) && !isNil(b) && !(b.namespaceURI === WSSE_NS && b.localName === 'Security'))
    .map((b) => b.localName ?? '');
}

/** What a SOAP call says about its signature's coverage (the field of {@link SoapCall} this module reads). */
export interface SignedCoverage {
  /** On a signed request whose acted-on headers must be signed: the local names of its unsigned header blocks. */
  readonly unsignedHeaders?: readonly string[];
}

/**
 * Throws JCT_WSS_HEADER_UNSIGNED when `call` is a signed request whose acted-on headers must be
 * signed and a header block named `name` is not covered by its signature. `use` says what
 * Junction would do with it, for the message.
 */
export function requireSignedHeader(call: SignedCoverage, name: string, use: string): void {
  if (!call.unsignedHeaders?.includes(name)) return;
  throw new JunctionError('JCT_WSS_HEADER_UNSIGNED',
    `The ${name} SOAP header is not covered by the request's signature, and Junction ${use}: sign it with the Body and the Timestamp `
    + '(WSS4J signatureParts, WCF signs WS-Addressing headers by default; docs/security.md), or leave it out.', { details: { wsseFault: 'InvalidSecurity' } });
}

/**
 * Throws JCT_WSS_HEADER_UNSIGNED for the HTTP `Idempotency-Key` header on a signed request whose
 * acted-on headers must be signed, unless a signed `IdempotencyKey` SOAP header carries the key
 * (the two must then be equal, soap-idempotency.ts): an HTTP header is never covered by the XML
 * signature, and whoever terminates TLS before Junction could set it.
 */
export function refuseUnsignedHttpKey(call: SignedCoverage & { readonly idempotencyKeyHeader?: string; readonly soapHeaders: Readonly<Record<string, string>> }): void {
  if (call.unsignedHeaders === undefined || call.idempotencyKeyHeader === undefined || call.soapHeaders.IdempotencyKey !== undefined) return;
  throw new JunctionError('JCT_WSS_HEADER_UNSIGNED',
    'The Idempotency-Key HTTP header is not covered by the request\'s XML signature, and Junction would take it as the idempotency key: '
    + 'on a signed request send the key in a signed IdempotencyKey SOAP header instead (docs/security.md).', { details: { wsseFault: 'InvalidSecurity' } });
}
