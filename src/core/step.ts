import type { Envelope } from './envelope';
import type { Logger } from './logger';

/** What a step is given besides the message. */
export interface StepContext {
  readonly routeId: string;
  readonly logger: Logger;
  /** The message as it entered the route (reply steps read request fields from it). */
  readonly original?: Envelope;
}

/**
 * One stage of a route's chain: a validator or a transformer. It returns the (possibly new)
 * envelope, or throws a JunctionError (validation and transformation failures are permanent).
 */
export interface Step {
  /** The step's name in the route, used in logs, stage history and errors. */
  readonly name: string;
  run(message: Envelope, context: StepContext): Promise<Envelope>;
  /**
   * Optional. Resolves once the step's boot-time preparation that cannot be synchronous (e.g.
   * compiling XSDs with libxml2, which loads asynchronously) is done; rejects with the boot
   * error (JCT_CONFIG_*) when it fails. The app awaits it at start, before taking messages.
   */
  ready?(): Promise<void>;
  /** Optional. Frees what the step holds (e.g. compiled schemas in wasm memory). Idempotent. */
  close?(): Promise<void>;
}

/** What a step factory may use when building a step from configuration. */
export interface StepBuildContext {
  /** Directory relative file options (schemas, mappings) are resolved against. */
  readonly baseDir: string;
}

/**
 * Builds steps of one `type` from their configuration options. `optionsSchema` (JSON Schema) is
 * checked at boot before `create` is called, so `create` receives well-formed options.
 */
export interface StepFactory {
  readonly type: string;
  /** JSON Schema of the options (every key except `type` and `name`). */
  readonly optionsSchema: object;
  create(name: string, options: Readonly<Record<string, unknown>>, context: StepBuildContext): Step;
}
