import { createHash, timingSafeEqual, verify as verifySignature, X509Certificate } from 'node:crypto';
import type { Element, Node } from '@xmldom/xmldom';
import { ExclusiveCanonicalization } from 'xml-crypto';
import type { NonceStore } from '../../core/nonce-store';
import type { ClientCertificates } from './client-certificates';
import type { Principal } from './principal';
import type { SigningCrls } from './signing-crl';
import { WSSE_NS, WSU_NS } from './username-token';
import { oneLine, peerOf, type TrustAnchors } from './x509-trust';
import { assertPlain, base64Of, DS_NS, elementChildren, readSignature, signatureRefused, type SignedInfo } from './xml-signed-info';

const X509_V3 = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3';
const BASE64_BINARY = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary';
const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';
const DATE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

/** How X.509 signatures are checked (`security.auth.wsSecurity` and its `signature`). */
export interface WsSignatureOptions {
  /** How old a Timestamp's Created may be, in seconds. */
  readonly maxAgeSeconds: number;
  /** How far in the future a Created may be (and how long past its Expires a Timestamp is still taken), in seconds. */
  readonly clockSkewSeconds: number;
  /** Accept RSA-SHA1 signatures and SHA-1 digests (WCF's Basic256 and older WSS4J defaults). */
  readonly allowSha1: boolean;
}

/** A verified signature: the client its certificate names and the elements its references cover. */
export interface VerifiedSignature {
  readonly principal: Principal;
  /**
   * The elements the signature covers (digests checked): the envelope's Body, the Timestamp and
   * whatever else it references (the BinarySecurityToken, header blocks such as wsa:MessageID).
   * The gateway refuses header blocks it acts on that are not among them (signed-headers.ts).
   */
  readonly signed: ReadonlySet<Element>;
}

/** True when a `wsse:Security` header holds a `ds:Signature` (which then must verify). */
export function hasSignature(security: Element): boolean {
  return elementChildren(security).some((e) => e.namespaceURI === DS_NS && e.localName === 'Signature');
}

function childrenNamed(parent: Element, namespace: string, local: string): Element[] {
  return elementChildren(parent).filter((e) => e.namespaceURI === namespace && e.localName === local);
}

/**
 * Every element of the document by its id (`wsu:Id`, `Id`, `ID`, `id`, in any namespace). An id
 * that two elements carry is refused: a reference to it could mean either (signature wrapping).
 */
function elementsById(root: Element): Map<string, Element> {
  const byId = new Map<string, Element>();
  const visit = (element: Element): void => {
    for (let i = 0; i < element.attributes.length; i += 1) {
      const attribute = element.attributes.item(i)!;
      const local = attribute.localName ?? attribute.name;
      if (local !== 'Id' && local !== 'ID' && local !== 'id') continue;
      if (attribute.namespaceURI === XMLNS_NS) continue;
      if (byId.has(attribute.value) && byId.get(attribute.value) !== element) {
        throw signatureRefused('FailedCheck', `Two elements of the message carry the id "${attribute.value.slice(0, 80)}"; ids must be unique (refused as a possible signature-wrapping attack).`);
      }
      byId.set(attribute.value, element);
    }
    for (const child of elementChildren(element)) visit(child);
  };
  visit(root);
  return byId;
}

/** The namespace declarations in scope at `node`'s parent (nearest first), for exclusive c14n's InclusiveNamespaces. */
function ancestorNamespaces(node: Element): { prefix: string; namespaceURI: string }[] {
  const seen = new Map<string, string>();
  for (let at: Node | null = node.parentNode; at && at.nodeType === 1; at = at.parentNode) {
    const element = at as Element;
    for (let i = 0; i < element.attributes.length; i += 1) {
      const attribute = element.attributes.item(i)!;
      if (attribute.namespaceURI !== XMLNS_NS || attribute.prefix !== 'xmlns') continue;
      const prefix = attribute.localName ?? '';
      if (!seen.has(prefix)) seen.set(prefix, attribute.value);
    }
  }
  return [...seen].map(([prefix, namespaceURI]) => ({ prefix, namespaceURI }));
}

/** Exclusive c14n of `element` (of a deep copy: xml-crypto declares inclusive prefixes on the node it is given). */
function canonical(element: Element, inclusivePrefixes: readonly string[]): string {
  const copy = element.cloneNode(true) as Element;
  return new ExclusiveCanonicalization().process(copy as unknown as Parameters<ExclusiveCanonicalization['process']>[0], {
    inclusiveNamespacesPrefixList: [...inclusivePrefixes],
    ancestorNamespaces: ancestorNamespaces(element),
  });
}

const PROCESSING_INSTRUCTION = 7;
const ELEMENT = 1;

/**
 * Refuses what xml-crypto's exclusive c14n would not digest as the gateway reads it, under a
 * signed element:
 * - processing instructions: their data is written as if it were text (and one without data
 *   throws), so `<amount>1<?x 0.00?></amount>` would digest as the signed `<amount>10.00</amount>`
 *   while the gateway reads "1";
 * - attributes whose name starts with `xmlns` but that declare no namespace (`xmlnsfoo="…"`):
 *   they are left out of the canonical form, so they could be added unsigned.
 * Comments are fine: c14n drops them and the gateway's text reading joins the text around them.
 */
function assertCanonicalizable(element: Element): void {
  for (let i = 0; i < element.attributes.length; i += 1) {
    const attribute = element.attributes.item(i)!;
    if (attribute.name.startsWith('xmlns') && attribute.namespaceURI !== XMLNS_NS) {
      throw signatureRefused('InvalidSecurity', `A signed ${element.localName} has an attribute named xmlns… that declares no namespace (${attribute.name.slice(0, 80)}); signed elements must not have one.`);
    }
  }
  for (let child = element.firstChild; child; child = child.nextSibling) {
    if (child.nodeType === PROCESSING_INSTRUCTION) {
      throw signatureRefused('InvalidSecurity', 'A signed part of the message holds a processing instruction; signed elements must not hold any (refused: it would not be covered by the signature as it is read).');
    }
    if (child.nodeType === ELEMENT) assertCanonicalizable(child as Element);
  }
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Verifies WS-Security X.509 signatures (X.509 Token Profile 1.0/1.1; docs/security.md "WS-Security
 * X.509 signatures"). Every check runs on the very DOM the gateway goes on to process, so what is
 * verified is what is processed:
 * - one ds:Signature in the wsse:Security header, of the strict form xml-signed-info.ts reads;
 * - its references are resolved here, by ids that must be unique in the whole message, and must
 *   cover the envelope's own soap:Body and the wsu:Timestamp of this same Security header (they may
 *   also cover the BinarySecurityToken and other header blocks, nothing else);
 * - the Timestamp is fresh; digests (exclusive c14n by xml-crypto) and the RSA signature check out;
 * - the key is the X.509 certificate of a wsse:BinarySecurityToken of this header, which a
 *   configured CA issued, which is valid now and (with `signature.crl`, signing-crl.ts) not
 *   revoked; it names the client as a TLS client certificate would (`security.clients.<name>.certificate`);
 * - a signature is good for one request (its value is remembered until the Timestamp expires).
 * It returns what the references cover, so that the gateway can refuse unsigned header blocks it
 * would act on (gateway/soap/signed-headers.ts).
 */
export class WsSignatureVerifier {
  constructor(
    private readonly anchors: TrustAnchors,
    private readonly certificates: ClientCertificates,
    private readonly rolesOf: (client: string) => readonly string[],
    private readonly options: WsSignatureOptions,
    private readonly nonces: NonceStore,
    /** `signature.crl`: when set, a certificate a configured CA issued must not be revoked (pinned ones too, when their CA is in the bundle). */
    private readonly crls?: SigningCrls,
  ) {}

  /** The client a signed `security` header proves, and what it signs; `body` is the soap:Body element the gateway processes. */
  async verify(security: Element, body: Element, now: number = Date.now()): Promise<VerifiedSignature> {
    const header = security.parentNode as Element | null;
    const envelope = body.parentNode as Element | null;
    if (!header || !envelope || header.parentNode !== envelope || envelope.ownerDocument?.documentElement !== envelope) {
      throw signatureRefused('InvalidSecurity', 'The wsse:Security header is not in the Header of the envelope whose Body is processed.');
    }
    const signatures = childrenNamed(security, DS_NS, 'Signature');
    if (signatures.length !== 1) throw signatureRefused('InvalidSecurity', `The wsse:Security header holds ${signatures.length} ds:Signature elements; send exactly one.`);
    const timestamps = childrenNamed(security, WSU_NS, 'Timestamp');
    if (timestamps.length !== 1) throw signatureRefused('InvalidSecurity', `A signed message needs exactly one wsu:Timestamp in its wsse:Security header, not ${timestamps.length}.`);
    const timestamp = timestamps[0]!;
    const { signedInfo, signatureValue, keyInfo } = readSignature(signatures[0]!);
    if (!this.options.allowSha1 && (signedInfo.signatureSha1 || signedInfo.references.some((r) => r.digestSha1))) {
      throw signatureRefused('UnsupportedAlgorithm', 'The signature uses SHA-1, which is not accepted here: sign with RSA-SHA256 and SHA-256 digests (WCF: SecurityAlgorithmSuite Basic256Sha256), or set security.auth.wsSecurity.signature.allowSha1.');
    }
    const createdAt = this.checkTimestamp(timestamp, now);
    const byId = elementsById(envelope);
    const token = this.tokenOf(keyInfo, security, byId);
    const signed = this.checkCoverage(signedInfo, byId, { body, timestamp, token, header, security });
    // The certificate first: a key that no CA vouches for (an attacker's, with a huge public
    // exponent that makes RSA verification slow) never gets to cost digests or an RSA operation.
    const trust = this.anchors.vouch(token.certificate, new Date(now));
    if ('problem' in trust) throw signatureRefused('FailedAuthentication', `The signing certificate (${oneLine(token.certificate.subject)}) is not trusted: ${trust.problem}.`);
    // Pinned certificates whose issuing CA is not among the anchors cannot be looked up in CRLs (warned at boot).
    const revoked = this.crls && trust.issuer ? this.crls.problemWith(token.certificate, trust.issuer, new Date(now)) : undefined;
    if (revoked) throw signatureRefused('FailedAuthentication', `The signing certificate (${oneLine(token.certificate.subject)}) is refused: ${revoked}.`);
    const client = this.certificates.clientOf(peerOf(token.certificate));
    if (client === undefined) {
      throw signatureRefused('FailedAuthentication', `The signing certificate (${oneLine(token.certificate.subject)}, SHA-256 ${token.certificate.fingerprint256}) is trusted but names no client: set security.clients.<name>.certificate.`);
    }
    this.checkCryptography(signedInfo, signatureValue, byId, token.certificate);

    const key = createHash('sha256').update('ws-signature\u0000').update(signatureValue).digest('hex');
    const expiresAt = new Date(createdAt + (this.options.maxAgeSeconds + this.options.clockSkewSeconds) * 1000);
    if (!await this.nonces.rememberNonce(key, expiresAt, new Date(now))) {
      throw signatureRefused('FailedCheck', 'This signed message was already received: a signature is good for one request only (replay refused).');
    }
    return { principal: { name: client, method: 'ws-signature', roles: this.rolesOf(client) }, signed };
  }

  /** Created (and Expires, if given) against the clock; returns Created in ms. */
  private checkTimestamp(timestamp: Element, now: number): number {
    assertPlain(timestamp);
    const created = childrenNamed(timestamp, WSU_NS, 'Created');
    const expires = childrenNamed(timestamp, WSU_NS, 'Expires');
    if (created.length !== 1 || expires.length > 1) throw signatureRefused('InvalidSecurity', 'The wsu:Timestamp must hold one Created and at most one Expires.');
    const time = (element: Element): number => {
      const text = (element.textContent ?? '').trim();
      const at = Date.parse(text);
      if (!DATE_TIME.test(text) || Number.isNaN(at)) throw signatureRefused('InvalidSecurity', `The wsu:Timestamp's ${element.localName} is not an xsd:dateTime with a time zone (e.g. 2026-11-20T10:15:00Z).`);
      return at;
    };
    const createdAt = time(created[0]!);
    const { maxAgeSeconds, clockSkewSeconds } = this.options;
    if (createdAt > now + clockSkewSeconds * 1000) {
      throw signatureRefused('MessageExpired', `The wsu:Timestamp's Created lies in the future by more than ${clockSkewSeconds} s; check the client's clock.`);
    }
    if (createdAt < now - maxAgeSeconds * 1000) {
      throw signatureRefused('MessageExpired', `The wsu:Timestamp's Created is older than ${maxAgeSeconds} s: the message is stale (or replayed); sign every request afresh.`);
    }
    if (expires.length === 1 && time(expires[0]!) < now - clockSkewSeconds * 1000) {
      throw signatureRefused('MessageExpired', 'The wsu:Timestamp has expired (its Expires has passed).');
    }
    return createdAt;
  }

  /** KeyInfo must be a SecurityTokenReference to an X.509 BinarySecurityToken of this same header. */
  private tokenOf(keyInfo: Element, security: Element, byId: ReadonlyMap<string, Element>): { element: Element; certificate: X509Certificate } {
    const [reference, ...more] = elementChildren(keyInfo);
    const pointer = reference?.namespaceURI === WSSE_NS && reference.localName === 'SecurityTokenReference' ? elementChildren(reference) : [];
    const target = pointer.length === 1 && pointer[0]!.namespaceURI === WSSE_NS && pointer[0]!.localName === 'Reference' ? pointer[0]!.getAttribute('URI') ?? '' : '';
    if (more.length > 0 || !target.startsWith('#')) {
      throw signatureRefused('SecurityTokenUnavailable', 'The signature\'s KeyInfo must be a wsse:SecurityTokenReference with a wsse:Reference URI="#id" to a wsse:BinarySecurityToken in the message (send the certificate: WSS4J signatureKeyIdentifier=DirectReference, WCF X509KeyIdentifierClauseType.Any with the token included).');
    }
    const element = byId.get(target.slice(1));
    if (!element || element.namespaceURI !== WSSE_NS || element.localName !== 'BinarySecurityToken' || element.parentNode !== security) {
      throw signatureRefused('SecurityTokenUnavailable', `The signature's key reference ${target.slice(0, 80)} names no wsse:BinarySecurityToken of the same wsse:Security header.`);
    }
    const valueType = element.getAttribute('ValueType') ?? '';
    const encoding = element.getAttribute('EncodingType');
    if (valueType !== X509_V3 || (encoding && encoding !== BASE64_BINARY)) {
      throw signatureRefused('InvalidSecurity', `The BinarySecurityToken must be an X.509 v3 certificate in base64 (ValueType ${X509_V3}), not "${valueType.slice(0, 100)}".`);
    }
    try {
      return { element, certificate: new X509Certificate(base64Of(element, 'the BinarySecurityToken')) };
    } catch (error) {
      if (error instanceof Error && 'code' in error && error.code === 'JCT_WSS_SIGNATURE_INVALID') throw error;
      throw signatureRefused('InvalidSecurity', 'The BinarySecurityToken is not a readable X.509 certificate (DER, base64).');
    }
  }

  /** Every reference resolves here, to one distinct allowed element; the Body and the Timestamp must be among them. */
  private checkCoverage(signedInfo: SignedInfo, byId: ReadonlyMap<string, Element>,
    parts: { body: Element; timestamp: Element; token: { element: Element }; header: Element; security: Element }): ReadonlySet<Element> {
    const covered = new Set<Element>();
    for (const reference of signedInfo.references) {
      const element = byId.get(reference.id);
      if (!element) throw signatureRefused('FailedCheck', `The signature references #${reference.id}, which no element of the message carries.`);
      const allowed = element === parts.body || element === parts.timestamp || element === parts.token.element
        || (element.parentNode === parts.header && element !== parts.security);
      if (!allowed) {
        throw signatureRefused('FailedCheck', `The signature references #${reference.id}, a ${element.localName} that is neither the envelope's Body, its Timestamp, its BinarySecurityToken nor a header block (refused as a possible signature-wrapping attack).`);
      }
      if (covered.has(element)) throw signatureRefused('FailedCheck', `The signature references #${reference.id} twice.`);
      covered.add(element);
    }
    for (const element of covered) assertCanonicalizable(element);
    if (!covered.has(parts.body)) throw signatureRefused('FailedCheck', 'The signature does not cover the soap:Body of this envelope: sign the Body (by its wsu:Id), not a copy of it.');
    if (!covered.has(parts.timestamp)) throw signatureRefused('FailedCheck', 'The signature does not cover the wsu:Timestamp of the wsse:Security header: sign it too.');
    return covered;
  }

  private checkCryptography(signedInfo: SignedInfo, signatureValue: Buffer, byId: ReadonlyMap<string, Element>, certificate: X509Certificate): void {
    if (certificate.publicKey.asymmetricKeyType !== 'rsa') {
      throw signatureRefused('UnsupportedAlgorithm', `The signing certificate has a ${certificate.publicKey.asymmetricKeyType ?? 'unknown'} key; Junction verifies RSA signatures only.`);
    }
    const signed = canonical(signedInfo.element, signedInfo.inclusivePrefixes);
    if (!verifySignature(signedInfo.signatureHash, Buffer.from(signed, 'utf8'), certificate.publicKey, signatureValue)) {
      throw signatureRefused('FailedCheck', 'The signature value does not verify with the certificate of the BinarySecurityToken.');
    }
    for (const reference of signedInfo.references) {
      const digest = createHash(reference.digestHash).update(canonical(byId.get(reference.id)!, reference.inclusivePrefixes), 'utf8').digest();
      if (!sameBytes(digest, reference.digestValue)) {
        throw signatureRefused('FailedCheck', `The digest of #${reference.id} does not match: the ${byId.get(reference.id)!.localName} was changed after it was signed.`);
      }
    }
  }
}
