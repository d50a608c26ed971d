/**
 * `server.tls.crl`: the CRLs the HTTPS server checks client certificates against — read and
 * checked at boot, then kept current while Junction runs (docs/security.md, "Certificate
 * revocation").
 */
import type { Server } from 'node:https';
import type { SecureContextOptions, TlsOptions } from 'node:tls';
import { JunctionError } from '../../core/errors';
import type { Logger } from '../../core/logger';
import type { ServerTlsConfig } from '../../config/config-types';
import { caSubjects, type CaSubject } from './crl';
import { crlSources, readCrlSet, type CrlSet, type CrlSource } from './crl-files';
import { CrlReloader } from './crl-reloader';
import { ClientCertificateConnections } from './client-connections';

/** The CRL part of the server's TLS settings. */
export interface ServerCrl {
  readonly sources: readonly CrlSource[];
  /** The CRLs read at boot. */
  readonly initial: CrlSet;
  readonly cas: readonly CaSubject[];
  readonly reloadSeconds: number;
}

/**
 * Reads `server.tls.crl` at boot. Throws JCT_CONFIG_INVALID when CRLs are given but no client
 * certificate would be checked against them, JCT_CONFIG_REFERENCE for a file that cannot be read,
 * is not a PEM CRL, holds a delta CRL or a CRL of a CA of `server.tls.ca` that does not verify
 * with that CA's key (naming the file and the configuration path).
 */
export function readServerCrl(tls: ServerTlsConfig, ca: string | undefined, baseDir: string): ServerCrl | undefined {
  if (tls.crl === undefined) return undefined;
  if (ca === undefined || tls.clientCertificates === 'none') {
    throw new JunctionError('JCT_CONFIG_INVALID', 'server.tls.crl: CRLs are checked only against client certificates; set server.tls.ca (the CA that issues them) and server.tls.clientCertificates to "request" or "require", or remove server.tls.crl.');
  }
  const sources = crlSources(tls.crl, 'server.tls.crl', baseDir);
  let cas: CaSubject[];
  try {
    cas = caSubjects(ca);
  } catch (error) {
    throw new JunctionError('JCT_CONFIG_INVALID', `server.tls.ca: a certificate cannot be read: ${(error as Error).message}`, { cause: error });
  }
  return { sources, initial: readCrlSet(sources, cas), cas, reloadSeconds: tls.crlReloadSeconds };
}

/** The TLS options with a set of CRLs in them (Node takes one CRL per string). */
export function withCrls(options: TlsOptions & SecureContextOptions, set: CrlSet): TlsOptions & SecureContextOptions {
  return { ...options, crl: set.crls.map((crl) => crl.pem) };
}

/** What runs next to an HTTPS server with client certificates; close() stops it. */
export interface ServerTlsWatch {
  close(): void;
}

/**
 * Logs refused client certificates and, with CRLs, reloads them on change: each new set goes into
 * the server's secure context (`setSecureContext`, the other TLS options unchanged) and the
 * connections verified before are closed, so that every client is checked against it.
 */
export function watchServerTls(server: Server, options: TlsOptions & SecureContextOptions, crl: ServerCrl | undefined, logger: Logger): ServerTlsWatch {
  const connections = new ClientCertificateConnections(logger);
  connections.attach(server);
  const reloader = crl ? new CrlReloader({
    sources: crl.sources, initial: crl.initial, cas: crl.cas, intervalMs: crl.reloadSeconds * 1000, logger,
    apply: (set) => {
      server.setSecureContext(withCrls(options, set));
      const closed = connections.recycle();
      if (closed > 0) logger.info('server.tls.crl: connections with a client certificate closed, to be checked against the new CRLs', { connections: closed });
    },
  }) : undefined;
  reloader?.start();
  return { close: () => reloader?.close() };
}
