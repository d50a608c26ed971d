import path from 'node:path';
import type { EndpointFactory, Endpoint } from '../core/endpoint';
import { JunctionError } from '../core/errors';
import { compilePointer } from '../core/json-pointer';
import type { Registry } from '../core/registry';
import type { Step, StepFactory } from '../core/step';
import type { ConfigPath } from '../config/config-location';
import { configProblem, type LoadedConfig } from '../config/load-config';
import type { DeliveryConfig, RouteConfig, StepConfig } from '../config/config-types';
import { BREAKER_OPTION_SCHEMA, BreakingEndpoint, breakerSettings } from '../endpoints/circuit-breaker';
import { loadJsonSchemaFile } from '../validators/json-schema-validator';
import type { CompiledDelivery, CompiledRoute, CompiledRoutes, RestEntry, SoapEntry, SoapService } from './compiled-route';
import { compileCondition, CONDITION_SCHEMA, type Condition, type ConditionConfig } from './condition';
import { checkOptions, type OptionProblem } from './option-check';

/** ` (route "submit-order", step "order-to-erp")` for a problem inside a route, so the reader needs no line counting. */
function where(routes: readonly RouteConfig[], at: ConfigPath): string {
  if (at[0] !== 'routes' || typeof at[1] !== 'number') return '';
  const route = routes[at[1]];
  if (!route) return '';
  let steps: readonly StepConfig[] | undefined;
  let index: unknown;
  if (at[2] === 'steps' || at[2] === 'replySteps') [steps, index] = [route[at[2]], at[3]];
  else if (at[2] === 'deliver' && typeof at[3] === 'number' && at[4] === 'steps') [steps, index] = [route.deliver?.[at[3]]?.steps, at[5]];
  const step = typeof index === 'number' ? steps?.[index] : undefined;
  const stepName = step ? `, step "${step.name ?? step.type}"` : '';
  return ` (route "${route.id}"${stepName})`;
}

/** The registries routes are compiled against. */
export interface RouteRegistries {
  readonly steps: Registry<StepFactory>;
  readonly endpoints: Registry<EndpointFactory>;
}

/** Converts `/customers/{customerId}` to express's `/customers/:customerId`. */
function expressPath(configPath: string): string {
  return configPath.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, ':$1');
}

/**
 * Compiles configuration into runnable routes: builds every endpoint and step through its
 * registry, checks each one's options, and checks cross-references (endpoints named by routes,
 * duplicate ids and entries). Reports every problem at once with file, line and path; never
 * starts anything (no I/O beyond reading referenced schema files).
 */
export function compileRoutes(loaded: LoadedConfig, registries: RouteRegistries): CompiledRoutes {
  const { config, baseDir, locator } = loaded;
  const problems: OptionProblem[] = [];
  const fileProblem = (where: ConfigPath, error: unknown): void => {
    problems.push({ path: where, message: error instanceof JunctionError ? error.message : String(error) });
  };

  const endpoints = new Map<string, Endpoint>();
  for (const [name, endpointConfig] of Object.entries(config.endpoints)) {
    const at: ConfigPath = ['endpoints', name];
    const factory = registries.endpoints.find(endpointConfig.type);
    if (!factory) {
      problems.push({ path: [...at, 'type'], message: registries.endpoints.unknownTypeMessage(endpointConfig.type) });
      continue;
    }
    // `breaker` is every type's option: checked here, never seen by the type's own schema.
    const breakerOption = endpointConfig['breaker'];
    const breaker = typeof breakerOption === 'object' && breakerOption !== null && !Array.isArray(breakerOption)
      ? checkOptions(BREAKER_OPTION_SCHEMA, breakerOption as Record<string, unknown>, [], [...at, 'breaker'])
      : { value: breakerOption, problems: breakerOption === undefined || typeof breakerOption === 'boolean' ? []
        : [{ path: [...at, 'breaker'], message: 'must be false (no breaker), true (the defaults) or { failures, openMs }' }] };
    problems.push(...breaker.problems);
    const checked = checkOptions(factory.optionsSchema, endpointConfig, ['type', 'breaker'], at);
    problems.push(...checked.problems);
    if (checked.problems.length > 0 || breaker.problems.length > 0) continue;
    try {
      const endpoint = factory.create(name, checked.value, { baseDir });
      const settings = breakerSettings(breaker.value);
      endpoints.set(name, settings ? new BreakingEndpoint(endpoint, settings) : endpoint);
    } catch (error) {
      fileProblem(at, error);
    }
  }

  const buildSteps = (configs: readonly StepConfig[], base: ConfigPath): Step[] => {
    const steps: Step[] = [];
    const names = new Set<string>();
    configs.forEach((stepConfig, stepIndex) => {
      const stepAt: ConfigPath = [...base, stepIndex];
      const name = stepConfig.name ?? stepConfig.type;
      if (names.has(name)) problems.push({ path: stepAt, message: `step name "${name}" is used twice here; give one a "name"` });
      names.add(name);
      const factory = registries.steps.find(stepConfig.type);
      if (!factory) {
        problems.push({ path: [...stepAt, 'type'], message: registries.steps.unknownTypeMessage(stepConfig.type) });
        return;
      }
      const checked = checkOptions(factory.optionsSchema, stepConfig, ['type', 'name'], stepAt);
      problems.push(...checked.problems);
      if (checked.problems.length > 0) return;
      try {
        steps.push(factory.create(name, checked.value, { baseDir }));
      } catch (error) {
        fileProblem(stepAt, error);
      }
    });
    return steps;
  };

  const soapServices: SoapService[] = Object.entries(config.soap.services).map(([name, service]) => ({
    name,
    path: service.path ?? `/soap/${name}`,
    wsdlFile: path.resolve(baseDir, service.wsdl),
    builtins: { ...service.builtins },
    idempotency: service.idempotency,
  }));

  const routes: CompiledRoute[] = [];
  const seenIds = new Set<string>();
  const seenEntries = new Map<string, string>();
  config.routes.forEach((route: RouteConfig, index) => {
    const at: ConfigPath = ['routes', index];
    if (seenIds.has(route.id)) problems.push({ path: [...at, 'id'], message: `route id "${route.id}" is used twice` });
    seenIds.add(route.id);

    const steps = buildSteps(route.steps, [...at, 'steps']);
    const replySteps = buildSteps(route.replySteps, [...at, 'replySteps']);
    if (route.pattern === 'one-way' && route.replySteps.length > 0) {
      problems.push({ path: [...at, 'replySteps'], message: 'reply steps need pattern: request-reply' });
    }
    const deliveries: CompiledDelivery[] = [];
    const deliveryConfigs: readonly DeliveryConfig[] = route.deliver ?? (route.to ?? []).map((to) => ({ to, steps: [] }));
    const deliveryKey = route.deliver ? 'deliver' : 'to';
    const seenTargets = new Set<string>();
    deliveryConfigs.forEach((delivery, index) => {
      const deliveryAt: ConfigPath = route.deliver ? [...at, 'deliver', index] : [...at, 'to', index];
      const targetAt: ConfigPath = route.deliver ? [...deliveryAt, 'to'] : deliveryAt;
      if (!(delivery.to in config.endpoints)) {
        const known = Object.keys(config.endpoints).join(', ') || 'none';
        problems.push({ path: targetAt, message: `endpoint "${delivery.to}" is not defined under "endpoints" (defined: ${known})` });
      }
      if (seenTargets.has(delivery.to)) problems.push({ path: targetAt, message: `endpoint "${delivery.to}" is named twice in route "${route.id}"` });
      seenTargets.add(delivery.to);
      let when: Condition | undefined;
      if (delivery.when !== undefined) {
        const checked = checkOptions(CONDITION_SCHEMA, delivery.when as Record<string, unknown>, [], [...deliveryAt, 'when']);
        if (checked.problems.length > 0) {
          problems.push({ path: [...deliveryAt, 'when'], message: 'is not a valid condition: give json, header or xpath with one operator, or all/any/not (see docs/routes.md)' });
        } else {
          try {
            when = compileCondition(delivery.when as ConditionConfig, `route "${route.id}" ${deliveryKey}[${index}].when`);
          } catch (error) {
            problems.push({ path: [...deliveryAt, 'when'], message: (error as Error).message });
          }
        }
      }
      const ownSteps = buildSteps(delivery.steps, [...deliveryAt, 'steps']);
      deliveries.push({ endpoint: delivery.to, steps: ownSteps, ...(when ? { when } : {}) });
    });
    if (route.pattern === 'request-reply' && deliveries.length !== 1 && deliveries.some((d) => !d.when)) {
      problems.push({ path: [...at, deliveryKey], message: 'a request-reply route delivers to exactly one endpoint, whose answer is the reply: give one recipient, or conditions that pick one' });
    }

    let rest: RestEntry | undefined;
    const restConfig = route.entry.rest;
    if (restConfig) {
      const key = `${restConfig.method} ${expressPath(restConfig.path)}`;
      const other = seenEntries.get(key);
      if (other) problems.push({ path: [...at, 'entry', 'rest'], message: `${key} is already bound to route "${other}"` });
      seenEntries.set(key, route.id);
      let loadedSchema;
      if (restConfig.schema) {
        try {
          loadedSchema = loadJsonSchemaFile(path.resolve(baseDir, restConfig.schema));
        } catch (error) {
          fileProblem([...at, 'entry', 'rest', 'schema'], error);
        }
      }
      rest = {
        routeId: route.id,
        method: restConfig.method,
        path: expressPath(restConfig.path),
        ...(loadedSchema ? { check: loadedSchema.check, schema: loadedSchema.schema } : {}),
        ...(restConfig.businessKey ? { businessKey: compilePointer(restConfig.businessKey) } : {}),
      };
    }
    let soap: SoapEntry | undefined;
    const soapConfig = route.entry.soap;
    if (soapConfig) {
      const key = `${soapConfig.service}/${soapConfig.operation}`;
      const service = config.soap.services[soapConfig.service];
      if (!service) {
        problems.push({ path: [...at, 'entry', 'soap', 'service'], message: `SOAP service "${soapConfig.service}" is not defined under soap.services (defined: ${Object.keys(config.soap.services).join(', ') || 'none'})` });
      } else if (soapConfig.operation in service.builtins) {
        problems.push({ path: [...at, 'entry', 'soap', 'operation'], message: `${key} is answered by the builtin "${String(service.builtins[soapConfig.operation])}"` });
      }
      const other = seenEntries.get(`soap ${key}`);
      if (other) problems.push({ path: [...at, 'entry', 'soap'], message: `${key} is already bound to route "${other}"` });
      seenEntries.set(`soap ${key}`, route.id);
      soap = { routeId: route.id, service: soapConfig.service, operation: soapConfig.operation, ...(soapConfig.businessKey ? { businessKey: compilePointer(soapConfig.businessKey) } : {}) };
    }
    const retry = route.retry;
    if (retry.initialDelayMs > retry.maxDelayMs) {
      problems.push({ path: [...at, 'retry', 'initialDelayMs'], message: `initialDelayMs (${retry.initialDelayMs}) is greater than maxDelayMs (${retry.maxDelayMs})` });
    }
    routes.push({
      id: route.id, ...(route.description ? { description: route.description } : {}), pattern: route.pattern, replyTimeoutMs: route.replyTimeoutMs, steps, replySteps, deliveries, capture: route.capture,
      retry: { attempts: retry.attempts, initialDelayMs: retry.initialDelayMs, multiplier: retry.multiplier, maxDelayMs: retry.maxDelayMs, jitter: retry.jitter },
      ...(rest ? { rest } : {}), ...(soap ? { soap } : {}),
    });
  });

  if (problems.length > 0) throw configProblem(locator, problems.map((p) => ({ ...p, message: `${p.message}${where(config.routes, p.path)}` })));
  return { routes, endpoints, soapServices };
}
