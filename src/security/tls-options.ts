import type { SecureContextOptions, TlsOptions } from 'node:tls';
import type { LoadedConfig } from '../config/load-config';
import type { ClientTlsConfig } from '../config/config-types';
import { JunctionError } from '../core/errors';
import { readSecret } from './secrets';
import { readServerCrl, withCrls, type ServerCrl } from './tls/server-crl';

/** TLS options of an outgoing connection (RabbitMQ, MySQL) with every PEM read. */
export interface ClientTls {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly servername?: string;
  readonly rejectUnauthorized: boolean;
}

/**
 * Reads `bus.tls`, `store.tls` or an endpoint's `tls` (certificates and key from files or the
 * environment; files relative to `baseDir`, the configuration file's folder). A certificate
 * without its key, or a key without its certificate, is JCT_CONFIG_INVALID.
 */
export function readClientTls(tls: ClientTlsConfig | undefined, what: string, baseDir: string, env: NodeJS.ProcessEnv = process.env): ClientTls | undefined {
  if (!tls) return undefined;
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    throw new JunctionError('JCT_CONFIG_INVALID', `${what}: a client certificate needs both \`cert\` and \`key\`; give both or neither.`);
  }
  const read = (field: 'ca' | 'cert' | 'key'): Partial<Record<typeof field, string>> => {
    const ref = tls[field];
    return ref ? { [field]: readSecret(ref, `${what}.${field}`, baseDir, env).value } : {};
  };
  return {
    ...read('ca'), ...read('cert'), ...read('key'),
    ...(tls.servername ? { servername: tls.servername } : {}),
    rejectUnauthorized: tls.rejectUnauthorized,
  };
}

/** The HTTPS server's TLS: the options of `server.tls` with every PEM read, and its CRLs. */
export interface ServerTls {
  readonly options: TlsOptions & SecureContextOptions;
  readonly crl?: ServerCrl;
}

/** The HTTPS server settings of `server.tls`, or undefined for plain HTTP. Throws JCT_CONFIG_* errors. */
export function readServerTls(loaded: LoadedConfig, env: NodeJS.ProcessEnv = process.env): ServerTls | undefined {
  const tls = loaded.config.server.tls;
  if (!tls) return undefined;
  const read = (ref: typeof tls.cert, field: string): string => readSecret(ref, `server.tls.${field}`, loaded.baseDir, env).value;
  const ca = tls.ca ? read(tls.ca, 'ca') : undefined;
  const crl = readServerCrl(tls, ca, loaded.baseDir);
  const options: TlsOptions & SecureContextOptions = {
    cert: read(tls.cert, 'cert'),
    key: read(tls.key, 'key'),
    ...(ca !== undefined ? { ca } : {}),
    minVersion: tls.minVersion,
    requestCert: tls.clientCertificates !== 'none',
    rejectUnauthorized: tls.clientCertificates === 'require',
  };
  return { options: crl ? withCrls(options, crl.initial) : options, ...(crl ? { crl } : {}) };
}
