import type { Element, Node } from '@xmldom/xmldom';
import { JunctionError } from '../../core/errors';

/**
 * Reads an XML Signature's `SignedInfo` strictly, for WS-Security X.509 signatures
 * (ws-signature.ts): only the algorithms on the lists below, only same-document `#id` references,
 * only the exclusive c14n and enveloped-signature transforms, no comments or processing
 * instructions anywhere in the Signature. Anything else is refused before any cryptography runs.
 */

export const DS_NS = 'http://www.w3.org/2000/09/xmldsig#';
export const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const EC_NS = EXC_C14N;
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

/** XML-DSig signature method URIs → Node's hash name (RSA PKCS#1 v1.5 only: no HMAC, no MD5). */
export const SIGNATURE_METHODS: Readonly<Record<string, { hash: string; sha1: boolean }>> = {
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256': { hash: 'sha256', sha1: false },
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512': { hash: 'sha512', sha1: false },
  'http://www.w3.org/2000/09/xmldsig#rsa-sha1': { hash: 'sha1', sha1: true },
};

/** XML-DSig digest method URIs → Node's hash name. */
export const DIGEST_METHODS: Readonly<Record<string, { hash: string; sha1: boolean }>> = {
  'http://www.w3.org/2001/04/xmlenc#sha256': { hash: 'sha256', sha1: false },
  'http://www.w3.org/2001/04/xmlenc#sha512': { hash: 'sha512', sha1: false },
  'http://www.w3.org/2000/09/xmldsig#sha1': { hash: 'sha1', sha1: true },
};

/** The WS-Security 1.1 fault codes Junction answers signature failures with (wsse: namespace). */
export type WsseFault = 'InvalidSecurity' | 'UnsupportedAlgorithm' | 'FailedCheck' | 'FailedAuthentication' | 'MessageExpired' | 'SecurityTokenUnavailable';

/** A refused signature: JCT_WSS_SIGNATURE_INVALID, with the WS-Security fault code in its details. */
export function signatureRefused(fault: WsseFault, message: string): JunctionError {
  return new JunctionError('JCT_WSS_SIGNATURE_INVALID', message, { details: { wsseFault: fault } });
}

/** One `ds:Reference`, checked in form (not yet resolved or digested). */
export interface SignedReference {
  /** The id the URI names (without `#`). */
  readonly id: string;
  readonly digestHash: string;
  readonly digestSha1: boolean;
  readonly digestValue: Buffer;
  /** Exclusive c14n's InclusiveNamespaces PrefixList of the reference's transform. */
  readonly inclusivePrefixes: readonly string[];
}

/** A checked `ds:SignedInfo`. */
export interface SignedInfo {
  readonly element: Element;
  readonly inclusivePrefixes: readonly string[];
  readonly signatureHash: string;
  readonly signatureSha1: boolean;
  readonly references: readonly SignedReference[];
}

const ELEMENT = 1;
const TEXT = 3;

export function elementChildren(node: Node): Element[] {
  const out: Element[] = [];
  for (let child = node.firstChild; child; child = child.nextSibling) if (child.nodeType === ELEMENT) out.push(child as Element);
  return out;
}

function is(element: Element | undefined, namespace: string, local: string): element is Element {
  return element !== undefined && element.namespaceURI === namespace && element.localName === local;
}

function invalid(message: string): JunctionError {
  return signatureRefused('InvalidSecurity', `The ds:Signature is not of the form Junction verifies: ${message}.`);
}

/** Refuses comments, processing instructions, CDATA and entity references anywhere under `node`. */
export function assertPlain(node: Node): void {
  for (let child = node.firstChild; child; child = child.nextSibling) {
    if (child.nodeType === ELEMENT) assertPlain(child);
    else if (child.nodeType !== TEXT) throw invalid('it holds a comment, processing instruction or CDATA section');
  }
}

/** The text of an element that may hold text only; base64 decoded (whitespace ignored). */
export function base64Of(element: Element, what: string): Buffer {
  if (elementChildren(element).length > 0) throw invalid(`${what} holds elements`);
  const text = (element.textContent ?? '').replace(/\s+/g, '');
  if (text === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) throw invalid(`${what} is not base64`);
  return Buffer.from(text, 'base64');
}

/** The PrefixList of an `ec:InclusiveNamespaces` child (the only child a c14n method may have). */
function inclusivePrefixesOf(method: Element, what: string): string[] {
  const children = elementChildren(method);
  if (children.length === 0) return [];
  if (children.length > 1 || !is(children[0], EC_NS, 'InclusiveNamespaces')) throw invalid(`${what} has children other than one ec:InclusiveNamespaces`);
  return (children[0].getAttribute('PrefixList') ?? '').split(/\s+/).filter((p) => p !== '');
}

function algorithmOf(element: Element): string {
  return element.getAttribute('Algorithm') ?? '';
}

function readReference(reference: Element): SignedReference {
  const uri = reference.getAttribute('URI') ?? '';
  if (!/^#[A-Za-z_][A-Za-z0-9_.-]{0,255}$/.test(uri)) {
    throw invalid(`a Reference URI must name an element by its id ("#id"), not "${uri.slice(0, 80)}"`);
  }
  const parts = elementChildren(reference);
  const transforms = is(parts[0], DS_NS, 'Transforms') ? parts.shift()! : undefined;
  const digestMethod = parts.shift();
  const digestValue = parts.shift();
  if (!is(digestMethod, DS_NS, 'DigestMethod') || !is(digestValue, DS_NS, 'DigestValue') || parts.length > 0) {
    throw invalid(`Reference ${uri} must hold Transforms, DigestMethod and DigestValue, in that order`);
  }
  const digest = DIGEST_METHODS[algorithmOf(digestMethod)];
  if (!digest || elementChildren(digestMethod).length > 0) {
    throw signatureRefused('UnsupportedAlgorithm', `Reference ${uri} uses digest method "${algorithmOf(digestMethod).slice(0, 100)}"; Junction accepts SHA-256, SHA-512 and (when allowed) SHA-1.`);
  }
  let inclusivePrefixes: string[] = [];
  const steps = transforms ? elementChildren(transforms) : [];
  steps.forEach((step, i) => {
    if (step.namespaceURI !== DS_NS || step.localName !== 'Transform') throw invalid(`Reference ${uri} has a ${step.localName} in its Transforms`);
    const algorithm = algorithmOf(step);
    if (algorithm === EXC_C14N && i === steps.length - 1) {
      inclusivePrefixes = inclusivePrefixesOf(step, `the exclusive c14n transform of Reference ${uri}`);
    } else if (algorithm === ENVELOPED && elementChildren(step).length === 0) {
      // Removes the Signature from what it covers; the elements a reference may name here never hold it.
    } else {
      throw signatureRefused('UnsupportedAlgorithm', `Reference ${uri} has transform "${algorithm.slice(0, 100)}"; Junction accepts only enveloped-signature and exclusive c14n (${EXC_C14N}), which must come last.`);
    }
  });
  if (steps.length === 0 || algorithmOf(steps[steps.length - 1]!) !== EXC_C14N) {
    throw signatureRefused('UnsupportedAlgorithm', `Reference ${uri} must end with the exclusive c14n transform (${EXC_C14N}).`);
  }
  return {
    id: uri.slice(1), digestHash: digest.hash, digestSha1: digest.sha1, digestValue: base64Of(digestValue, `the DigestValue of Reference ${uri}`), inclusivePrefixes,
  };
}

/** Checks a `ds:Signature`'s form and reads its SignedInfo and SignatureValue. */
export function readSignature(signature: Element): { signedInfo: SignedInfo; signatureValue: Buffer; keyInfo: Element } {
  assertPlain(signature);
  const parts = elementChildren(signature);
  const [signedInfo, value, keyInfo] = parts;
  if (!is(signedInfo, DS_NS, 'SignedInfo') || !is(value, DS_NS, 'SignatureValue') || !is(keyInfo, DS_NS, 'KeyInfo') || parts.length > 3) {
    throw invalid('a Signature must hold SignedInfo, SignatureValue and KeyInfo, in that order, and nothing else');
  }
  const items = elementChildren(signedInfo);
  const [c14n, method, ...references] = items;
  if (!is(c14n, DS_NS, 'CanonicalizationMethod') || !is(method, DS_NS, 'SignatureMethod') || references.length === 0
    || !references.every((r) => is(r, DS_NS, 'Reference'))) {
    throw invalid('SignedInfo must hold CanonicalizationMethod, SignatureMethod and one or more References');
  }
  if (algorithmOf(c14n) !== EXC_C14N) {
    throw signatureRefused('UnsupportedAlgorithm', `SignedInfo is canonicalized with "${algorithmOf(c14n).slice(0, 100)}"; Junction accepts exclusive c14n (${EXC_C14N}) only.`);
  }
  const signing = SIGNATURE_METHODS[algorithmOf(method)];
  if (!signing || elementChildren(method).length > 0) {
    throw signatureRefused('UnsupportedAlgorithm', `Signature method "${algorithmOf(method).slice(0, 100)}" is not accepted; Junction accepts RSA-SHA256, RSA-SHA512 and (when allowed) RSA-SHA1, never HMAC.`);
  }
  return {
    signedInfo: {
      element: signedInfo,
      inclusivePrefixes: inclusivePrefixesOf(c14n, 'CanonicalizationMethod'),
      signatureHash: signing.hash,
      signatureSha1: signing.sha1,
      references: references.map(readReference),
    },
    signatureValue: base64Of(value, 'SignatureValue'),
    keyInfo,
  };
}
