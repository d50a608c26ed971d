import {
  LATENCY_BUCKETS_SECONDS, noMetricsFactory, type Counter, type Gauge, type Histogram, type MetricsFactory,
} from './metrics';

/**
 * Junction's message metrics, named once here (docs/observability.md lists them). Gateways, the
 * worker and the store record through these handles; app.ts builds them on the process's factory.
 *
 * Labels: `route` (route id), `endpoint` (endpoint name, `""` when a failure happened before any
 * delivery), `source` (`rest` or `soap`), `code` (a JCT_ error code), `stage` (see {@link STAGES}),
 * `role` (`gateway` or `worker`), `outcome` (`delivered` or `failed`).
 */
export interface JunctionMetrics {
  /** junction_messages_received_total{route, source}: recorded in the log by a gateway. */
  readonly received: Counter;
  /** junction_messages_refused_total{route, code}: a gateway could not accept (log or broker down); the caller heard 503. */
  readonly refused: Counter;
  /** junction_messages_delivered_total{route, endpoint}: an endpoint took the message. */
  readonly delivered: Counter;
  /** junction_messages_failed_total{route, endpoint, code}: ended FAILED. */
  readonly failed: Counter;
  /** junction_messages_retried_total{route, endpoint}: a retryable failure scheduled another try. */
  readonly retried: Counter;
  /** junction_messages_held_total{route, endpoint}: waiting HELD because the endpoint's circuit is open. */
  readonly held: Counter;
  /**
   * junction_messages_recovered_total{route, reason}: put back by the recovery sweep — `stranded`
   * (recorded, never published), `lost-copy` (its waiting copy vanished from the bus), `bus-restart`
   * (on the in-process bus when the last process stopped) — or, when that could not help, `failed`
   * (marked FAILED by the sweep).
   */
  readonly recovered: Counter;
  /**
   * junction_message_copies_skipped_total{route, reason}: a copy of a message a worker acknowledged
   * or handed back without a try — `settled` (the message is DELIVERED or FAILED already),
   * `outdated` (it waits RETRYING or HELD for a later copy), `in-flight` (another handling has it
   * now; this copy comes back later). A second copy is normal after a broker or worker fault; a
   * steady rate is not.
   */
  readonly copiesSkipped: Counter;
  /** junction_messages_in_flight{route, role}: being accepted by a gateway / processed by a worker right now. */
  readonly inFlight: Gauge;
  /** junction_stage_duration_seconds{route, stage}: time spent in each stage of a message's way. */
  readonly stageSeconds: Histogram;
  /** junction_message_end_to_end_seconds{route, outcome}: from the gateway's receipt to the outcome recorded by the worker. */
  readonly endToEndSeconds: Histogram;
}

/** The `stage` label values besides `step:<name>`, `step:<endpoint>:<name>` and `deliver:<endpoint>` (docs/observability.md). */
export const STAGES = Object.freeze({
  /** Gateway: recordReceived in the transaction log. */
  record: 'record',
  /** Gateway: publish until the broker's confirm. */
  publish: 'publish',
  /** Gateway: the whole acceptance (record, publish; the QUEUED mark only for a message with an idempotency key). */
  accept: 'accept',
  /** Gateway, request-reply: waiting for the worker's answer. */
  replyWait: 'reply-wait',
  /** Worker: marking the message PROCESSING (the never-twice check). */
  begin: 'begin',
  /** Worker: the content-based choice of recipients. */
  route: 'route',
  /** Worker: the whole handling, from consume to the outcome recorded. */
  process: 'process',
});

/** Builds Junction's message metrics on a factory. */
export function createJunctionMetrics(factory: MetricsFactory): JunctionMetrics {
  return Object.freeze({
    received: factory.counter({
      name: 'junction_messages_received_total', help: 'Messages recorded as RECEIVED by a gateway.', labelNames: ['route', 'source'],
    }),
    refused: factory.counter({
      name: 'junction_messages_refused_total', help: 'Messages a gateway could not accept (the caller heard 503).', labelNames: ['route', 'code'],
    }),
    delivered: factory.counter({
      name: 'junction_messages_delivered_total', help: 'Deliveries an endpoint accepted.', labelNames: ['route', 'endpoint'],
    }),
    failed: factory.counter({
      name: 'junction_messages_failed_total', help: 'Messages that ended FAILED.', labelNames: ['route', 'endpoint', 'code'],
    }),
    retried: factory.counter({
      name: 'junction_messages_retried_total', help: 'Retryable failures that scheduled another try.', labelNames: ['route', 'endpoint'],
    }),
    held: factory.counter({
      name: 'junction_messages_held_total', help: 'Messages held because an endpoint circuit was open.', labelNames: ['route', 'endpoint'],
    }),
    recovered: factory.counter({
      name: 'junction_messages_recovered_total', help: 'Messages the recovery sweep published again (stranded, lost-copy, bus-restart) or marked FAILED (failed).', labelNames: ['route', 'reason'],
    }),
    copiesSkipped: factory.counter({
      name: 'junction_message_copies_skipped_total', help: 'Copies of a message a worker skipped without a try: settled, outdated (a later copy is awaited) or in-flight (handed back).',
      labelNames: ['route', 'reason'],
    }),
    inFlight: factory.gauge({
      name: 'junction_messages_in_flight', help: 'Messages being accepted (gateway) or processed (worker) now.', labelNames: ['route', 'role'],
    }),
    stageSeconds: factory.histogram({
      name: 'junction_stage_duration_seconds', help: 'Time a message spent in each stage.', labelNames: ['route', 'stage'],
      buckets: LATENCY_BUCKETS_SECONDS,
    }),
    endToEndSeconds: factory.histogram({
      name: 'junction_message_end_to_end_seconds', help: 'From receipt by a gateway to the outcome recorded by a worker.',
      labelNames: ['route', 'outcome'], buckets: LATENCY_BUCKETS_SECONDS,
    }),
  });
}

/** Metrics that record nothing (the default when none are given). */
export const noJunctionMetrics: JunctionMetrics = createJunctionMetrics(noMetricsFactory);
