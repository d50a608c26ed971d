import { buildApp, type JunctionApp, type Role } from '../app';
import type { ConfigPath } from '../config/config-location';
import { configProblem, DEFAULT_CONFIG_FILE, loadConfig, type LoadedConfig } from '../config/load-config';
import { describeError, JunctionError } from '../core/errors';
import type { Step } from '../core/step';
import type { CompiledRoute } from '../routes/compiled-route';
import type { CliLogger } from './cli-logger';
import { CLI_EXIT, stopWith } from './exit-codes';

/**
 * The configuration file a command uses: `--config`, else $JUNCTION_CONFIG, else
 * config/default.yaml (as `junction start`). An empty variable counts as unset, as in the file's `${NAME}`.
 */
export function configFile(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return option ?? (env.JUNCTION_CONFIG || DEFAULT_CONFIG_FILE);
}

/** A configuration loaded and compiled exactly as a start would, with nothing started or connected. */
export interface OfflineApp {
  readonly loaded: LoadedConfig;
  readonly app: JunctionApp;
}

/**
 * Loads the file (YAML → ${ENV} → schema) and builds the app with buildApp — routes, steps,
 * endpoints, SOAP bindings — without calling start(): no database, no broker, no listening
 * socket. Throws the loader's and compiler's JCT_CONFIG_* errors (every problem with
 * file:line:column in `violations`).
 */
export function buildOffline(file: string, role: Role, logger: CliLogger): OfflineApp {
  const loaded = loadConfig(file);
  return { loaded, app: buildApp(loaded, { role, logger }) };
}

/** {@link buildOffline}, with any error turned into a CliStop (exit 2) carrying its message. */
export function buildOfflineOrStop(file: string, role: Role, logger: CliLogger): OfflineApp {
  try {
    return buildOffline(file, role, logger);
  } catch (error) {
    throw stopWith(CLI_EXIT.USAGE, error);
  }
}

/** A step of a route with the configuration path it was built from (for file:line in errors). */
export interface LocatedStep {
  readonly step: Step;
  readonly at: ConfigPath;
}

/** Every step of a route — its steps, each recipient's steps, its reply steps — with where each is configured. */
export function stepsOf(loaded: LoadedConfig, route: CompiledRoute): LocatedStep[] {
  const index = loaded.config.routes.findIndex((r) => r.id === route.id);
  const usesDeliver = loaded.config.routes[index]?.deliver !== undefined;
  const base: ConfigPath = ['routes', index];
  return [
    ...route.steps.map((step, i) => ({ step, at: [...base, 'steps', i] })),
    ...route.deliveries.flatMap((delivery, d) => delivery.steps.map((step, i) => ({
      step, at: usesDeliver ? [...base, 'deliver', d, 'steps', i] : [...base, 'to', d],
    }))),
    ...route.replySteps.map((step, i) => ({ step, at: [...base, 'replySteps', i] })),
  ];
}

/**
 * Awaits every step's optional `ready()` (boot-time work that cannot be synchronous, such as
 * compiling XSDs). Throws one JCT_CONFIG_INVALID error naming file:line of each step that failed.
 */
export async function readySteps(loaded: LoadedConfig, steps: readonly LocatedStep[]): Promise<void> {
  const results = await Promise.allSettled(steps.map(({ step }) => step.ready?.()));
  const problems = results.flatMap((result, i) => {
    if (result.status === 'fulfilled') return [];
    const reason = result.reason instanceof JunctionError ? result.reason.message : describeError(result.reason);
    return [{ path: steps[i]?.at ?? [], message: `step "${steps[i]?.step.name ?? '?'}" is not ready: ${reason}` }];
  });
  if (problems.length > 0) throw configProblem(loaded.locator, problems);
}

/** Releases what steps hold (compiled schemas); never throws. */
export async function closeSteps(steps: readonly LocatedStep[]): Promise<void> {
  await Promise.allSettled(steps.map(({ step }) => step.close?.()));
}
