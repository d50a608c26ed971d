import { createHash } from 'node:crypto';
import type { Element } from '@xmldom/xmldom';
import { DECOY_PASSWORD, secretsEqual } from './constant-time';
import type { NonceStore } from '../../core/nonce-store';
import { authFailed, authRequired, type Principal } from './principal';

/** WS-Security 1.0 namespaces (OASIS 2004). */
export const WSSE_NS = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
export const WSU_NS = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';
const TOKEN_PROFILE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0';
export const PASSWORD_TEXT = `${TOKEN_PROFILE}#PasswordText`;
export const PASSWORD_DIGEST = `${TOKEN_PROFILE}#PasswordDigest`;

/** `{namespace}Security`: the header block the SOAP gateway must understand when WS-Security is on. */
export const SECURITY_HEADER = `{${WSSE_NS}}Security`;

/** One SOAP user: a client name and its password. */
export interface SoapUser {
  readonly username: string;
  readonly password: string;
  readonly client: string;
  readonly roles: readonly string[];
}

/** How UsernameTokens are checked (`security.auth.wsSecurity`). */
export interface UsernameTokenOptions {
  /** How old a `Created` may be, in seconds (default 300). */
  readonly maxAgeSeconds: number;
  /** How far in the future a `Created` may be (client clocks run fast), in seconds (default 60). */
  readonly clockSkewSeconds: number;
  /** Refuse PasswordText (the password travels in clear inside the message; only over TLS). Default false. */
  readonly digestOnly: boolean;
}

function children(element: Element, namespace: string, local: string): Element[] {
  const out: Element[] = [];
  for (let child = element.firstChild; child; child = child.nextSibling) {
    const e = child as Element;
    if (child.nodeType === 1 && e.namespaceURI === namespace && e.localName === local) out.push(e);
  }
  return out;
}

function one(element: Element, namespace: string, local: string, required: boolean): Element | undefined {
  const found = children(element, namespace, local);
  if (found.length > 1) throw authFailed(`The UsernameToken has ${found.length} ${local} elements; send one.`);
  if (found.length === 0 && required) throw authFailed(`The UsernameToken has no ${local}.`);
  return found[0];
}

function text(element: Element | undefined): string {
  return (element?.textContent ?? '').trim();
}

/**
 * Verifies a WS-Security UsernameToken (UsernameToken Profile 1.0/1.1): PasswordText or
 * PasswordDigest (Base64(SHA-1(nonce ‖ created ‖ password)), compared in constant time), a
 * `Created` time within the window and a nonce never seen before within it. The nonce is
 * remembered only after the password checks out, so strangers cannot fill the store.
 */
export class UsernameTokenVerifier {
  private readonly users: ReadonlyMap<string, SoapUser>;

  constructor(users: readonly SoapUser[], private readonly options: UsernameTokenOptions, private readonly nonces: NonceStore) {
    this.users = new Map(users.map((u) => [u.username, u]));
  }

  /** The caller the `wsse:Security` header proves. `now` is injectable for tests. */
  async verify(security: Element | undefined, now: number = Date.now()): Promise<Principal> {
    if (!security) throw authRequired('This service requires a WS-Security UsernameToken in the SOAP header (or an API key or bearer JWT over HTTP).');
    const token = one(security, WSSE_NS, 'UsernameToken', false);
    if (!token) throw authRequired('The wsse:Security header holds no UsernameToken.');
    const username = text(one(token, WSSE_NS, 'Username', true));
    const passwordElement = one(token, WSSE_NS, 'Password', true)!;
    const type = passwordElement.getAttribute('Type') || PASSWORD_TEXT;
    const password = passwordElement.textContent ?? '';
    const nonceText = text(one(token, WSSE_NS, 'Nonce', true));
    const created = text(one(token, WSU_NS, 'Created', true));

    const createdAt = Date.parse(created);
    if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(created) || Number.isNaN(createdAt)) {
      throw authFailed('The UsernameToken\'s Created is not an xsd:dateTime with a time zone (e.g. 2026-11-20T10:15:00Z).');
    }
    if (createdAt > now + this.options.clockSkewSeconds * 1000) {
      throw authFailed(`The UsernameToken's Created lies in the future by more than ${this.options.clockSkewSeconds} s; check the client's clock.`);
    }
    if (createdAt < now - this.options.maxAgeSeconds * 1000) {
      throw authFailed(`The UsernameToken's Created is older than ${this.options.maxAgeSeconds} s: the header is stale (or replayed); send a fresh one with every request.`);
    }
    const nonce = Buffer.from(nonceText, 'base64');
    if (nonce.length < 8 || nonce.length > 256) throw authFailed('The UsernameToken\'s Nonce must be 8 to 256 random bytes, in base64.');

    const user = this.users.get(username);
    const expected = user?.password ?? DECOY_PASSWORD;
    let ok: boolean;
    if (type === PASSWORD_DIGEST) {
      const digest = createHash('sha1').update(nonce).update(created, 'utf8').update(expected, 'utf8').digest('base64');
      ok = secretsEqual(password.trim(), digest);
    } else if (type === PASSWORD_TEXT) {
      if (this.options.digestOnly) throw authFailed('PasswordText is not accepted here; send a PasswordDigest.');
      ok = secretsEqual(password, expected);
    } else {
      throw authFailed('The UsernameToken\'s Password Type is neither PasswordText nor PasswordDigest.');
    }
    if (!user || !ok) throw authFailed('The UsernameToken\'s username or password is wrong.');
    // Remembered until its Created would be refused anyway; stored as a hash (never the nonce itself).
    const key = createHash('sha256').update(username, 'utf8').update('\u0000').update(nonce).digest('hex');
    const expiresAt = new Date(createdAt + (this.options.maxAgeSeconds + this.options.clockSkewSeconds) * 1000);
    if (!await this.nonces.rememberNonce(key, expiresAt, new Date(now))) {
      throw authFailed('The UsernameToken\'s Nonce was already used: a header is good for one request only (replay refused).');
    }
    return { name: user.client, method: 'username-token', roles: user.roles };
  }
}
