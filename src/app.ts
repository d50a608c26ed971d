import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import express, { type Express } from 'express';
import type { Broker } from './core/broker';
import type { EndpointFactory } from './core/endpoint';
import { createJunctionMetrics } from './core/junction-metrics';
import { createLogger, type Logger } from './core/logger';
import { JUNCTION_VERSION } from './core/version';
import { Registry } from './core/registry';
import type { StepFactory } from './core/step';
import type { TransactionLog } from './core/transaction-log';
import { configProblem, type LoadedConfig } from './config/load-config';
import { ADMIN_BASE } from './admin/admin-api';
import { buildOperatorTools } from './admin/operator-tools';
import { AmqpBroker } from './bus/amqp/amqp-broker';
import { CONSOLE_BASE, createConsoleRouter } from './console/console-router';
import { createConsoleSignIn } from './console/console-sign-in';
import { MemoryBroker } from './bus/memory/memory-broker';
import { createEndpointRegistry } from './endpoints/endpoint-registry';
import { errorHandler, notFound, servedByGateways } from './gateway/http/error-handler';
import { requestId } from './gateway/http/request-id';
import { responseCompression } from './gateway/http/response-compression';
import { MessageIntake } from './gateway/message-intake';
import { RecoverySweep } from './gateway/recovery-sweep';
import { checkSoapBindings, createSoapAuthorizer, createSoapDispatch } from './gateway/soap-dispatch';
import { createSoapGateway } from './gateway/soap/soap-gateway';
import { createRestGateway, REST_BASE } from './gateway/rest/rest-gateway';
import { compileRoutes } from './routes/compile-routes';
import type { CompiledRoutes } from './routes/compiled-route';
import { registerHealthMetrics } from './observability/health-metrics';
import { createObservabilityRouter } from './observability/observability-router';
import { PrometheusMetrics } from './observability/prometheus-metrics';
import { RouteWorker } from './routes/route-worker';
import { TypeOrmTransactionLog } from './store/typeorm/typeorm-transaction-log';
import { NO_PROTECTION, type StoreProtection } from './store/typeorm/row-mapping';
import { isNonceStore, type NonceStore } from './core/nonce-store';
import { NonceCache } from './security/auth/nonce-cache';
import type { Masker } from './security/masking/masker';
import type { PayloadCipher } from './security/payload-cipher';
import { compileMasker, compilePayloadCipher, compileSecurity, type SecurityRuntime } from './security/security-setup';
import { readClientTls, readServerTls } from './security/tls-options';
import { watchServerTls, type ServerTlsWatch } from './security/tls/server-crl';
import { transformerFactories } from './transformers/transformer-registry';
import { validatorFactories } from './validators/validator-registry';


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
  /** Connects the log and the bus, starts endpoints and workers, listens; resolves the base URL. */
  start(): Promise<string>;
  /** Stops accepting, finishes messages in flight, disconnects. Idempotent. */
  close(): Promise<void>;
}

function createBroker(loaded: LoadedConfig, logger: Logger): Broker {
  const { bus } = loaded.config;
  if (bus.url.startsWith('memory:')) return new MemoryBroker({ logger });
  const tls = readClientTls(bus.tls, 'bus.tls', loaded.baseDir);
  return new AmqpBroker({ url: bus.url, prefix: bus.prefix, logger, ...(tls ? { tls } : {}) });
}

/** What the transaction log does to data at rest: payloads encrypted (when configured), errors masked. */
function storeProtection(masker: Masker, cipher: PayloadCipher | undefined): StoreProtection {
  return {
    encrypt: (plain, context) => (cipher ? cipher.encrypt(plain, context) : plain),
    decrypt: (stored, context) => (cipher ? cipher.decrypt(stored, context) : NO_PROTECTION.decrypt(stored, context)),
    redactError: (error) => masker.redactError(error),
  };
}

/** The transaction log as configured (`store`), payloads protected as `security` says; nothing connected yet. */
function createTransactionLog(loaded: LoadedConfig, logger: Logger, security: Pick<SecurityRuntime, 'masker' | 'cipher'>, metrics?: PrometheusMetrics): TypeOrmTransactionLog {
  const { store } = loaded.config;
  const storeTls = readClientTls(store.tls, 'store.tls', loaded.baseDir);
  if (storeTls?.servername !== undefined) {
    throw configProblem(loaded.locator, [{ path: ['store', 'tls', 'servername'], message: 'is not taken by the database driver (mysql2): it checks the server\'s '
      + 'certificate against the host of store.url. Remove servername and write the name the certificate carries as that host '
      + '(an IP address there is checked against the certificate\'s IP entries)' }]);
  }
  return new TypeOrmTransactionLog({
    url: store.url, tablePrefix: store.tablePrefix, poolSize: store.poolSize, logger,
    protection: storeProtection(security.masker, security.cipher), ...(storeTls ? { tls: storeTls } : {}),
    ...(metrics ? { metrics } : {}), groupCommit: store.groupCommit.enabled ? store.groupCommit : false,
  });
}

/** What the `junction store` maintenance commands work on (docs/security.md, "Key rotation"). */
export interface StoreMaintenance {
  /** The configured transaction log, not started. */
  readonly log: TypeOrmTransactionLog;
  /** The configured payload cipher; undefined when payload encryption is not configured. */
  readonly cipher: PayloadCipher | undefined;
}

/**
 * The transaction log and payload keys of a configuration, as a start would build them (the same
 * payload keys, TLS and table prefix), for maintenance run next to (or without) a running Junction.
 * Reads no secret but the payload keys: a client's or the JWKS's unset secret does not stop it.
 * Throws JCT_CONFIG_INVALID for the payload keys or the masking rules.
 */
export function buildStoreMaintenance(loaded: LoadedConfig, logger: Logger): StoreMaintenance {
  const cipher = compilePayloadCipher(loaded, process.env);
  return { log: createTransactionLog(loaded, logger, { masker: compileMasker(loaded), ...(cipher ? { cipher } : {}) }), cipher };
}

/**
 * The composition root: the one place that names concrete classes. Builds (without I/O) the
 * transaction log, the bus, the routes with their steps and endpoints, the worker and the HTTP
 * app. Throws JCT_CONFIG_* errors for configuration a registry rejects.
 */
export function buildApp(loaded: LoadedConfig, options: BuildOptions = {}): JunctionApp {
  const { config } = loaded;
  const role = options.role ?? 'all';
  const logger = options.logger ?? createLogger({ ...config.log, redactor: compileMasker(loaded) });
  // UsernameToken nonces go to the transaction log's database (shared by every gateway process)
  // when the log can hold them; the log is built below, and is only asked at request time.
  const nonces: NonceStore = { rememberNonce: (key, expiresAt, now) => (isNonceStore(log) ? log.rememberNonce(key, expiresAt, now) : memoryNonces.rememberNonce(key, expiresAt, now)) };
  const memoryNonces = new NonceCache(config.security.auth.wsSecurity.nonceCacheSize);
  const security: SecurityRuntime = compileSecurity(loaded, logger, process.env, nonces);
  const routes = compileRoutes(loaded, {
    steps: new Registry<StepFactory>('step', [...validatorFactories(), ...transformerFactories()]),
    endpoints: createEndpointRegistry() as Registry<EndpointFactory>,
  });
  const prometheus = new PrometheusMetrics({ logger });
  const log: TransactionLog = options.log ?? createTransactionLog(loaded, logger, security, prometheus);
  const broker = options.broker ?? createBroker(loaded, logger);
  const metrics = createJunctionMetrics(prometheus);
  // Queue depths come from the processes that consume the queues (one series per worker, not per gateway too).
  registerHealthMetrics(prometheus, { broker, log, destinations: role === 'gateway' ? [] : routes.routes.map((r) => r.id) });
  const worker = role === 'gateway' ? undefined : new RouteWorker({
    broker, log, routes, logger, prefetch: config.bus.prefetch, masker: security.masker, metrics,
  });
  const intake = new MessageIntake({ log, broker, logger, metrics });
  // Publishes what a crash between "log RECEIVED" and "publish" left behind (docs/store.md, "Recovery sweep").
  const captureNone = new Set(routes.routes.filter((r) => r.capture === 'none').map((r) => r.id));
  const sweep = role === 'worker' ? undefined : new RecoverySweep({
    log, broker, logger, metrics, keepsPayload: (id) => !captureNone.has(id), refused: (id) => intake.isRefusalPending(id),
    intervalMs: config.recovery.intervalMs, graceMs: config.recovery.graceMs, batchSize: config.recovery.batchSize,
    // The in-process bus starts empty with each process: what the last one held is put back.
    ...(broker instanceof MemoryBroker ? { busStartedAt: new Date() } : {}),
  });
  // Operators: admin API, bulk replays, retention (docs/operators.md) — where the gateways run.
  const operators = role === 'worker' ? undefined : buildOperatorTools(loaded, { log, routes, intake, logger, security });
  // The console's single sign-on (admin.console.oidc), checked in every role.
  const consoleSignIn = createConsoleSignIn(loaded, security.providers, logger);

  const soapLimits = Object.fromEntries(Object.entries(config.soap.services)
    .filter(([, s]) => s.bodyLimitBytes !== undefined).map(([name, s]) => [name, s.bodyLimitBytes!]));
  const soap = role === 'worker' || routes.soapServices.length === 0 ? undefined : createSoapGateway({
    services: routes.soapServices,
    bodyLimitBytes: config.soap.bodyLimitBytes ?? config.server.bodyLimitBytes,
    serviceBodyLimits: soapLimits,
    dispatch: createSoapDispatch({ routes, intake, log }),
    logger,
    security: { ...security, authorize: createSoapAuthorizer(routes, security.policy) },
  });
  if (soap) checkSoapBindings(routes, soap.services);

  let stopping = false;
  const http = express();
  http.disable('x-powered-by');
  http.set('query parser', 'simple');
  let closing: Promise<void> | undefined;
  // While stopping, answers close their connection: a keep-alive client reconnects elsewhere.
  http.use((_req, res, next) => { if (stopping) res.setHeader('Connection', 'close'); next(); });
  http.use(requestId);
  const compress = responseCompression(config.server.compression);
  if (compress) http.use(compress);
  // /healthz, /readyz, /metrics: every role serves them.
  http.use(createObservabilityRouter({ broker, log, metrics: prometheus, closing: () => closing !== undefined }));
  if (soap) http.use(soap);
  if (role !== 'worker') {
    http.use(REST_BASE, createRestGateway({
      routes, intake, log, bodyLimitBytes: config.rest.bodyLimitBytes ?? config.server.bodyLimitBytes, version: JUNCTION_VERSION, security,
    }));
  }
  if (operators) {
    http.use(ADMIN_BASE, operators.api);
    http.use(CONSOLE_BASE, createConsoleRouter(consoleSignIn ? { signIn: consoleSignIn } : {}));
  }
  if (role === 'worker') http.use([REST_BASE, ADMIN_BASE, CONSOLE_BASE, '/soap'], servedByGateways);
  http.use(notFound);
  http.use(errorHandler(logger, security.masker));
  const serverTls = readServerTls(loaded);

  const steps = routes.routes.flatMap((r) => [...r.steps, ...r.deliveries.flatMap((d) => d.steps), ...r.replySteps]);
  let server: Server | undefined;
  let tlsWatch: ServerTlsWatch | undefined;

  const start = async (): Promise<string> => {
    // Steps that compile asynchronously (XSDs in libxml2) report boot errors here, before any I/O.
    await Promise.all(steps.map((step) => step.ready?.()));
    // The JWKS, fetched in the background so the first caller does not wait; a failure is a warning.
    if (role !== 'worker') {
      void security.authenticator.prefetch();
      consoleSignIn?.start();
      // Signing certificates' CRLs: findings logged now, files re-read when they change (docs/security.md).
      security.signingCrlReloader?.start();
    }
    await log.start();
    await broker.start();
    await broker.declare(routes.routes.map((r) => r.id));
    await Promise.all([...routes.endpoints.values()].map((e) => e.start()));
    await worker?.start();
    sweep?.start();
    operators?.start();
    await soap?.ready;
    const port = options.port ?? config.server.port;
    server = await new Promise<Server>((resolve, reject) => {
      const secure = serverTls ? createHttpsServer(serverTls.options, http) : undefined;
      // Refused client certificates logged; CRLs reloaded when their files change (docs/security.md).
      if (secure && serverTls) tlsWatch = watchServerTls(secure, serverTls.options, serverTls.crl, logger);
      const s: Server = secure ?? createHttpServer(http);
      s.once('error', reject);
      s.listen(port, config.server.host, () => resolve(s));
    });
    server.keepAliveTimeout = 65_000;
    const address = server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const url = `${serverTls ? 'https' : 'http'}://${host}:${address.port}`;
    logger.info('junction started', { role, url, authentication: security.mode, payloadEncryption: security.cipher ? `on (key ${security.cipher.writingKeyId})` : 'off' });
    return url;
  };

  const close = (): Promise<void> => {
    closing ??= (async () => {
      stopping = true;
      tlsWatch?.close();
      security.signingCrlReloader?.close();
      if (server) {
        // No new connections; requests in flight finish (a worker in this process may be answering them).
        const s = server;
        const stopped = new Promise<void>((resolve) => s.close(() => resolve()));
        s.closeIdleConnections();
        await stopped;
      }
      await sweep?.close();
      await operators?.close();
      await intake.close();
      // Stops consuming, finishes the messages in flight (each acked once its outcome is recorded).
      await worker?.close();
      await soap?.close();
      await broker.close();
      await Promise.all([...routes.endpoints.values()].map((e) => e.close()));
      await Promise.all(steps.map((step) => step.close?.()));
      // The identity provider's connections (key set, discovery document), once no request can need them.
      await security.idp?.close();
      await log.close();
    })();
    return closing;
  };

  return { http, routes, log, broker, logger, start, close };
}
