import type { Endpoint } from '../core/endpoint';
import type { MessagePattern } from '../core/envelope';
import type { Step } from '../core/step';
import type { JsonCheck } from '../validators/json-schema-validator';

/** A REST entry of a route, ready for the gateway. */
export interface RestEntry {
  readonly routeId: string;
  readonly method: 'POST' | 'PUT' | 'PATCH';
  /** Path under /api/v1 in express form, e.g. `/customers/:customerId`. */
  readonly path: string;
  /** Checks the parsed body before the message is accepted; absent when no schema is configured. */
  readonly check?: JsonCheck;
  /** JSON pointer of the business key in the body. */
  readonly businessKey?: string;
}

/** A route with its steps built and its endpoints resolved. */
export interface CompiledRoute {
  readonly id: string;
  readonly pattern: MessagePattern;
  readonly steps: readonly Step[];
  /** Names of the endpoints the message is delivered to, in order. */
  readonly to: readonly string[];
  readonly rest?: RestEntry;
}

/** Everything routes need at run time: the routes and the endpoint instances they share. */
export interface CompiledRoutes {
  readonly routes: readonly CompiledRoute[];
  readonly endpoints: ReadonlyMap<string, Endpoint>;
}
