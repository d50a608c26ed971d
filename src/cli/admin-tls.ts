import { readFileSync } from 'node:fs';
import { tlsFailureOf } from '../security/tls/tls-failure';
import { CLI_EXIT, CliStop } from './exit-codes';

/**
 * Mutual TLS to the admin API: the client certificate and key that name the operator's client
 * (`security.clients.<name>.certificate`), and the CA that signs Junction's server certificate
 * when it is not a public one. Paths, read when the first request is sent.
 */
export interface AdminTls {
  readonly cert?: string;
  readonly key?: string;
  readonly ca?: string;
}

/** What the admin client sends: the part of fetch's options it uses. */
export interface AdminRequestInit {
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
  readonly signal: AbortSignal;
}

/** Sends one request: Node's own fetch (which takes no client certificate) or undici's with a TLS agent. */
export type FetchFunction = (url: string, init: AdminRequestInit) => Promise<Response>;

function read(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliStop(CLI_EXIT.USAGE, `The ${what} ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`);
  }
}

/**
 * A fetch that presents the certificate and trusts the CA. undici (Junction's HTTP client, already
 * a dependency) is loaded only here, so commands without TLS options start as fast as before.
 */
export async function tlsFetch(tls: AdminTls): Promise<FetchFunction> {
  const connect = {
    ...(tls.cert !== undefined ? { cert: read(tls.cert, 'client certificate (--cert / JUNCTION_CERT)') } : {}),
    ...(tls.key !== undefined ? { key: read(tls.key, 'client key (--key / JUNCTION_KEY)') } : {}),
    ...(tls.ca !== undefined ? { ca: read(tls.ca, 'CA file (--ca / JUNCTION_CA)') } : {}),
  };
  const { Agent, fetch: undiciFetch } = await import('undici');
  const dispatcher = new Agent({ connect });
  return async (url, init) => await undiciFetch(url, { ...init, dispatcher }) as unknown as Response;
}

/** TLS failures where a certificate was the problem, and what to do about each. */
export function tlsHint(code: string): string | undefined {
  switch (tlsFailureOf(code)) {
    case 'untrusted': return 'Junction\'s server certificate is not trusted: give the CA that signed it with --ca / JUNCTION_CA';
    case 'hostname': return 'Junction\'s server certificate does not name the host in --url: use a name it has';
    case 'expired': return `Junction's server certificate is not valid now (${code})`;
    case 'handshake': return 'Junction may have refused the client certificate: check --cert / --key (JUNCTION_CERT / JUNCTION_KEY) and that server.tls.ca signs it';
    default:
      // TLS 1.3: a server refusing the client certificate usually just resets the connection.
      return code === 'ECONNRESET' ? 'Junction may have refused the client certificate: check --cert / --key (JUNCTION_CERT / JUNCTION_KEY) and that server.tls.ca signs it' : undefined;
  }
}
