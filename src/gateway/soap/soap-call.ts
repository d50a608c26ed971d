import type { Principal } from '../../security/auth/principal';
import type { SoapVersion } from './soap-namespaces';

/** A checked SOAP request, handed to {@link SoapDispatch}. */
export interface SoapCall {
  /** Junction's name of the service (`crm`). */
  readonly service: string;
  /** WSDL operation name (`UpsertCustomer`). */
  readonly operation: string;
  /** True for an input-only operation: the caller hears HTTP 202 once dispatch resolves. */
  readonly oneWay: boolean;
  readonly version: SoapVersion;
  /** JSON text of the request element's content; leaf values are strings exactly as sent. */
  readonly payload: string;
  /** Local name → text of each simple SOAP header element (e.g. `MessageId`). */
  readonly soapHeaders: Readonly<Record<string, string>>;
  /** The HTTP request id (X-Request-Id), for logs and faults. */
  readonly requestId: string;
  /** The caller's W3C `traceparent` and `tracestate` HTTP headers, when it sent them. */
  readonly traceparent?: string;
  readonly tracestate?: string;
  /** The authenticated caller (absent when authentication is off and none was sent). */
  readonly principal?: Principal;
  /** The HTTP `Idempotency-Key` header as sent (unchecked), when there is one. */
  readonly idempotencyKeyHeader?: string;
  /** The request's WS-Addressing `wsa:MessageID` (trimmed, unchecked), when it has one. */
  readonly addressingMessageId?: string;
  /**
   * On a signed request whose acted-on headers must be signed (`signature.requireSignedHeaders`):
   * the local names of the header blocks its signature does not cover (signed-headers.ts).
   */
  readonly unsignedHeaders?: readonly string[];
}

/**
 * What dispatch answers: `accepted` for a one-way operation (durable, will be processed), or the
 * `reply` of a request-response operation as the JSON text of the response element's content.
 * `replayed`: the answer is an earlier request's (same idempotency key); the gateway then sends
 * `Idempotent-Replayed: true`.
 */
export type SoapOutcome =
  | { readonly kind: 'accepted'; readonly messageId: string; readonly replayed?: boolean }
  | { readonly kind: 'reply'; readonly messageId: string; readonly payload: string; readonly replayed?: boolean };

/**
 * Hands a checked request to the bus and waits for its outcome. Throw a JunctionError to answer
 * with a fault (status < 500 → Client/Sender, else Server/Receiver; `details.messageId` goes into
 * the fault detail); anything else becomes an internal-error fault without its text.
 */
export type SoapDispatch = (call: SoapCall) => Promise<SoapOutcome>;
