/**
 * What a failed TLS handshake's error code says, in the four cases a person acts on differently:
 * the peer's certificate is not trusted (give its CA), not issued for the name used (use another
 * name), not valid now (expired or not yet valid), or the handshake itself failed (often: a client
 * certificate was wanted or refused). One reading for every client Junction has (endpoints, the
 * JWKS fetch, the CLI), so their hints agree; undefined for anything that is not TLS.
 */
export type TlsFailure = 'untrusted' | 'hostname' | 'expired' | 'handshake';

export function tlsFailureOf(code: unknown): TlsFailure | undefined {
  if (typeof code !== 'string') return undefined;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return 'hostname';
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return 'expired';
  if (/^(UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|CERT_)/.test(code)) return 'untrusted';
  if (/^(ERR_TLS_|ERR_SSL_|EPROTO$)/.test(code)) return 'handshake';
  return undefined;
}
