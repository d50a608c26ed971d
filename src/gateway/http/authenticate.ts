import type { TLSSocket } from 'node:tls';
import type { NextFunction, Request, Response } from 'express';
import type { TlsPeer } from '../../security/auth/client-certificates';
import type { Principal } from '../../security/auth/principal';
import type { SecurityRuntime } from '../../security/security-setup';

/** The parts of the security runtime an HTTP gateway needs. */
export type GatewaySecurity = Pick<SecurityRuntime, 'mode' | 'docs' | 'authenticator' | 'policy' | 'masker' | 'jsonMaxDepth'>;

/**
 * Each verified connection's peer, read once: `getPeerCertificate()` builds a new object per call,
 * and a connection's certificate does not change (a CRL reload closes the connections it verified).
 */
const peers = new WeakMap<object, TlsPeer | null>();

/** The client certificate of an HTTPS request, when one was sent and verified against `server.tls.ca`. */
export function tlsPeerOf(req: Request): TlsPeer | undefined {
  const socket = req.socket as Partial<TLSSocket> | undefined;
  if (socket?.encrypted !== true || socket.authorized !== true || typeof socket.getPeerCertificate !== 'function') return undefined;
  let peer = peers.get(socket);
  if (peer === undefined) {
    const certificate = socket.getPeerCertificate();
    peer = !certificate || typeof certificate.fingerprint256 !== 'string' || certificate.subject === undefined
      ? null : { subject: certificate.subject as unknown as TlsPeer['subject'], fingerprint256: certificate.fingerprint256 };
    peers.set(socket, peer);
  }
  return peer ?? undefined;
}

/**
 * Express middleware: reads HTTP credentials (API key header, bearer JWT or a verified client
 * certificate that names a client) into
 * `res.locals.principal`. A request without credentials goes on unauthenticated (the route's
 * authorization decides); bad credentials end here with 401. Runs before any body is read.
 */
export function authenticate(security: GatewaySecurity) {
  return (req: Request, res: Response, next: NextFunction): void => {
    // A 401 then challenges with Basic too (sendProblem), so stacks that wait for one send it.
    if (security.authenticator.acceptsHttpBasic) res.locals.basicChallenge = true;
    security.authenticator.fromHeaders(req.headers, tlsPeerOf(req)).then((principal) => {
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
