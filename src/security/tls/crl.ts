/**
 * What Junction reads from a PEM certificate revocation list (RFC 5280 §5.1): enough to refuse a
 * file that is not one, to say whose it is and to warn before it expires, what the signature
 * covers (verified against the CA when the file is read, crl-signature.ts), the extensions that
 * order an issuer's CRLs and set their scope (crl-order.ts), and — for certificates no TLS stack
 * checks (WS-Security signing certificates, signing-crl.ts) — the revoked serial numbers. For TLS
 * client certificates OpenSSL checks the CRL's entries in every handshake (docs/security.md,
 * "Certificate revocation").
 */
import { X509Certificate } from 'node:crypto';
import { children, DER_TAG, encodingOf, readBigInt, readElement, readIntegerHex, readOid, readTime, type DerElement } from './der';

/** One CRL of a file. */
export interface Crl {
  /** The CRL alone, PEM: what Node's TLS takes (one CRL per string). */
  readonly pem: string;
  /** The issuer's distinguished name, DER: compared with CA certificates' subjects. */
  readonly issuer: Buffer;
  readonly thisUpdate: Date;
  /** When the issuer promises the next CRL; OpenSSL refuses the issuer's certificates after it. */
  readonly nextUpdate?: Date;
  /** The CRL Number extension (2.5.29.20): grows with every CRL the issuer publishes (crl-order.ts). */
  readonly crlNumber?: bigint;
  /**
   * The Issuing Distribution Point extension (2.5.29.28), its value (DER): such a CRL covers only
   * part of the issuer's certificates (one partition, only CAs, some reasons), a scope of its own.
   */
  readonly distributionPoint?: Buffer;
  /** The Delta CRL Indicator extension (2.5.29.27): the number of the full CRL this delta CRL adds to. */
  readonly deltaOf?: bigint;
  /** How many certificates it revokes. */
  readonly revoked: number;
  /** The serial numbers it revokes (upper-case hex, no leading zeros). */
  readonly revokedSerials: ReadonlySet<string>;
  /** What the issuer signed (tbsCertList, DER), with which algorithm (OID) and the signature (BIT STRING content). */
  readonly signed: { readonly tbs: Buffer; readonly algorithm: string; readonly signature: Buffer };
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([A-Za-z0-9+/=\s]*?)-----END \1-----/g;

/** The PEM blocks of a text, in order: their label (`X509 CRL`) and DER bytes. */
export function pemBlocks(text: string): { label: string; der: Buffer; pem: string }[] {
  return [...text.matchAll(PEM_BLOCK)].map((m) => ({ label: m[1]!, der: Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64'), pem: `${m[0]}\n` }));
}

/** The CRL extensions Junction reads (RFC 5280 §5.2); others are left to OpenSSL. */
const CRL_NUMBER = '2.5.29.20';
const DELTA_CRL_INDICATOR = '2.5.29.27';
const ISSUING_DISTRIBUTION_POINT = '2.5.29.28';

/** The CRL number, delta indicator and issuing distribution point of `crlExtensions` ([0] EXPLICIT Extensions). */
function readExtensions(der: Buffer, explicit: DerElement | undefined): Pick<Crl, 'crlNumber' | 'distributionPoint' | 'deltaOf'> {
  if (!explicit) return {};
  const list = need(children(der, explicit)[0], DER_TAG.SEQUENCE, 'crlExtensions');
  const out: { crlNumber?: bigint; distributionPoint?: Buffer; deltaOf?: bigint } = {};
  for (const extension of children(der, list)) {
    const parts = children(der, need(extension, DER_TAG.SEQUENCE, 'extension'));
    const oid = readOid(der, need(parts[0], DER_TAG.OBJECT_IDENTIFIER, 'extension OID'));
    const value = need(parts[parts[1]?.tag === DER_TAG.BOOLEAN ? 2 : 1], DER_TAG.OCTET_STRING, `value of extension ${oid}`);
    const inner = (): DerElement => readElement(der, value.contentStart, value.end);
    if (oid === CRL_NUMBER) out.crlNumber = readBigInt(der, inner());
    else if (oid === DELTA_CRL_INDICATOR) out.deltaOf = readBigInt(der, inner());
    else if (oid === ISSUING_DISTRIBUTION_POINT) out.distributionPoint = Buffer.from(der.subarray(value.contentStart, value.end));
  }
  return out;
}

function need(element: DerElement | undefined, tag: number, what: string): DerElement {
  if (!element || element.tag !== tag) throw new Error(`${what} missing`);
  return element;
}

/** Reads one DER CertificateList; throws an Error saying what does not fit. */
function parseCrlDer(der: Buffer, pem: string): Crl {
  const outer = readElement(der, 0);
  if (outer.tag !== DER_TAG.SEQUENCE || outer.end !== der.length) throw new Error('not a DER SEQUENCE');
  const [tbs, algorithm, signature, extra] = children(der, outer);
  need(tbs, DER_TAG.SEQUENCE, 'tbsCertList');
  const algorithmOid = readOid(der, need(children(der, need(algorithm, DER_TAG.SEQUENCE, 'signatureAlgorithm'))[0], DER_TAG.OBJECT_IDENTIFIER, 'signature algorithm OID'));
  need(signature, DER_TAG.BIT_STRING, 'signature');
  if (extra) throw new Error('unexpected data after the signature');
  const fields = children(der, tbs!);
  let i = fields[0]?.tag === DER_TAG.INTEGER ? 1 : 0; // version (v2) is optional
  need(fields[i++], DER_TAG.SEQUENCE, 'signature algorithm');
  const issuer = need(fields[i++], DER_TAG.SEQUENCE, 'issuer');
  const isTime = (e: DerElement | undefined): e is DerElement => e?.tag === DER_TAG.UTC_TIME || e?.tag === DER_TAG.GENERALIZED_TIME;
  const thisUpdate = fields[i++];
  if (!isTime(thisUpdate)) throw new Error('thisUpdate missing');
  const next = isTime(fields[i]) ? fields[i++] : undefined;
  const list = fields[i]?.tag === DER_TAG.SEQUENCE ? fields[i++] : undefined;
  if (fields[i] !== undefined && fields[i]!.tag !== DER_TAG.CONTEXT_0) throw new Error('unexpected field in tbsCertList');
  const extensions = readExtensions(der, fields[i]);
  const entries = list ? children(der, list) : [];
  return {
    pem,
    issuer: Buffer.from(encodingOf(der, issuer)),
    thisUpdate: readTime(der, thisUpdate),
    ...(next ? { nextUpdate: readTime(der, next) } : {}),
    ...extensions,
    revoked: entries.length,
    revokedSerials: new Set(entries.map((entry) => readIntegerHex(der, need(children(der, entry)[0], DER_TAG.INTEGER, 'revoked serial number')))),
    signed: {
      tbs: Buffer.from(encodingOf(der, tbs!)),
      algorithm: algorithmOid,
      // A BIT STRING's first content byte counts the unused bits (0 for a signature).
      signature: Buffer.from(der.subarray(signature!.contentStart + 1, signature!.end)),
    },
  };
}

/**
 * The CRLs in a PEM text (a file may hold several, e.g. one per CA). Throws an Error when there
 * is none, when a block is not a CRL, or when a CRL cannot be read.
 */
export function parseCrlPem(text: string): Crl[] {
  const blocks = pemBlocks(text);
  if (blocks.length === 0) throw new Error('it holds no PEM block (expected -----BEGIN X509 CRL-----; convert a DER file with: openssl crl -inform DER -in file.crl -out file.pem)');
  return blocks.map((block, n) => {
    if (block.label !== 'X509 CRL') throw new Error(`PEM block ${n + 1} is a ${block.label}, not an X509 CRL`);
    try {
      return parseCrlDer(block.der, block.pem);
    } catch (error) {
      throw new Error(`PEM block ${n + 1} is not a readable CRL: ${(error as Error).message}`);
    }
  });
}

/** A CA certificate's subject, DER and as text: what a CRL's issuer must equal to be that CA's; and the certificate, whose key verifies the CA's CRLs. */
export interface CaSubject {
  readonly der: Buffer;
  readonly text: string;
  readonly certificate: X509Certificate;
}

/** A certificate's subject (DER certificate in), as a CRL's issuer names it. */
export function caSubjectOf(certificate: Buffer): CaSubject {
  const outer = readElement(certificate, 0);
  const tbs = children(certificate, outer)[0]!;
  const fields = children(certificate, tbs);
  const i = fields[0]?.tag === DER_TAG.CONTEXT_0 ? 1 : 0; // explicit version
  // serialNumber, signature, issuer, validity, subject
  const subject = need(fields[i + 4], DER_TAG.SEQUENCE, 'subject');
  const parsed = new X509Certificate(certificate);
  return { der: Buffer.from(encodingOf(certificate, subject)), text: parsed.subject.replace(/\n/g, ', '), certificate: parsed };
}

/** The subjects of the certificates in a PEM text (`server.tls.ca`); blocks that are not certificates are skipped. */
export function caSubjects(pem: string): CaSubject[] {
  return pemBlocks(pem).filter((b) => b.label === 'CERTIFICATE').map((b) => caSubjectOf(b.der));
}
