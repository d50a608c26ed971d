import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { JunctionError } from '../core/errors';

/**
 * Where a secret comes from: an environment variable or a file (a Kubernetes or Docker secret,
 * say). Never the configuration file itself: the schema accepts only these two shapes for a
 * secret, so a password cannot be written into the file in clear.
 */
export type SecretRef = { readonly env: string } | { readonly file: string };

/** A secret's value, and a label that names where it came from without showing it. */
export interface Secret {
  readonly value: string;
  /** `env JWT_SECRET` or `file /run/secrets/jwt`: safe to log. */
  readonly source: string;
}

/** The label of a reference, for errors and logs. */
export function describeSecretRef(ref: SecretRef): string {
  return 'env' in ref ? `env ${ref.env}` : `file ${ref.file}`;
}

/**
 * Reads a secret once at boot. A file is read relative to `baseDir` (the configuration file's
 * folder) and one trailing line break is dropped (`echo secret > file` writes one). An unset or
 * empty variable, or a missing or empty file, is JCT_CONFIG_INVALID naming the reference (never
 * the value). `what` says what the secret is for, e.g. `security.clients.crm.apiKey`.
 */
export function readSecret(ref: SecretRef, what: string, baseDir: string, env: NodeJS.ProcessEnv = process.env): Secret {
  if ('env' in ref) {
    const value = env[ref.env];
    if (value === undefined || value === '') {
      throw new JunctionError('JCT_CONFIG_INVALID', `${what}: the environment variable ${ref.env} is not set (or empty); set it to the secret.`);
    }
    return { value, source: describeSecretRef(ref) };
  }
  const file = path.resolve(baseDir, ref.file);
  let value: string;
  try {
    if (!statSync(file).isFile()) throw new Error('not a file');
    value = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch {
    throw new JunctionError('JCT_CONFIG_INVALID', `${what}: the secret file ${file} cannot be read; check the path and that Junction may read it.`);
  }
  if (value === '') throw new JunctionError('JCT_CONFIG_INVALID', `${what}: the secret file ${file} is empty.`);
  return { value, source: `file ${file}` };
}
