import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { JunctionError } from '../../core/errors';
import type { JwksKeySource } from './jwks-key-source';
import { authFailed, type Principal } from './principal';

/** Algorithms a JWT may be signed with. `none` never is. */
export const JWT_ALGORITHMS = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

/** What a JWT must satisfy (`security.auth.jwt`), with the key material already read. */
export interface JwtVerifierOptions {
  readonly algorithms: readonly JwtAlgorithm[];
  /** Shared secret for HS* (at least 32 bytes). */
  readonly secret?: string;
  /** PEM public key (SPKI) or certificate for RS*, PS*, ES*. */
  readonly publicKey?: string;
  /** The identity provider's keys from its JWKS URL, for RS*, PS*, ES* (instead of `publicKey`). */
  readonly jwks?: JwksKeySource;
  readonly issuer: string | readonly string[];
  readonly audience: string | readonly string[];
  /** Claim naming the client (default `sub`). */
  readonly clientClaim?: string;
  /** Claim holding the caller's roles, a string or an array of strings (default `roles`). */
  readonly rolesClaim?: string;
  /** Leeway for exp/nbf/iat against clock drift, in seconds (default 30). */
  readonly clockToleranceSeconds?: number;
  /** Refuse tokens issued longer ago than this, in seconds (needs `iat`); default: only `exp` decides. */
  readonly maxAgeSeconds?: number;
}

/** Why a token was refused, in words a client developer can act on (jose's codes → text). */
function explain(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'the token has expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    const claim = error.claim;
    if (claim === 'iss') return 'the token was issued by an issuer Junction does not trust';
    if (claim === 'aud') return 'the token is not meant for Junction (audience)';
    if (claim === 'nbf') return 'the token is not valid yet';
    if (claim === 'exp') return 'the token has no expiry time (exp); Junction accepts only tokens that expire';
    if (claim === 'iat') return 'the token is too old or its issue time is invalid';
    return `the token's ${claim} claim is not acceptable`;
  }
  if (error instanceof joseErrors.JWKSMultipleMatchingKeys) return 'several keys of the identity provider\'s JWKS match its header; the token must name its key ("kid")';
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'the token is signed with an algorithm Junction does not accept';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'the token\'s signature does not verify';
  if (error instanceof joseErrors.JWSInvalid || error instanceof joseErrors.JWTInvalid) return 'the token is malformed';
  return 'the token cannot be verified';
}

/**
 * Verifies bearer JWTs with jose: signature with the configured key and only the configured
 * algorithms (so an HS token can never be checked against an RSA public key, and `none` never
 * passes), `exp` required, `nbf`, `iss` and `aud` checked, with a small clock tolerance.
 */
export class JwtVerifier {
  private readonly hmacKey: KeyObject | undefined;
  private readonly publicKey: KeyObject | undefined;
  private readonly jwks: JwksKeySource | undefined;
  private readonly clientClaim: string;
  private readonly rolesClaim: string;

  constructor(private readonly options: JwtVerifierOptions) {
    const needsSecret = options.algorithms.some((a) => a.startsWith('HS'));
    const needsPublic = options.algorithms.some((a) => !a.startsWith('HS'));
    if (needsSecret && needsPublic) {
      throw new JunctionError('JCT_CONFIG_INVALID', 'security.auth.jwt.algorithms mixes HS* with RS/PS/ES*; accept one family, so a token cannot choose which key checks it.');
    }
    if (needsSecret) {
      if (!options.secret || Buffer.byteLength(options.secret) < 32) {
        throw new JunctionError('JCT_CONFIG_INVALID', 'security.auth.jwt.secret must be given for HS* algorithms and hold at least 32 bytes.');
      }
      this.hmacKey = createSecretKey(Buffer.from(options.secret, 'utf8'));
    }
    if (needsSecret && options.jwks) throw new JunctionError('JCT_CONFIG_INVALID', 'security.auth.jwt.jwksUrl works only with RS*, PS* and ES* algorithms.');
    if (needsPublic && options.jwks) {
      if (options.publicKey) throw new JunctionError('JCT_CONFIG_INVALID', 'security.auth.jwt: give publicKey or jwksUrl, not both.');
      this.jwks = options.jwks;
    } else if (needsPublic) {
      if (!options.publicKey) throw new JunctionError('JCT_CONFIG_INVALID', 'security.auth.jwt.publicKey or jwksUrl must be given for RS*, PS* and ES* algorithms.');
      try {
        this.publicKey = createPublicKey(options.publicKey);
      } catch {
        throw new JunctionError('JCT_CONFIG_INVALID', 'security.auth.jwt.publicKey is not a PEM public key or certificate.');
      }
    }
    this.clientClaim = options.clientClaim ?? 'sub';
    this.rolesClaim = options.rolesClaim ?? 'roles';
  }

  /** Fetches the JWKS (when configured) so the first caller does not wait for it; never rejects. */
  async prefetch(): Promise<void> {
    await this.jwks?.prefetch();
  }

  /**
   * The caller a token proves, or JCT_AUTH_FAILED saying which check failed; JCT_AUTH_UNAVAILABLE
   * (503) when the identity provider's keys cannot be fetched.
   */
  async verify(token: string): Promise<Principal> {
    let payload: JWTPayload;
    try {
      const options = {
        algorithms: [...this.options.algorithms],
        issuer: typeof this.options.issuer === 'string' ? this.options.issuer : [...this.options.issuer],
        audience: typeof this.options.audience === 'string' ? this.options.audience : [...this.options.audience],
        clockTolerance: this.options.clockToleranceSeconds ?? 30,
        requiredClaims: ['exp'],
        ...(this.options.maxAgeSeconds !== undefined ? { maxTokenAge: this.options.maxAgeSeconds } : {}),
      };
      ({ payload } = this.jwks ? await jwtVerify(token, this.jwks.resolve, options) : await jwtVerify(token, (this.hmacKey ?? this.publicKey)!, options));
    } catch (error) {
      if (error instanceof JunctionError) throw error; // JCT_AUTH_UNAVAILABLE from the key source
      if (error instanceof joseErrors.JWKSNoMatchingKey && this.jwks) throw authFailed(this.unknownKey(token));
      throw authFailed(`The bearer token was refused: ${explain(error)}.`);
    }
    const name = payload[this.clientClaim];
    if (typeof name !== 'string' || name === '' || name.length > 200) {
      throw authFailed(`The bearer token was refused: its "${this.clientClaim}" claim does not name a client.`);
    }
    const raw = payload[this.rolesClaim];
    const roles = typeof raw === 'string' ? raw.split(/\s+/).filter(Boolean) : Array.isArray(raw) ? raw.filter((r): r is string => typeof r === 'string') : [];
    return { name, method: 'jwt', roles };
  }

  /** Why a token whose key is not in the JWKS was refused, naming its `kid` (shortened, printable characters only). */
  private unknownKey(token: string): string {
    let kid: unknown;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch {
      kid = undefined;
    }
    const shown = typeof kid === 'string' ? `"${kid.replace(/[^\x20-\x7e]/g, '?').slice(0, 64)}"` : '(none)';
    return `The bearer token was refused: it is signed with a key the identity provider does not publish (key id "kid" ${shown} is not in its JWKS at ${this.jwks!.where}). `
      + `Get a new token from the identity provider; if it has just rotated its keys, retry in ${Math.max(1, this.jwks!.cooldownSeconds)} seconds.`;
  }
}
