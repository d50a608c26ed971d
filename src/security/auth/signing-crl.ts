import type { X509Certificate } from 'node:crypto';
import type { Crl } from '../tls/crl';
import { caSubjectOf, type CaSubject } from '../tls/crl';
import type { CrlSet, CrlSetting } from '../tls/crl-files';
import { crlAlgorithmKnown, crlSignedBy } from '../tls/crl-signature';

/** Whose CRLs these are, for log lines and messages. */
export const SIGNING_CRL: CrlSetting = Object.freeze({
  crl: 'security.auth.wsSecurity.signature.crl', ca: 'security.auth.wsSecurity.signature.ca', certificates: 'signing certificate',
});

/**
 * Revocation of WS-Security signing certificates (`security.auth.wsSecurity.signature.crl`): no
 * TLS stack sees these certificates, so Junction checks them itself against the CRLs of the CA
 * that issued them, with the rules OpenSSL applies to TLS client certificates (docs/security.md,
 * "Revocation of signing certificates"): the CRL must be the issuing CA's and verify with its key
 * (else CRL_SIGNATURE_FAILURE), a CA without a CRL locks its certificates out
 * (UNABLE_TO_GET_CRL), and so does a CRL past its nextUpdate (CRL_HAS_EXPIRED). The CRLs in force
 * are swapped by {@link update} when the files change (crl-reloader.ts).
 */
export class SigningCrls {
  private set: CrlSet;
  /** Whether a CRL's signature verifies with a CA's key, by CRL and CA fingerprint (computed once per CRL version). */
  private verified = new WeakMap<Crl, Map<string, boolean>>();
  /** The CAs' subjects as CRLs name them, by CA certificate (the anchors live as long as the verifier). */
  private subjects = new WeakMap<X509Certificate, CaSubject>();

  constructor(initial: CrlSet) {
    this.set = initial;
  }

  /** Puts a new set of CRLs into force (the reloader's `apply`). */
  update(set: CrlSet): void {
    this.set = set;
  }

  /**
   * Undefined when `certificate`, issued by the configured CA `issuer`, is not revoked and its
   * revocation status is known at `now`; otherwise why it is refused, in words.
   */
  problemWith(certificate: X509Certificate, issuer: X509Certificate, now: Date): string | undefined {
    let ca = this.subjects.get(issuer);
    if (!ca) this.subjects.set(issuer, ca = caSubjectOf(issuer.raw));
    const ofCa = this.set.crls.filter((crl) => crl.issuer.equals(ca.der));
    if (ofCa.length === 0) {
      return `${SIGNING_CRL.crl} holds no CRL of its CA "${ca.text}", so its revocation status is unknown (UNABLE_TO_GET_CRL); add that CA's CRL`;
    }
    const sound = ofCa.filter((crl) => this.verifies(crl, issuer));
    if (sound.length === 0) {
      const unknown = ofCa.find((crl) => !crlAlgorithmKnown(crl));
      if (unknown) return `the CRL of its CA "${ca.text}" in ${unknown.source.file} is signed with an algorithm Junction does not verify (OID ${unknown.signed.algorithm}; RSA PKCS#1 v1.5, ECDSA and EdDSA are verified)`;
      return `the CRL of its CA "${ca.text}" in ${ofCa[0]!.source.file} does not verify with the CA's key (CRL_SIGNATURE_FAILURE); replace the file with the CRL that CA signed`;
    }
    const serial = certificate.serialNumber.toUpperCase().replace(/^0+(?=.)/, '');
    const revoking = sound.find((crl) => crl.revokedSerials.has(serial));
    if (revoking) return `it is revoked (serial ${serial}, listed in the CRL of "${ca.text}" in ${revoking.source.file})`;
    if (!sound.some((crl) => crl.nextUpdate === undefined || crl.nextUpdate.getTime() >= now.getTime())) {
      const latest = Math.max(...sound.map((crl) => crl.nextUpdate!.getTime()));
      return `the CRL of its CA "${ca.text}" expired at ${new Date(latest).toISOString()} (CRL_HAS_EXPIRED): its revocation status is unknown until a current CRL replaces the file`;
    }
    return undefined;
  }

  private verifies(crl: CrlSet['crls'][number], issuer: X509Certificate): boolean {
    let byCa = this.verified.get(crl);
    if (!byCa) this.verified.set(crl, byCa = new Map());
    let ok = byCa.get(issuer.fingerprint256);
    if (ok === undefined) {
      ok = crlSignedBy(crl, issuer.publicKey);
      byCa.set(issuer.fingerprint256, ok);
    }
    return ok;
  }
}
