/**
 * Clients known by their TLS client certificate (`security.clients.<name>.certificate`,
 * docs/security.md "Client certificates"). The TLS layer has already checked the certificate
 * chains to `server.tls.ca`; this maps a verified certificate to the client it names — by its
 * subject, its SHA-256 fingerprint, or both.
 */

/** A client certificate the TLS layer verified: its subject (as Node gives it) and fingerprint. */
export interface TlsPeer {
  /** Subject attributes, e.g. `{ CN: 'erp-batch', O: 'ACME' }`; a repeated attribute is a list. */
  readonly subject: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** SHA-256 fingerprint, `AB:CD:…` (Node's `fingerprint256`). */
  readonly fingerprint256: string;
}

/** How a client's certificate is recognised (at least one of the two). */
export interface CertificateMatch {
  /** The exact subject, e.g. `CN=erp-batch, O=ACME Corp, C=DE` (attribute order and case of names do not matter). */
  readonly subject?: string;
  /** The certificate's SHA-256 fingerprint, hex, with or without colons: pins one certificate. */
  readonly fingerprint256?: string;
}

/** A subject as a sorted list of `NAME=value` pairs: the comparable form. */
type SubjectKey = string;

/**
 * Parses a distinguished name written as `CN=a, O=b` (RFC 4514 style: `,` or `;` between
 * attributes, `\` escapes a special character in a value). Throws an Error saying what is wrong.
 */
export function parseSubject(text: string): SubjectKey {
  const pairs: string[] = [];
  let name = '';
  let value = '';
  let inValue = false;
  const flush = (): void => {
    const attribute = name.trim().toUpperCase();
    if (!/^[A-Z][A-Z0-9-]*$/i.test(attribute)) throw new Error(`"${name.trim()}" is not an attribute name (write e.g. CN=erp-batch, O=ACME)`);
    const trimmed = value.trim();
    if (trimmed === '') throw new Error(`attribute ${attribute} has no value`);
    pairs.push(`${attribute}=${trimmed}`);
    name = '';
    value = '';
    inValue = false;
  };
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i]!;
    if (c === '\\' && inValue && i + 1 < text.length) {
      value += text[i + 1];
      i += 1;
    } else if (c === '=' && !inValue) {
      inValue = true;
    } else if ((c === ',' || c === ';') && inValue) {
      flush();
    } else if (inValue) {
      value += c;
    } else {
      name += c;
    }
  }
  if (!inValue) throw new Error(name.trim() === '' ? 'it ends with a separator' : `"${name.trim()}" has no "=value"`);
  flush();
  return [...pairs].sort().join('\n');
}

/** The comparable form of a verified peer's subject. */
function subjectOf(peer: TlsPeer): SubjectKey {
  const pairs: string[] = [];
  for (const [attribute, value] of Object.entries(peer.subject)) {
    if (value === undefined) continue;
    for (const one of typeof value === 'string' ? [value] : value) pairs.push(`${attribute.toUpperCase()}=${one.trim()}`);
  }
  return pairs.sort().join('\n');
}

/** `AB:CD:…`, upper case, from hex with or without colons; undefined if it is not 32 bytes of hex. */
export function normaliseFingerprint(text: string): string | undefined {
  const hex = text.replace(/:/g, '').toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) return undefined;
  return hex.match(/../g)!.join(':');
}

interface Entry {
  readonly client: string;
  readonly subject?: SubjectKey;
  readonly fingerprint?: string;
}

/** Maps verified client certificates to clients; build with {@link ClientCertificates.compile}. */
export class ClientCertificates {
  private readonly named = new WeakMap<TlsPeer, string | null>();

  private constructor(private readonly entries: readonly Entry[]) {}

  /**
   * Compiles the clients' matches; the problems (unreadable subject or fingerprint, two clients
   * that one certificate would match) are returned in words, naming the configuration path.
   */
  static compile(matches: readonly { client: string; match: CertificateMatch; where: string }[]): { certificates: ClientCertificates; problems: string[] } {
    const entries: Entry[] = [];
    const problems: string[] = [];
    for (const { client, match, where } of matches) {
      let subject: SubjectKey | undefined;
      let fingerprint: string | undefined;
      if (match.subject === undefined && match.fingerprint256 === undefined) {
        problems.push(`${where}: give a subject, a fingerprint256, or both`);
        continue;
      }
      if (match.subject !== undefined) {
        try {
          subject = parseSubject(match.subject);
        } catch (error) {
          problems.push(`${where}.subject: ${(error as Error).message}`);
          continue;
        }
      }
      if (match.fingerprint256 !== undefined) {
        fingerprint = normaliseFingerprint(match.fingerprint256);
        if (fingerprint === undefined) {
          problems.push(`${where}.fingerprint256: not a SHA-256 fingerprint (64 hex digits, colons allowed); get it with: openssl x509 -noout -fingerprint -sha256 -in client.crt`);
          continue;
        }
      }
      const clash = entries.find((e) => (e.fingerprint !== undefined && e.fingerprint === fingerprint)
        || (e.subject !== undefined && e.subject === subject && (e.fingerprint === undefined || fingerprint === undefined)));
      if (clash) problems.push(`${where}: the same certificate would also name client "${clash.client}"; give each client its own subject or fingerprint`);
      entries.push({ client, ...(subject !== undefined ? { subject } : {}), ...(fingerprint !== undefined ? { fingerprint } : {}) });
    }
    return { certificates: new ClientCertificates(entries), problems };
  }

  /** How many clients are known by a certificate. */
  get size(): number {
    return this.entries.length;
  }

  /** The client a verified certificate names, if any (worked out once per peer object: callers keep one per connection). */
  clientOf(peer: TlsPeer): string | undefined {
    if (this.named.has(peer)) return this.named.get(peer) ?? undefined;
    const subject = subjectOf(peer);
    const fingerprint = normaliseFingerprint(peer.fingerprint256);
    const client = this.entries.find((e) => (e.subject === undefined || e.subject === subject) && (e.fingerprint === undefined || e.fingerprint === fingerprint))?.client;
    this.named.set(peer, client ?? null);
    return client;
  }
}
