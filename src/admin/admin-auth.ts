import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { AdminRole, AdminTokenConfig } from '../config/admin-config-types';
import type { LoadedConfig } from '../config/load-config';
import { configProblem } from '../config/load-config';
import { JunctionError } from '../core/errors';

/** Who is calling the admin API. The audit trail records `name`. */
export interface Principal {
  readonly name: string;
  readonly role: AdminRole;
}

/**
 * Resolves a request to a principal, or undefined when it carries no credentials this
 * authenticator knows. Throws JCT_ADMIN_UNAUTHENTICATED for credentials that are present but wrong.
 * API tokens today; a JWT authenticator can be added next to it.
 */
export interface Authenticator {
  authenticate(req: Request): Principal | undefined;
}

const RANK: Readonly<Record<AdminRole, number>> = { viewer: 0, operator: 1, admin: 2 };

/** True when `role` is at least `needed` (viewer < operator < admin). */
export function hasRole(role: AdminRole, needed: AdminRole): boolean {
  return RANK[role] >= RANK[needed];
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * Checks the `admin.tokens` of a configuration: a `token` must come from the environment (written
 * `${VAR}` in the file), never in clear. Throws JCT_CONFIG_INVALID naming the line.
 */
export function checkTokenConfig(loaded: LoadedConfig): void {
  const problems = loaded.config.admin.tokens.flatMap((token, i) => {
    const path = ['admin', 'tokens', i, 'token'];
    if (token.token === undefined) return [];
    const raw = loaded.locator.rawScalar(path) ?? '';
    return /^\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}$/.test(raw.trim()) ? [] : [{
      path, message: 'must be taken from the environment, e.g. token: ${JUNCTION_ADMIN_TOKEN}; never write a token in the file (or give sha256: <hex SHA-256 of the token>)',
    }];
  });
  const names = loaded.config.admin.tokens.map((t) => t.name);
  names.forEach((name, i) => {
    if (names.indexOf(name) !== i) problems.push({ path: ['admin', 'tokens', i, 'name'], message: `"${name}" is used by another token` });
  });
  if (problems.length > 0) throw configProblem(loaded.locator, problems);
}

/**
 * Bearer API tokens from `admin.tokens`. Only SHA-256 digests are kept; a presented token is hashed
 * and compared with every configured digest in constant time, so neither timing nor an early exit
 * tells which token came close. An entry whose token is empty (its variable unset) is disabled.
 */
export class TokenAuthenticator implements Authenticator {
  private readonly entries: readonly { principal: Principal; digest: Buffer }[];
  /** Names of tokens whose value is empty (their variable unset): nobody can use them. */
  readonly disabled: readonly string[];

  constructor(tokens: readonly AdminTokenConfig[]) {
    this.disabled = tokens.filter((t) => !t.sha256 && !t.token).map((t) => t.name);
    this.entries = tokens.flatMap((t) => {
      if (t.sha256) return [{ principal: { name: t.name, role: t.role }, digest: Buffer.from(t.sha256, 'hex') }];
      if (!t.token) return [];
      return [{ principal: { name: t.name, role: t.role }, digest: sha256(t.token) }];
    });
  }

  /** How many tokens can be used. */
  get size(): number {
    return this.entries.length;
  }

  authenticate(req: Request): Principal | undefined {
    const header = req.header('authorization');
    if (header === undefined) return undefined;
    const match = /^Bearer\s+(\S{1,512})\s*$/i.exec(header);
    if (!match) throw new JunctionError('JCT_ADMIN_UNAUTHENTICATED', 'Send the admin token as "Authorization: Bearer <token>".');
    const digest = sha256(match[1] as string);
    let found: Principal | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(entry.digest, digest)) found ??= entry.principal;
    }
    if (!found) throw new JunctionError('JCT_ADMIN_UNAUTHENTICATED', 'The admin token is not recognised.');
    return found;
  }
}

/** The principal of an authenticated admin request. */
export function principalOf(res: Response): Principal {
  const principal = res.locals.principal as Principal | undefined;
  if (!principal) throw new JunctionError('JCT_ADMIN_UNAUTHENTICATED', 'This request is not authenticated.');
  return principal;
}

/** Express middleware: resolves the principal (401 without one) and stores it for {@link principalOf}. */
export function authenticate(authenticators: readonly Authenticator[]) {
  return (req: Request, res: Response, next: NextFunction): void => {
    try {
      for (const authenticator of authenticators) {
        const principal = authenticator.authenticate(req);
        if (principal) {
          res.locals.principal = principal;
          next();
          return;
        }
      }
      throw new JunctionError('JCT_ADMIN_UNAUTHENTICATED', 'The admin API needs a token: send "Authorization: Bearer <token>" (docs/operators.md).');
    } catch (error) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="junction-admin"');
      next(error);
    }
  };
}

/** Express middleware: 403 unless the principal has at least `role`. */
export function requireRole(role: AdminRole) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    const principal = principalOf(res);
    if (!hasRole(principal.role, role)) {
      next(new JunctionError('JCT_ADMIN_FORBIDDEN', `This needs the ${role} role; ${principal.name} is ${principal.role}.`, { details: { needed: role, role: principal.role } }));
      return;
    }
    next();
  };
}
