import type { Endpoint, EndpointContext, EndpointReply, RequestPreview } from '../core/endpoint';
import type { Envelope } from '../core/envelope';
import { JunctionError, toJunctionError } from '../core/errors';
import type { Logger } from '../core/logger';

/** A breaker's settings: open after `failures` retryable failures in a row, for `openMs`. */
export interface BreakerSettings {
  readonly failures: number;
  readonly openMs: number;
}

export const BREAKER_DEFAULTS: BreakerSettings = Object.freeze({ failures: 5, openMs: 30_000 });

/**
 * JSON Schema of an endpoint's `breaker` option when it is an object: `{ failures, openMs }` (each
 * defaulted). `false` (no breaker) and `true` (the defaults) are the other allowed values. Checked by
 * compile-routes for every endpoint type, before the type's own options (which never see `breaker`).
 */
export const BREAKER_OPTION_SCHEMA = Object.freeze({
  type: 'object',
  additionalProperties: false,
  properties: {
    failures: { type: 'integer', minimum: 1, maximum: 1000 },
    openMs: { type: 'integer', minimum: 100, maximum: 86_400_000 },
  },
});

/** The settings an endpoint's (checked) `breaker` option stands for; undefined = no breaker. */
export function breakerSettings(option: unknown): BreakerSettings | undefined {
  if (option === false) return undefined;
  if (option === undefined || option === true || typeof option !== 'object' || option === null) return BREAKER_DEFAULTS;
  const given = option as Partial<BreakerSettings>;
  return { failures: given.failures ?? BREAKER_DEFAULTS.failures, openMs: given.openMs ?? BREAKER_DEFAULTS.openMs };
}

export type BreakerState = 'closed' | 'open' | 'half-open';

/** The shortest wait a call refused while a half-open trial is in flight is given. */
export const TRIAL_WAIT_MIN_MS = 1000;

/** What {@link CircuitBreaker.admit} decided: go ahead (`trial` in half-open), or wait `retryAfterMs`. */
export type Admission = { readonly allowed: true; readonly trial: boolean } | { readonly allowed: false; readonly retryAfterMs: number };

/**
 * The state machine, with an injectable clock. closed → open after `failures` consecutive
 * failures; open → half-open once `openMs` has passed, letting ONE trial through; the trial's
 * success closes it, its failure re-opens it for another `openMs`. While the trial is in flight
 * other calls are refused, told to come back after as long as the trial has been running (at
 * least {@link TRIAL_WAIT_MIN_MS}, at most `openMs`): a quick trial keeps the wait short, a hanging
 * one (a backend that takes connections and never answers) spaces the returns out, so a backlog of
 * held messages is held again a handful of times per trial rather than once a second. State is per process.
 */
export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private consecutive = 0;
  private openedAt = 0;
  private trialInFlight = false;
  private trialStartedAt = 0;

  constructor(
    readonly settings: BreakerSettings,
    private readonly now: () => number = Date.now,
    private readonly onChange: (from: BreakerState, to: BreakerState) => void = () => undefined,
  ) {}

  /** The state now (an open breaker whose time is up reads half-open). */
  get state(): BreakerState {
    if (this.current === 'open' && this.now() - this.openedAt >= this.settings.openMs) this.move('half-open');
    return this.current;
  }

  /** Asks to make a call; an allowed call must be followed by {@link success}, {@link failure} or {@link neutral}. */
  admit(): Admission {
    const state = this.state;
    if (state === 'closed') return { allowed: true, trial: false };
    if (state === 'half-open' && !this.trialInFlight) {
      this.trialInFlight = true;
      this.trialStartedAt = this.now();
      return { allowed: true, trial: true };
    }
    return { allowed: false, retryAfterMs: Math.max(1, state === 'open' ? this.settings.openMs - (this.now() - this.openedAt) : this.trialWait()) };
  }

  /** How long a call refused during the trial waits: the trial's age so far, within [TRIAL_WAIT_MIN_MS, openMs]. */
  private trialWait(): number {
    const { openMs } = this.settings;
    return Math.min(openMs, Math.max(TRIAL_WAIT_MIN_MS, this.now() - this.trialStartedAt));
  }

  /** The call succeeded: closes a half-open breaker, resets the count. */
  success(): void {
    this.consecutive = 0;
    if (this.current === 'half-open') this.close();
  }

  /** The call failed in a way that blames the backend (retryable). */
  failure(): void {
    if (this.current === 'half-open') {
      this.open();
      return;
    }
    this.consecutive += 1;
    if (this.current === 'closed' && this.consecutive >= this.settings.failures) this.open();
  }

  /** The call ended in a way that says nothing about the backend's health (the message's fault): a trial is given back. */
  neutral(): void {
    if (this.current === 'half-open') this.trialInFlight = false;
  }

  private open(): void {
    this.openedAt = this.now();
    this.trialInFlight = false;
    this.move('open');
  }

  private close(): void {
    this.trialInFlight = false;
    this.consecutive = 0;
    this.move('closed');
  }

  private move(to: BreakerState): void {
    const from = this.current;
    if (from === to && to !== 'open') return;
    this.current = to;
    this.onChange(from, to);
  }
}

/**
 * An endpoint behind a circuit breaker. While the breaker is open, `send` fails at once with the
 * retryable JCT_ENDPOINT_CIRCUIT_OPEN (details: `endpoint`, `retryAfterMs`) without calling the
 * backend. Only retryable failures (network, timeout, 5xx, Server faults) count; a rejected message
 * (4xx, Client fault) is the message's fault, not the backend's.
 */
export class BreakingEndpoint implements Endpoint {
  readonly breaker: CircuitBreaker;
  /** Where state changes are logged: the logger of the call that caused the latest one. */
  private logger: Logger | undefined;

  constructor(private readonly inner: Endpoint, settings: BreakerSettings, now: () => number = Date.now) {
    this.breaker = new CircuitBreaker(settings, now, (from, to) => this.logChange(from, to));
  }

  get name(): string {
    return this.inner.name;
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  preview(message: Envelope): Promise<RequestPreview> {
    return this.inner.preview(message);
  }

  async send(message: Envelope, context: EndpointContext): Promise<EndpointReply> {
    this.logger = context.logger;
    const admission = this.breaker.admit();
    if (!admission.allowed) {
      throw new JunctionError('JCT_ENDPOINT_CIRCUIT_OPEN',
        `Endpoint "${this.name}" is considered down after repeated failures; not called. Next try in about ${admission.retryAfterMs} ms.`,
        { details: { endpoint: this.name, retryAfterMs: admission.retryAfterMs } });
    }
    let reply: EndpointReply;
    try {
      reply = await this.inner.send(message, context);
    } catch (error) {
      this.logger = context.logger;
      if (toJunctionError(error).retryable) this.breaker.failure();
      else this.breaker.neutral();
      throw error;
    }
    this.logger = context.logger;
    this.breaker.success();
    return reply;
  }

  private logChange(from: string, to: string): void {
    const logger = this.logger;
    if (!logger) return;
    const fields = { endpoint: this.name, from, to, openMs: this.breaker.settings.openMs };
    if (to === 'open') logger.warn(`circuit of endpoint ${this.name} opened: not calling it for ${this.breaker.settings.openMs} ms`, fields);
    else if (to === 'half-open') logger.info(`circuit of endpoint ${this.name} half-open: letting one trial through`, fields);
    else logger.info(`circuit of endpoint ${this.name} closed: the endpoint answers again`, fields);
  }
}
