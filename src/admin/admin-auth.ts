import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { AdminRole, AdminTokenConfig } from '../config/admin-config-types';
import type { LoadedConfig } from '../config/load-config';
import { configProblem } from '../config/load-config';
import { JunctionError } from '../core/errors';
import type { AuditMethod } from '../core/operator-records';
import type { Authenticator as CredentialChecker } from '../security/auth/authenticator';

/** How an admin API caller proved who it is: a token of `admin.tokens`, a client's API key or TLS certificate, or a bearer JWT. */
export type AdminAuthMethod = Exclude<AuditMethod, 'replay-job'>;

/** Who is calling the admin API. The audit trail records `name` and `method`. */
export interface AdminPrincipal {
  readonly name: string;
  readonly role: AdminRole;
  readonly method: AdminAuthMethod;
}

/**
 * Resolves a request to a principal, or undefined when it carries no credentials of this
 * authenticator's kind. Throws JCT_ADMIN_UNAUTHENTICATED for credentials of its kind that are
 * wrong, JCT_ADMIN_FORBIDDEN for a caller it knows who holds no admin role. Admin tokens
 * ({@link TokenAuthenticator}); API keys, JWTs and client certificates of issue 7's authenticator
 * (client-authenticator.ts).
 */
export interface Authenticator {
  authenticate(req: Request): Promise<AdminPrincipal | undefined>;
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
 * Checks the `admin` section beyond its schema: a token's `token` must come from the environment
 * (written `${VAR}` in the file), never in clear; token names are unique; the default replay pace is
 * one an operator may ask for (else every bulk replay without its own pace would be refused).
 * Throws JCT_CONFIG_INVALID naming the line.
 */
export function checkAdminConfig(loaded: LoadedConfig): void {
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
  const { ratePerSecond, maxRatePerSecond } = loaded.config.admin.replay;
  if (ratePerSecond > maxRatePerSecond) {
    problems.push({ path: ['admin', 'replay', 'ratePerSecond'], message: `is ${ratePerSecond}, above admin.replay.maxRatePerSecond (${maxRatePerSecond}): every bulk replay without its own ratePerSecond would be refused; lower it or raise maxRatePerSecond` });
  }
  if (problems.length > 0) throw configProblem(loaded.locator, problems);
}

/**
 * Bearer API tokens from `admin.tokens`. Only SHA-256 digests are kept; a presented token is hashed
 * and compared with every configured digest in constant time, so neither timing nor an early exit
 * tells which token came close. An entry whose token is empty (its variable unset) is disabled.
 */
export class TokenAuthenticator implements Authenticator {
  private readonly entries: readonly { principal: AdminPrincipal; digest: Buffer }[];
  /** Names of tokens whose value is empty (their variable unset): nobody can use them. */
  readonly disabled: readonly string[];

  constructor(tokens: readonly AdminTokenConfig[]) {
    this.disabled = tokens.filter((t) => !t.sha256 && !t.token).map((t) => t.name);
    this.entries = tokens.flatMap((t) => {
      const principal: AdminPrincipal = { name: t.name, role: t.role, method: 'admin-token' };
      if (t.sha256) return [{ principal, digest: Buffer.from(t.sha256, 'hex') }];
      if (!t.token) return [];
      return [{ principal, digest: sha256(t.token) }];
    });
  }

  /** How many tokens can be used. */
  get size(): number {
    return this.entries.length;
  }

  /** The token's principal; undefined without a bearer token or when no admin token matches (it may be a JWT). */
  async authenticate(req: Request): Promise<AdminPrincipal | undefined> {
    const token = bearerOf(req);
    if (token === undefined) return undefined;
    const digest = sha256(token);
    let found: AdminPrincipal | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(entry.digest, digest)) found ??= entry.principal;
    }
    return found;
  }
}

/**
 * The bearer token of a request; undefined without an Authorization header. Throws
 * JCT_ADMIN_UNAUTHENTICATED for an Authorization header that is not `Bearer <token>`.
 */
export function bearerOf(req: Request): string | undefined {
  const header = req.header('authorization');
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(\S{1,16384})\s*$/i.exec(header);
  if (!match) throw new JunctionError('JCT_ADMIN_UNAUTHENTICATED', 'Send the admin token or a JWT as "Authorization: Bearer <token>".');
  return match[1] as string;
}

/** The principal of an authenticated admin request. */
export function principalOf(res: Response): AdminPrincipal {
  const principal = res.locals.principal as AdminPrincipal | undefined;
  if (!principal) throw new JunctionError('JCT_ADMIN_UNAUTHENTICATED', 'This request is not authenticated.');
  return principal;
}

/**
 * How {@link authenticate} reads and answers credentials, as the gateways' credential checker says:
 * the header API keys travel in (always checked, so an API key and a bearer token together are
 * refused even when no client has a key), and which kinds are accepted (said in a 401's words
 * and its WWW-Authenticate challenge; certificates only in the words, HTTP has no scheme for them).
 */
export type AuthenticateOptions = Pick<CredentialChecker, 'apiKeyHeader' | 'acceptsApiKeys' | 'acceptsJwt'>
  & Partial<Pick<CredentialChecker, 'acceptsCertificates'>>;

/** The admin API's WWW-Authenticate: the gateways' schemes (`Bearer`, `ApiKey` when API keys are accepted), with the admin realm. */
export function adminChallenge(apiKeys: boolean): string {
  return apiKeys ? 'Bearer realm="junction-admin", ApiKey realm="junction-admin"' : 'Bearer realm="junction-admin"';
}

async function resolvePrincipal(req: Request, authenticators: readonly Authenticator[], options: AuthenticateOptions): Promise<AdminPrincipal> {
  const hasBearer = req.header('authorization') !== undefined;
  const hasKey = req.header(options.apiKeyHeader) !== undefined;
  if (hasBearer && hasKey) {
    throw new JunctionError('JCT_ADMIN_UNAUTHENTICATED', `Send one kind of credentials: a bearer token or an API key (${options.apiKeyHeader}), not both.`);
  }
  for (const authenticator of authenticators) {
    const principal = await authenticator.authenticate(req);
    if (principal) return principal;
  }
  if (hasBearer) {
    throw new JunctionError('JCT_ADMIN_UNAUTHENTICATED', options.acceptsJwt
      ? 'The bearer token is neither a configured admin token nor a JWT (header.payload.signature).'
      : 'The admin token is not recognised.');
  }
  const ways = ['"Authorization: Bearer <admin token>"', ...(options.acceptsJwt ? ['a bearer JWT'] : []), ...(options.acceptsApiKeys ? [`an API key in ${options.apiKeyHeader}`] : []),
    ...(options.acceptsCertificates ? ['a TLS client certificate that security.clients names'] : [])];
  throw new JunctionError('JCT_ADMIN_UNAUTHENTICATED', `The admin API needs credentials: send ${ways.join(', or ')} (docs/operators.md).`);
}

/**
 * Express middleware: resolves the principal — the first authenticator that knows the
 * credentials wins — and stores it for {@link principalOf}. No or unknown credentials: 401 with
 * WWW-Authenticate; a known caller without an admin role: 403.
 */
export function authenticate(authenticators: readonly Authenticator[], options: AuthenticateOptions) {
  return (req: Request, res: Response, next: NextFunction): void => {
    resolvePrincipal(req, authenticators, options).then((principal) => {
      res.locals.principal = principal;
      next();
    }, (error: unknown) => {
      if (error instanceof JunctionError && error.httpStatus === 401) res.setHeader('WWW-Authenticate', adminChallenge(options.acceptsApiKeys));
      next(error);
    });
  };
}

/** Express middleware: 403 unless the principal has at least `role`. */
export function requireRole(role: AdminRole) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    const principal = principalOf(res);
    if (!hasRole(principal.role, role)) {
      next(forbidden(principal, role, 'This'));
      return;
    }
    next();
  };
}

/** 403 JCT_ADMIN_FORBIDDEN: `what` needs `needed`, and the principal has less. */
export function forbidden(principal: AdminPrincipal, needed: AdminRole, what: string): JunctionError {
  return new JunctionError('JCT_ADMIN_FORBIDDEN', `${what} needs the ${needed} role; ${principal.name} is ${principal.role}.`, { details: { needed, role: principal.role } });
}
