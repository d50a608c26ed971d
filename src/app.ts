import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express } from 'express';
import type { Broker } from './core/broker';
import type { EndpointFactory } from './core/endpoint';
import { createJunctionMetrics } from './core/junction-metrics';
import { createLogger, type Logger } from './core/logger';
import { Registry } from './core/registry';
import type { StepFactory } from './core/step';
import type { TransactionLog } from './core/transaction-log';
import type { LoadedConfig } from './config/load-config';
import { AmqpBroker } from './bus/amqp/amqp-broker';
import { MemoryBroker } from './bus/memory/memory-broker';
import { createEndpointRegistry } from './endpoints/endpoint-registry';
import { errorHandler, notFound } from './gateway/http/error-handler';
import { requestId } from './gateway/http/request-id';
import { MessageIntake } from './gateway/message-intake';
import { RecoverySweep } from './gateway/recovery-sweep';
import { checkSoapBindings, createSoapDispatch } from './gateway/soap-dispatch';
import { createSoapGateway } from './gateway/soap/soap-gateway';
import { createRestGateway, REST_BASE } from './gateway/rest/rest-gateway';
import { compileRoutes } from './routes/compile-routes';
import type { CompiledRoutes } from './routes/compiled-route';
import { registerHealthMetrics } from './observability/health-metrics';
import { createObservabilityRouter } from './observability/observability-router';
import { PrometheusMetrics } from './observability/prometheus-metrics';
import { RouteWorker } from './routes/route-worker';
import { TypeOrmTransactionLog } from './store/typeorm/typeorm-transaction-log';
import { transformerFactories } from './transformers/transformer-registry';
import { validatorFactories } from './validators/validator-registry';

/** Junction's version, as package.json says. */
export const JUNCTION_VERSION = '0.1.0';

/** Which parts a process runs: gateways (HTTP in), workers (bus → endpoints), or both. */
export type Role = 'all' | 'gateway' | 'worker';

/** Options for {@link buildApp}; tests use them to inject a logger or pick a port. */
export interface BuildOptions {
  readonly role?: Role;
  readonly logger?: Logger;
  /** Overrides `server.port` (0 = any free port). */
  readonly port?: number;
  /** A transaction log to use instead of the one `store.url` names (unit tests pass a fake). */
  readonly log?: TransactionLog;
  /** A broker to use instead of the one `bus.url` names. */
  readonly broker?: Broker;
}

/** A wired Junction process. Nothing is connected or listening until `start()`. */
export interface JunctionApp {
  readonly http: Express;
  readonly routes: CompiledRoutes;
  readonly log: TransactionLog;
  readonly broker: Broker;
  readonly logger: Logger;
  /** This process's metrics, as served at /metrics. */
  readonly metrics: { render(): Promise<string> };
  /** Connects the log and the bus, starts endpoints and workers, listens; resolves the base URL. */
  start(): Promise<string>;
  /** Stops accepting, finishes messages in flight, disconnects. Idempotent. */
  close(): Promise<void>;
}

function createBroker(loaded: LoadedConfig, logger: Logger): Broker {
  const { bus } = loaded.config;
  if (bus.url.startsWith('memory:')) return new MemoryBroker({ logger });
  return new AmqpBroker({ url: bus.url, prefix: bus.prefix, logger });
}

/**
 * The composition root: the one place that names concrete classes. Builds (without I/O) the
 * transaction log, the bus, the routes with their steps and endpoints, the worker and the HTTP
 * app. Throws JCT_CONFIG_* errors for configuration a registry rejects.
 */
export function buildApp(loaded: LoadedConfig, options: BuildOptions = {}): JunctionApp {
  const { config } = loaded;
  const role = options.role ?? 'all';
  const logger = options.logger ?? createLogger(config.log);
  const routes = compileRoutes(loaded, {
    steps: new Registry<StepFactory>('step', [...validatorFactories(), ...transformerFactories()]),
    endpoints: createEndpointRegistry() as Registry<EndpointFactory>,
  });
  const prometheus = new PrometheusMetrics({ logger });
  const log: TransactionLog = options.log ?? new TypeOrmTransactionLog({
    url: config.store.url, tablePrefix: config.store.tablePrefix, poolSize: config.store.poolSize, logger, metrics: prometheus,
    groupCommit: config.store.groupCommit.enabled ? config.store.groupCommit : false,
  });
  const broker = options.broker ?? createBroker(loaded, logger);
  const metrics = createJunctionMetrics(prometheus);
  // Queue depths come from the processes that consume the queues (one series per worker, not per gateway too).
  registerHealthMetrics(prometheus, { broker, log, destinations: role === 'gateway' ? [] : routes.routes.map((r) => r.id) });
  const worker = role === 'gateway' ? undefined : new RouteWorker({ broker, log, routes, logger, prefetch: config.bus.prefetch, metrics });
  const intake = new MessageIntake({ log, broker, logger, metrics });
  // Publishes what a crash between "log RECEIVED" and "publish" left behind (docs/store.md, "Recovery sweep").
  const captureNone = new Set(routes.routes.filter((r) => r.capture === 'none').map((r) => r.id));
  const sweep = role === 'worker' ? undefined : new RecoverySweep({ log, broker, logger, keepsPayload: (id) => !captureNone.has(id) });

  const soap = role === 'worker' || routes.soapServices.length === 0 ? undefined : createSoapGateway({
    services: routes.soapServices,
    bodyLimitBytes: config.server.bodyLimitBytes,
    dispatch: createSoapDispatch({ routes, intake, log }),
    logger,
  });
  if (soap) checkSoapBindings(routes, soap.services);

  const http = express();
  http.disable('x-powered-by');
  http.set('query parser', 'simple');
  let closing: Promise<void> | undefined;
  http.use(requestId);
  // /healthz, /readyz, /metrics: every role serves them.
  http.use(createObservabilityRouter({ broker, log, metrics: prometheus, closing: () => closing !== undefined }));
  if (soap) http.use(soap);
  if (role !== 'worker') {
    http.use(REST_BASE, createRestGateway({ routes, intake, log, bodyLimitBytes: config.server.bodyLimitBytes, version: JUNCTION_VERSION }));
  }
  http.use(notFound);
  http.use(errorHandler(logger));

  const steps = routes.routes.flatMap((r) => [...r.steps, ...r.deliveries.flatMap((d) => d.steps), ...r.replySteps]);
  let server: Server | undefined;

  const start = async (): Promise<string> => {
    // Steps that compile asynchronously (XSDs in libxml2) report boot errors here, before any I/O.
    await Promise.all(steps.map((step) => step.ready?.()));
    await log.start();
    await broker.start();
    await broker.declare(routes.routes.map((r) => r.id));
    await Promise.all([...routes.endpoints.values()].map((e) => e.start()));
    await worker?.start();
    sweep?.start();
    await soap?.ready;
    const port = options.port ?? config.server.port;
    server = await new Promise<Server>((resolve, reject) => {
      const s = http.listen(port, config.server.host, () => resolve(s));
      s.once('error', reject);
    });
    server.keepAliveTimeout = 65_000;
    const address = server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    logger.info('junction started', { role, url: `http://${host}:${address.port}` });
    return `http://${host}:${address.port}`;
  };

  const close = (): Promise<void> => {
    closing ??= (async () => {
      if (server) {
        const s = server;
        const stopped = new Promise<void>((resolve) => s.close(() => resolve()));
        s.closeIdleConnections();
        await stopped;
      }
      await sweep?.close();
      await worker?.close();
      await soap?.close();
      await broker.close();
      await Promise.all([...routes.endpoints.values()].map((e) => e.close()));
      await Promise.all(steps.map((step) => step.close?.()));
      await log.close();
    })();
    return closing;
  };

  return { http, routes, log, broker, logger, metrics: prometheus, start, close };
}
