import { createHash } from 'node:crypto';
import { JunctionError } from '../core/errors';
import { checkIdempotencyKey, isStorableIdempotencyKey } from './message-intake';
import type { SoapCall } from './soap/soap-gateway';
import { refuseUnsignedHttpKey, requireSignedHeader } from './soap/signed-headers';

/**
 * Where a SOAP service takes idempotency keys from (`soap.services.<name>.idempotency`):
 * `key` — only keys a caller sends on purpose (the HTTP `Idempotency-Key` header, the
 * `IdempotencyKey` SOAP header); `messageId` — those, else the WS-Addressing `wsa:MessageID`.
 */
export type SoapIdempotency = 'key' | 'messageId';

/**
 * The "no message id" values WS-Addressing 1.0 and the August 2004 submission define: a stack
 * that writes one of them as its MessageID sends it on every message, so it names none.
 */
const UNSPECIFIED = new Set([
  'http://www.w3.org/2005/08/addressing/unspecified',
  'http://schemas.xmlsoap.org/ws/2004/08/addressing/id/unspecified',
]);

/**
 * The idempotency key a wsa:MessageID gives: the MessageID itself when it is 1 to 255 visible
 * ASCII characters (`urn:uuid:…`, what every common stack writes), else `sha256:` and the hex
 * SHA-256 of its UTF-8 text. A MessageID is an IRI of any length, so a longer one or one with
 * non-ASCII characters is valid WS-Addressing: it is hashed to fit the log's column, not refused.
 */
export function messageIdKey(messageId: string): string {
  return isStorableIdempotencyKey(messageId) ? messageId : `sha256:${createHash('sha256').update(messageId, 'utf8').digest('hex')}`;
}

/**
 * The idempotency key of a SOAP call, or undefined for none. A key the caller sends on purpose
 * wins: the HTTP `Idempotency-Key` header, or the `IdempotencyKey` SOAP header (both may be sent
 * only if they are equal). Without one, and with `mode` `messageId`, the request's wsa:MessageID
 * (see {@link messageIdKey}; the "unspecified" id counts as none). Throws JCT_REQUEST_MALFORMED for
 * a key that is not 1 to 255 visible ASCII characters, or two keys that differ; and
 * JCT_WSS_HEADER_UNSIGNED when, on a signed request, the key would come from a header its
 * signature does not cover (signed-headers.ts).
 */
export function soapIdempotencyKey(call: SoapCall, mode: SoapIdempotency): string | undefined {
  if (call.soapHeaders.IdempotencyKey !== undefined) requireSignedHeader(call, 'IdempotencyKey', 'would take it as the idempotency key');
  refuseUnsignedHttpKey(call);
  const header = checkIdempotencyKey(call.idempotencyKeyHeader, 'The Idempotency-Key HTTP header');
  const element = checkIdempotencyKey(call.soapHeaders.IdempotencyKey, 'The IdempotencyKey SOAP header');
  if (header !== undefined && element !== undefined && header !== element) {
    throw new JunctionError('JCT_REQUEST_MALFORMED',
      `The Idempotency-Key HTTP header ("${header.slice(0, 100)}") and the IdempotencyKey SOAP header ("${element.slice(0, 100)}") differ; send one key, or the same in both.`);
  }
  const explicit = header ?? element;
  if (explicit !== undefined || mode !== 'messageId') return explicit;
  const messageId = call.addressingMessageId;
  if (messageId === undefined || UNSPECIFIED.has(messageId)) return undefined;
  requireSignedHeader(call, 'MessageID', 'would take it as the idempotency key (soap.services.<name>.idempotency: messageId)');
  return messageIdKey(messageId);
}
