import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { LineCounter, parseDocument } from 'yaml';
import { JunctionError, type Violation } from '../core/errors';
import { CONFIG_SCHEMA } from './config-schema';
import type { JunctionConfig } from './config-types';
import { ConfigLocator, formatPath, type ConfigPath } from './config-location';
import { interpolateTree } from './interpolate';

/** A loaded configuration: the frozen values, where they came from, and how to point at a line. */
export interface LoadedConfig {
  readonly config: JunctionConfig;
  /** Absolute path of the file. */
  readonly file: string;
  /** Directory that relative paths in the file (schemas, mappings) are resolved against. */
  readonly baseDir: string;
  readonly locator: ConfigLocator;
}

/** Problems at paths of a YAML file as violations whose path reads `file:line:col path` (a configuration, a mapping file). */
export function locatedViolations(locator: ConfigLocator, problems: readonly { path: ConfigPath; message: string }[]): Violation[] {
  return problems.map((p) => ({ path: `${locator.locate(p.path)} ${formatPath(p.path)}`, message: p.message }));
}

/**
 * A configuration problem found after loading (by a registry checking a step's options, say):
 * builds a JCT_CONFIG_INVALID error that names file, line and path.
 */
export function configProblem(locator: ConfigLocator, problems: readonly { path: ConfigPath; message: string }[]): JunctionError {
  const violations = locatedViolations(locator, problems);
  const lines = violations.map((v) => `  - ${v.path}: ${v.message}`).join('\n');
  const noun = violations.length === 1 ? 'problem' : 'problems';
  return new JunctionError('JCT_CONFIG_INVALID', `Configuration ${locator.file} has ${violations.length} ${noun}:\n${lines}`, { violations });
}

const ajv = new Ajv({ allErrors: true, useDefaults: true, coerceTypes: true, strict: true, strictRequired: false });
const validateConfig = ajv.compile(CONFIG_SCHEMA);

/** Splits an ajv instancePath (`/routes/0/to/1`) into a config path. */
export function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer.slice(1).split('/').map((raw) => {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    return /^\d+$/.test(part) ? Number(part) : part;
  });
}

/** Words a person can act on for one schema error. */
export function describeSchemaError(error: ErrorObject): { path: (string | number)[]; message: string } {
  const path = pointerToPath(error.instancePath);
  const params = error.params as Record<string, unknown>;
  if (error.schemaPath.startsWith('#/$defs/secret/')) {
    return { path, message: 'is a secret: write { env: VARIABLE } or { file: path } (secrets are read from the environment or a file, never written into the configuration)' };
  }
  switch (error.keyword) {
    case 'additionalProperties':
      return { path: [...path, String(params.additionalProperty)], message: 'is not a known setting (check the spelling; see docs/configuration.md)' };
    case 'required':
      return { path, message: `must have "${String(params.missingProperty)}"` };
    case 'enum':
      return { path, message: `must be one of: ${(params.allowedValues as unknown[]).map(String).join(', ')}` };
    case 'pattern':
      return { path, message: `must match ${String(params.pattern)}` };
    case 'propertyNames':
      return { path: [...path, String(params.propertyName)], message: 'is not a valid name (lower-case letters, digits and dashes, starting with a letter)' };
    default:
      return { path, message: error.message ?? 'is invalid' };
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** The configuration file used when neither --config nor JUNCTION_CONFIG names one: the embedded default. */
export const DEFAULT_CONFIG_FILE = path.join('config', 'default.yaml');

/**
 * Loads a configuration file once at boot: YAML → `${ENV}` interpolation → schema check (all
 * problems at once, each with file:line and path) → defaults → frozen. Throws JCT_CONFIG_* errors.
 */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const absolute = path.resolve(file);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : 'it cannot be read';
    throw new JunctionError('JCT_CONFIG_UNREADABLE', `Configuration file ${absolute} cannot be loaded: ${reason}.`, { cause: error });
  }
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    const violations = document.errors.map((e) => ({ path: `${absolute}:${e.linePos?.[0].line ?? '?'}:${e.linePos?.[0].col ?? '?'}`, message: e.message.split('\n')[0] ?? e.message }));
    throw new JunctionError('JCT_CONFIG_SYNTAX', `Configuration ${absolute} is not valid YAML:\n${violations.map((v) => `  - ${v.path}: ${v.message}`).join('\n')}`, { violations });
  }
  const locator = new ConfigLocator(absolute, document, lines);
  const interpolated = interpolateTree(document.toJS({ maxAliasCount: 100 }) ?? {}, env);
  if (interpolated.missing.length > 0) {
    const err = configProblem(locator, interpolated.missing.map((m) => ({
      path: m.path, message: `refers to \${${m.name}}, which is not set in the environment (set it, or give a default: \${${m.name}:-value})`,
    })));
    throw new JunctionError('JCT_CONFIG_ENV_MISSING', err.message, { violations: err.violations });
  }
  const candidate = interpolated.value;
  if (!validateConfig(candidate)) {
    throw configProblem(locator, (validateConfig.errors ?? []).map(describeSchemaError));
  }
  const config = deepFreeze(candidate as unknown as JunctionConfig);
  return { config, file: absolute, baseDir: path.dirname(absolute), locator };
}
