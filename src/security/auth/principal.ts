import { JunctionError } from '../../core/errors';

/** How a caller proved who it is. */
export type AuthMethod = 'api-key' | 'jwt' | 'username-token' | 'client-certificate' | 'http-basic' | 'ws-signature';

/**
 * An authenticated caller. `name` is the client's name (a key of `security.clients`, or the JWT
 * claim that names the client); `roles` come from the client's configuration or the JWT's roles
 * claim (the admin API maps them to viewer/operator/admin).
 */
export interface Principal {
  readonly name: string;
  readonly method: AuthMethod;
  readonly roles: readonly string[];
}

/** No credentials where some are required: 401. */
export function authRequired(message = 'This service requires authentication: send an API key (X-Api-Key), a bearer JWT or, over SOAP, a WS-Security UsernameToken.'): JunctionError {
  return new JunctionError('JCT_AUTH_REQUIRED', message);
}

/** Credentials refused: 401. Messages say which check failed, never what a secret should have been. */
export function authFailed(message: string): JunctionError {
  return new JunctionError('JCT_AUTH_FAILED', message);
}

/** Authenticated, but not allowed: 403. */
export function forbidden(message: string): JunctionError {
  return new JunctionError('JCT_FORBIDDEN', message);
}
