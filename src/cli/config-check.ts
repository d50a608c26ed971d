import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { ConfigPath } from '../config/config-location';
import type { LoadedConfig } from '../config/load-config';
import { describeError, JunctionError } from '../core/errors';
import { REST_BASE } from '../gateway/rest/rest-gateway';
import type { CompiledRoutes } from '../routes/compiled-route';
import type { CliLogger } from './cli-logger';
import { CLI_EXIT } from './exit-codes';
import { buildOffline, closeSteps, configFile, readySteps, stepsOf, type LocatedStep } from './offline-build';

/** One problem found: where (file:line:column and path, when known) and what. */
export interface ConfigCheckProblem {
  readonly location?: string;
  readonly message: string;
  /** False for a problem that is not the file's fault (a WSDL URL that did not answer): exit 1, not 2. */
  readonly configuration: boolean;
}

/** What a valid configuration holds, for the summary. */
export interface ConfigSummary {
  readonly services: readonly { name: string; path: string; wsdl: string; idempotency: 'key' | 'messageId' }[];
  readonly endpoints: readonly { name: string; type: string; target: string }[];
  readonly routes: readonly {
    id: string;
    pattern: string;
    entries: readonly string[];
    steps: readonly string[];
    deliveries: readonly { endpoint: string; when?: string; steps: readonly string[] }[];
    replySteps: readonly string[];
  }[];
  readonly store: string;
  readonly bus: string;
}

/** The outcome of `junction config check`. */
export interface ConfigCheckResult {
  readonly ok: boolean;
  readonly file: string;
  readonly summary?: ConfigSummary;
  readonly problems: readonly ConfigCheckProblem[];
}

/** A URL safe to print: the password replaced by `***`. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, '$1:***@');
}

function endpointTarget(options: Readonly<Record<string, unknown>>): string {
  const text = (key: string): string | undefined => (typeof options[key] === 'string' ? options[key] : undefined);
  if (options.type === 'http') return `${text('method') ?? 'POST'} ${redactUrl(text('url') ?? '?')}`;
  if (options.type === 'soap') return `${text('operation') ?? '?'} at ${redactUrl(text('url') ?? "the WSDL's address")}`;
  const url = text('url');
  return url === undefined ? '' : redactUrl(url);
}

/** The summary of a configuration that compiled: services, endpoints, routes with entries and chains. */
function summarize(loaded: LoadedConfig, routes: CompiledRoutes): ConfigSummary {
  const { config } = loaded;
  return {
    services: routes.soapServices.map((s) => ({ name: s.name, path: s.path, wsdl: path.relative(process.cwd(), s.wsdlFile) || s.wsdlFile, idempotency: s.idempotency })),
    endpoints: Object.entries(config.endpoints).map(([name, options]) => ({ name, type: options.type, target: endpointTarget(options) })),
    routes: routes.routes.map((route) => {
      const raw = config.routes.find((r) => r.id === route.id);
      const entries = [
        ...(route.rest ? [`REST ${route.rest.method} ${REST_BASE}${raw?.entry.rest?.path ?? route.rest.path}`] : []),
        ...(route.soap ? [`SOAP ${route.soap.service}/${route.soap.operation}`] : []),
      ];
      return {
        id: route.id,
        pattern: route.pattern,
        entries,
        steps: route.steps.map((s) => s.name),
        deliveries: route.deliveries.map((d, i) => {
          const when = raw?.deliver?.[i]?.when;
          return { endpoint: d.endpoint, steps: d.steps.map((s) => s.name), ...(when !== undefined ? { when: JSON.stringify(when) } : {}) };
        }),
        replySteps: route.replySteps.map((s) => s.name),
      };
    }),
    store: redactUrl(config.store.url),
    bus: redactUrl(config.bus.url),
  };
}

function problemsOf(error: unknown, configuration: boolean, where?: string): ConfigCheckProblem[] {
  if (error instanceof JunctionError && error.violations.length > 0 && error.code.startsWith('JCT_CONFIG_')) {
    return error.violations.map((v) => ({ location: v.path, message: v.message, configuration }));
  }
  const message = error instanceof JunctionError ? `${error.code}: ${error.message}` : describeError(error);
  return [{ ...(where ? { location: where } : {}), message, configuration }];
}

/**
 * Checks a configuration as a start would, connecting nothing: loads it (schema, ${ENV}),
 * builds the app with buildApp (routes, steps, endpoints, SOAP services and bindings), waits for
 * every step's boot-time preparation and for the SOAP services' schemas, and starts and closes
 * every endpoint (a SOAP endpoint reads its WSDL and finds its operation; an http endpoint opens
 * no connection). No database, broker or listening socket is touched.
 */
export async function checkConfig(option: string | undefined, logger: CliLogger): Promise<ConfigCheckResult> {
  const file = path.resolve(configFile(option));
  let built;
  try {
    built = buildOffline(file, 'all', logger);
  } catch (error) {
    return { ok: false, file, problems: problemsOf(error, true) };
  }
  const { loaded, app } = built;
  const locate = (at: ConfigPath): string => loaded.locator.locate(at);
  const problems: ConfigCheckProblem[] = [];
  const steps: LocatedStep[] = app.routes.routes.flatMap((route) => stepsOf(loaded, route));
  try {
    await readySteps(loaded, steps).catch((error: unknown) => { problems.push(...problemsOf(error, true)); });
    for (const [name, endpoint] of app.routes.endpoints) {
      try {
        await endpoint.start();
      } catch (error) {
        const configuration = error instanceof JunctionError && error.code.startsWith('JCT_CONFIG_');
        problems.push({ location: `${locate(['endpoints', name])} endpoints.${name}`, message: error instanceof JunctionError ? error.message : describeError(error), configuration });
      }
    }
  } finally {
    await closeSteps(steps);
    // Closes the endpoints and frees the SOAP services' compiled schemas once they settled.
    await app.close().catch((error: unknown) => { logger.error('closing failed', { error: describeError(error) }); });
    await nextTurn();
  }
  // The SOAP gateway reports schemas that do not compile only through the log.
  for (const line of logger.errors) problems.push({ message: line, configuration: true });
  const ok = problems.length === 0;
  return { ok, file, problems, ...(ok ? { summary: summarize(loaded, app.routes) } : {}) };
}

/** 0 valid; 2 the configuration has problems; 1 only problems that are not the file's (a WSDL URL down). */
export function configCheckExitCode(result: ConfigCheckResult): number {
  if (result.ok) return CLI_EXIT.OK;
  return result.problems.some((p) => p.configuration) ? CLI_EXIT.USAGE : CLI_EXIT.FAILED;
}

