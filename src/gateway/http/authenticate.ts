import type { NextFunction, Request, Response } from 'express';
import type { Principal } from '../../security/auth/principal';
import type { SecurityRuntime } from '../../security/security-setup';

/** The parts of the security runtime an HTTP gateway needs. */
export type GatewaySecurity = Pick<SecurityRuntime, 'mode' | 'docs' | 'authenticator' | 'policy' | 'masker' | 'jsonMaxDepth'>;

/**
 * Express middleware: reads HTTP credentials (API key header or bearer JWT) into
 * `res.locals.principal`. A request without credentials goes on unauthenticated (the route's
 * authorization decides); bad credentials end here with 401. Runs before any body is read.
 */
export function authenticate(security: GatewaySecurity) {
  return (req: Request, res: Response, next: NextFunction): void => {
    security.authenticator.fromHeaders(req.headers).then((principal) => {
      if (principal) res.locals.principal = principal;
      next();
    }, next);
  };
}

/** The caller {@link authenticate} found, if any. */
export function principalOf(res: Response): Principal | undefined {
  const principal: unknown = res.locals.principal;
  return typeof principal === 'object' && principal !== null ? principal as Principal : undefined;
}
