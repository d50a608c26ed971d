import { X509Certificate } from 'node:crypto';
import type { TlsPeer } from './client-certificates';

/**
 * Trust anchors for certificates that arrive inside messages (a WS-Security
 * BinarySecurityToken), where no TLS stack has checked them: every certificate of the configured
 * PEM bundle is an anchor, and a certificate is trusted when one of them issued it (issuer name,
 * authority key id and signature checked), or when it is one of them (a pinned certificate; its
 * CA's CRL still applies when its CA is in the bundle, signing-crl.ts).
 * Chains sent along in the message are not followed: put intermediate CAs into the bundle.
 */
export class TrustAnchors {
  private constructor(private readonly anchors: readonly X509Certificate[]) {}

  /** Parses a PEM bundle; throws an Error saying what is wrong (no certificate, one unreadable). */
  static fromPem(pem: string): TrustAnchors {
    const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    if (blocks.length === 0) throw new Error('it holds no PEM certificate (-----BEGIN CERTIFICATE-----)');
    const anchors = blocks.map((block, i) => {
      try {
        return new X509Certificate(block);
      } catch (error) {
        throw new Error(`certificate ${i + 1} cannot be read (${(error as Error).message})`);
      }
    });
    return new TrustAnchors(anchors);
  }

  get size(): number {
    return this.anchors.length;
  }

  /**
   * Who vouches for `certificate` at `now`: the configured CA that issued it (issuer name,
   * authority key id and signature checked), or why nobody does, in words. Both the certificate
   * and the anchor that vouches for it must be within their validity. A pinned certificate (one
   * of the anchors itself) is trusted for being there; its `issuer` is then the anchor that issued
   * it, if the bundle holds one (so that its CA's CRL still applies), else undefined. The
   * certificate's signature is checked once here, so callers that also need the issuer (the CRL
   * check) ask once.
   */
  vouch(certificate: X509Certificate, now: Date): { readonly problem: string } | { readonly issuer: X509Certificate | undefined } {
    const expired = validityProblem(certificate, now);
    if (expired) return { problem: `the certificate ${expired}` };
    if (this.anchors.some((anchor) => anchor.raw.equals(certificate.raw))) return { issuer: this.issuerOf(certificate) };
    for (const anchor of this.anchors) {
      if (!issued(certificate, anchor)) continue;
      const anchorExpired = validityProblem(anchor, now);
      if (anchorExpired) return { problem: `the CA certificate that issued it (${oneLine(anchor.subject)}) ${anchorExpired}` };
      return { issuer: anchor };
    }
    return { problem: `it was not issued by a configured CA (issuer: ${oneLine(certificate.issuer)})` };
  }

  /**
   * Every anchor with the anchor that issued it, if the bundle holds one: for a pinned
   * certificate, without it no CRL can be checked (security-setup.ts warns).
   */
  withIssuers(): { readonly certificate: X509Certificate; readonly issuer: X509Certificate | undefined }[] {
    return this.anchors.map((certificate) => ({ certificate, issuer: this.issuerOf(certificate) }));
  }

  private issuerOf(certificate: X509Certificate): X509Certificate | undefined {
    return this.anchors.find((anchor) => issued(certificate, anchor));
  }
}

function issued(certificate: X509Certificate, anchor: X509Certificate): boolean {
  return !anchor.raw.equals(certificate.raw) && anchor.ca && certificate.checkIssued(anchor) && certificate.verify(anchor.publicKey);
}

function validityProblem(certificate: X509Certificate, now: Date): string | undefined {
  const from = new Date(certificate.validFrom);
  const to = new Date(certificate.validTo);
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) return 'has an unreadable validity period';
  if (now < from) return `is not valid before ${from.toISOString()}`;
  if (now > to) return `expired on ${to.toISOString()}`;
  return undefined;
}

/** `CN=a, O=b` from Node's line-per-attribute form. */
export function oneLine(name: string): string {
  return name.split('\n').join(', ');
}

/** A certificate in the shape client-certificates.ts matches: its subject attributes and SHA-256 fingerprint. */
export function peerOf(certificate: X509Certificate): TlsPeer {
  const subject: Record<string, string | string[]> = {};
  for (const line of certificate.subject.split('\n')) {
    const at = line.indexOf('=');
    if (at <= 0) continue;
    const name = line.slice(0, at);
    const value = line.slice(at + 1);
    const seen = subject[name];
    subject[name] = seen === undefined ? value : [...(typeof seen === 'string' ? [seen] : seen), value];
  }
  return { subject, fingerprint256: certificate.fingerprint256 };
}
