import type { Endpoint } from '../core/endpoint';
import type { JsonPointer } from '../core/json-pointer';
import type { MessagePattern } from '../core/envelope';
import type { Step } from '../core/step';
import type { JsonCheck } from '../validators/json-schema-validator';
import type { Condition } from './condition';

/** A REST entry of a route, ready for the gateway. */
export interface RestEntry {
  readonly routeId: string;
  readonly method: 'POST' | 'PUT' | 'PATCH';
  /** Path under /api/v1 in express form, e.g. `/customers/:customerId`. */
  readonly path: string;
  /** Checks the parsed body before the message is accepted; absent when no schema is configured. */
  readonly check?: JsonCheck;
  /** The JSON Schema behind `check`, for the OpenAPI document. */
  readonly schema?: Readonly<Record<string, unknown>>;
  /** JSON pointer of the business key in the body (compiled at boot). */
  readonly businessKey?: JsonPointer;
}

/** A SOAP operation bound to a route. */
export interface SoapEntry {
  readonly routeId: string;
  readonly service: string;
  readonly operation: string;
  /** JSON pointer of the business key in the request's JSON form (compiled at boot). */
  readonly businessKey?: JsonPointer;
}

/** A route with its steps built and its endpoints resolved. */
export interface CompiledRoute {
  readonly id: string;
  readonly description?: string;
  readonly pattern: MessagePattern;
  /** Request-reply: how long the caller waits, in milliseconds. */
  readonly replyTimeoutMs: number;
  readonly steps: readonly Step[];
  /** The recipients: each delivery whose condition holds gets the message, after its own steps. */
  readonly deliveries: readonly CompiledDelivery[];
  /** Request-reply: steps run on the endpoint's answer. */
  readonly replySteps: readonly Step[];
  /** What the transaction log keeps: nothing, the original message, or every step's output. */
  readonly capture: 'none' | 'original' | 'steps';
  /**
   * How a message that fails with a retryable error is tried again (docs/retries.md). Absent (routes
   * built by hand in tests): tried once.
   */
  readonly retry?: RetryPolicy;
  readonly rest?: RestEntry;
  readonly soap?: SoapEntry;
}

/** A route's retry policy: `attempts` tries in all; waits grow from `initialDelayMs` by `multiplier` up to `maxDelayMs`, ± `jitter`. */
export interface RetryPolicy {
  readonly attempts: number;
  readonly initialDelayMs: number;
  readonly multiplier: number;
  readonly maxDelayMs: number;
  readonly jitter: number;
}

/** One recipient of a route. */
export interface CompiledDelivery {
  /** The endpoint's name. */
  readonly endpoint: string;
  /** Content-based condition; absent = always. */
  readonly when?: Condition;
  /** Steps only this recipient needs (its mapping, its format). */
  readonly steps: readonly Step[];
}

/** A SOAP service to publish. */
export interface SoapService {
  readonly name: string;
  /** URL path, e.g. `/soap/crm`. */
  readonly path: string;
  /** Absolute path of the WSDL file. */
  readonly wsdlFile: string;
  /** Operations Junction answers itself: operation name → builtin. */
  readonly builtins: Readonly<Record<string, 'message-status'>>;
  /** `messageId`: a request's wsa:MessageID is its idempotency key when it sends none (docs/idempotency.md). */
  readonly idempotency: 'key' | 'messageId';
}

/** Everything routes need at run time: the routes, the endpoint instances they share, the SOAP services. */
export interface CompiledRoutes {
  readonly routes: readonly CompiledRoute[];
  readonly endpoints: ReadonlyMap<string, Endpoint>;
  readonly soapServices: readonly SoapService[];
}
