import type { Request } from 'express';
import type { AdminRole, AdminRoleMapping } from '../config/admin-config-types';
import { JunctionError } from '../core/errors';
import type { Authenticator as CredentialChecker } from '../security/auth/authenticator';
import type { AuthMethod, Principal } from '../security/auth/principal';
import { tlsPeerOf } from '../gateway/http/authenticate';
import { bearerOf, type AdminAuthMethod, type AdminPrincipal, type Authenticator } from './admin-auth';

/** Admin roles, strongest first: the first one a caller's roles grant is its role. */
const STRONGEST_FIRST: readonly AdminRole[] = ['admin', 'operator', 'viewer'];

/** A JWT's compact form: three base64url parts (the signature may be empty only to be refused later). */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** How the audit trail names each way a client signs in (a UsernameToken and HTTP Basic never sign in to the admin API). */
const METHOD: Readonly<Record<Exclude<AuthMethod, 'username-token' | 'http-basic' | 'ws-signature'>, AdminAuthMethod>> = { 'api-key': 'api-key', jwt: 'jwt', 'client-certificate': 'certificate' };

/** The admin role `roles` (a client's or a JWT's) grant under `mapping`, the highest one; undefined for none. */
export function adminRoleOf(roles: readonly string[], mapping: AdminRoleMapping): AdminRole | undefined {
  return STRONGEST_FIRST.find((role) => mapping[role].some((granting) => roles.includes(granting)));
}

/**
 * The admin API's door for issue 7's credentials: a client's API key or TLS client certificate
 * (roles from `security.clients.<name>.roles`) or a bearer JWT (roles from its roles claim),
 * checked by the same {@link CredentialChecker} the gateways use, then mapped to viewer / operator
 * / admin with `admin.roles`. Claims a request when it carries an API key, a bearer token shaped
 * like a JWT while JWTs are configured (an admin token never reaches the JWT check), or — with
 * neither — a verified certificate that names a client. As on the gateways, an API key or a
 * bearer token sent along decides who is calling, never the certificate.
 */
export class ClientAuthenticator implements Authenticator {
  constructor(private readonly checker: CredentialChecker, private readonly mapping: AdminRoleMapping) {}

  async authenticate(req: Request): Promise<AdminPrincipal | undefined> {
    const bearer = req.header(this.checker.apiKeyHeader) === undefined ? bearerOf(req) : undefined;
    // A bearer token that is no JWT this checker could verify is an admin token (or nobody's): not ours.
    if (bearer !== undefined && !(this.checker.acceptsJwt && JWT_SHAPE.test(bearer))) return undefined;
    let principal: Principal | undefined;
    try {
      principal = await this.checker.fromHeaders(req.headers, tlsPeerOf(req));
    } catch (error) {
      if (error instanceof JunctionError && error.httpStatus === 401) throw new JunctionError('JCT_ADMIN_UNAUTHENTICATED', error.message);
      throw error;
    }
    // No credentials at all (a certificate that names no client counts as none).
    if (!principal || principal.method === 'username-token' || principal.method === 'http-basic' || principal.method === 'ws-signature') return undefined;
    const role = adminRoleOf(principal.roles, this.mapping);
    if (!role) {
      const grants = STRONGEST_FIRST.map((r) => `${r}: ${this.mapping[r].join(' | ') || '(nothing)'}`).join('; ');
      throw new JunctionError('JCT_ADMIN_FORBIDDEN',
        `${principal.method === 'jwt' ? 'JWT subject' : 'Client'} "${principal.name}"${principal.method === 'client-certificate' ? ' (by its TLS certificate)' : ''} holds no admin role: its roles [${principal.roles.join(', ')}] grant none (admin.roles — ${grants}).`,
        { details: { needed: 'viewer', roles: principal.roles.join(',') } });
    }
    return { name: principal.name, role, method: METHOD[principal.method] };
  }
}
