import type { IncomingHttpHeaders } from 'node:http';
import type { Element } from '@xmldom/xmldom';
import type { ApiKeyVerifier } from './api-keys';
import type { ClientCertificates, TlsPeer } from './client-certificates';
import type { HttpBasicVerifier } from './http-basic';
import type { JwtVerifier } from './jwt-verifier';
import { authFailed, authRequired, type Principal } from './principal';
import { WSSE_NS, type UsernameTokenVerifier } from './username-token';
import { hasSignature, type WsSignatureVerifier } from './ws-signature';

/** What the {@link Authenticator} is built from (security-setup.ts reads it from the configuration). */
export interface AuthenticatorParts {
  readonly apiKeyHeader: string;
  readonly apiKeys: ApiKeyVerifier;
  /** Roles of each configured client (for API-key callers). */
  readonly rolesOf: (client: string) => readonly string[];
  readonly jwt?: JwtVerifier;
  readonly usernameToken?: UsernameTokenVerifier;
  /** Clients known by their TLS client certificate. */
  readonly certificates?: ClientCertificates;
  /** HTTP Basic with the clients' usernames and passwords (`security.auth.httpBasic`). */
  readonly basic?: HttpBasicVerifier;
  /** WS-Security X.509 signatures (`security.auth.wsSecurity.signature`). */
  readonly signature?: WsSignatureVerifier;
  /** `signature.requireSignedHeaders`: the SOAP gateway refuses a signed request whose header blocks it acts on are unsigned. */
  readonly requireSignedHeaders?: boolean;
}

/** The caller of a SOAP request and, for a signed one whose acted-on headers must be signed, what the signature covers. */
export interface SoapCaller {
  readonly principal: Principal;
  /** Set when the request was signed and `requireSignedHeaders` is on: the elements the signature covers. */
  readonly signed?: ReadonlySet<Element>;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const raw = headers[name.toLowerCase()];
  const value = Array.isArray(raw) ? raw[0] : raw;
  return value === undefined ? undefined : value.trim();
}

/**
 * Turns credentials into a {@link Principal}: an API key header, a bearer JWT, or a WS-Security
 * UsernameToken. Transport-neutral (headers in, principal out), so the REST and SOAP gateways
 * and the admin API share it.
 */
export class Authenticator {
  constructor(private readonly parts: AuthenticatorParts) {}

  /** True when UsernameTokens can be checked (some client has a username). */
  get acceptsUsernameToken(): boolean {
    return this.parts.usernameToken !== undefined;
  }

  /** True when WS-Security X.509 signatures can be checked (`security.auth.wsSecurity.signature`). */
  get acceptsWsSignature(): boolean {
    return this.parts.signature !== undefined;
  }

  /** True when API keys can be checked (some client has an API key). */
  get acceptsApiKeys(): boolean {
    return this.parts.apiKeys.size > 0;
  }

  /** True when HTTP Basic is accepted (`security.auth.httpBasic`): 401s then challenge with it. */
  get acceptsHttpBasic(): boolean {
    return this.parts.basic !== undefined;
  }

  /** True when bearer JWTs can be checked (`security.auth.jwt` is configured). */
  get acceptsJwt(): boolean {
    return this.parts.jwt !== undefined;
  }

  /** True when some client is known by its TLS client certificate. */
  get acceptsCertificates(): boolean {
    return (this.parts.certificates?.size ?? 0) > 0;
  }

  /** Fetches what checking credentials needs from elsewhere (the JWKS) in the background; never rejects. */
  async prefetch(): Promise<void> {
    await this.parts.jwt?.prefetch();
  }

  /** The header that carries API keys (default `X-Api-Key`). */
  get apiKeyHeader(): string {
    return this.parts.apiKeyHeader;
  }

  /**
   * The caller named by HTTP credentials, undefined when the request carries none. Throws
   * JCT_AUTH_FAILED for credentials that do not check out, or for two kinds sent at once. With no
   * API key and no bearer token, a verified TLS client certificate (`peer`) that a client is
   * configured with names that client.
   */
  async fromHeaders(headers: IncomingHttpHeaders, peer?: TlsPeer): Promise<Principal | undefined> {
    const apiKey = header(headers, this.parts.apiKeyHeader);
    const authorization = header(headers, 'authorization');
    const bearer = authorization !== undefined && /^bearer\s/i.test(authorization) ? authorization.slice(7).trim() : undefined;
    const basic = authorization !== undefined && /^basic\s/i.test(authorization) ? authorization.slice(6) : undefined;
    if (apiKey !== undefined && (bearer !== undefined || basic !== undefined)) {
      throw authFailed(`Send one kind of credentials: an API key (${this.parts.apiKeyHeader}), a bearer token or Basic credentials, not two.`);
    }
    if (basic !== undefined) {
      if (!this.parts.basic) throw authFailed('HTTP Basic is not accepted here (security.auth.httpBasic is off); send an API key, a bearer JWT or, over SOAP, a WS-Security UsernameToken.');
      if (basic.length > 4096) throw authFailed('The Basic credentials are longer than 4 KiB.');
      return this.parts.basic.verify(basic);
    }
    if (apiKey !== undefined) {
      const client = apiKey === '' || apiKey.length > 1024 ? undefined : this.parts.apiKeys.clientOf(apiKey);
      if (client === undefined) throw authFailed('The API key is not valid.');
      return { name: client, method: 'api-key', roles: this.parts.rolesOf(client) };
    }
    if (bearer !== undefined) {
      if (!this.parts.jwt) throw authFailed('Bearer tokens are not accepted here (no JWT issuer is configured); send an API key.');
      if (bearer.length > 16384) throw authFailed('The bearer token was refused: it is longer than 16 KiB.');
      return this.parts.jwt.verify(bearer);
    }
    const client = peer === undefined ? undefined : this.parts.certificates?.clientOf(peer);
    if (client !== undefined) return { name: client, method: 'client-certificate', roles: this.parts.rolesOf(client) };
    return undefined;
  }

  /**
   * The caller of a SOAP request, given the one its HTTP credentials named (if any), its
   * `wsse:Security` header and the soap:Body element the gateway processes. With signatures on, a
   * header holding a ds:Signature is verified whatever else the request carries (a signature that
   * fails is never ignored), and must name the same client as HTTP credentials sent with it.
   * Without a signature: the HTTP caller, else the UsernameToken.
   */
  async fromSoapSecurity(httpCaller: Principal | undefined, security: Element | undefined, body: Element): Promise<SoapCaller> {
    if (this.parts.signature && security && hasSignature(security)) {
      if (security.getElementsByTagNameNS(WSSE_NS, 'UsernameToken').length > 0) {
        throw authFailed('The wsse:Security header holds both a signature and a UsernameToken; send one of them.');
      }
      const { principal: signer, signed } = await this.parts.signature.verify(security, body);
      if (httpCaller && httpCaller.name !== signer.name) {
        throw authFailed(`The HTTP credentials name client "${httpCaller.name}" but the signature names "${signer.name}"; send one client's credentials.`);
      }
      return { principal: httpCaller ?? signer, ...(this.parts.requireSignedHeaders === true ? { signed } : {}) };
    }
    if (httpCaller) return { principal: httpCaller };
    if (!this.parts.usernameToken && this.parts.signature) {
      throw authRequired('This service requires a WS-Security X.509 signature in the SOAP header (or an API key, a bearer JWT or a TLS client certificate).');
    }
    return { principal: await this.fromUsernameToken(security) };
  }

  /** The caller a `wsse:Security` header proves; JCT_AUTH_REQUIRED / JCT_AUTH_FAILED otherwise. */
  async fromUsernameToken(security: Element | undefined): Promise<Principal> {
    if (!this.parts.usernameToken) throw authFailed('WS-Security UsernameTokens are not accepted here (no client has a username); send an API key or a bearer token over HTTP.');
    return this.parts.usernameToken.verify(security);
  }
}
