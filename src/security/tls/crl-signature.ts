/**
 * Whether a CRL was signed by a CA's key (RFC 5280 §5.1.1.3), with node:crypto: what lets
 * Junction trust a CRL's number and dates before comparing it with another (crl-order.ts), and
 * what the signing-certificate check requires of every CRL it uses (auth/signing-crl.ts).
 */
import { verify, type KeyObject } from 'node:crypto';
import type { Crl } from './crl';

/** CRL signature algorithms (OID) → Node's hash name (null: the key type decides, Ed25519/Ed448). RSA-PSS is not taken. */
const CRL_SIGNATURES: Readonly<Record<string, string | null>> = {
  '1.2.840.113549.1.1.5': 'sha1', '1.2.840.113549.1.1.11': 'sha256', '1.2.840.113549.1.1.12': 'sha384', '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.1': 'sha1', '1.2.840.10045.4.3.2': 'sha256', '1.2.840.10045.4.3.3': 'sha384', '1.2.840.10045.4.3.4': 'sha512',
  '1.3.101.112': null, '1.3.101.113': null,
};

/** Whether Junction can verify a CRL signed with this algorithm (RSA PKCS#1 v1.5, ECDSA, EdDSA). */
export function crlAlgorithmKnown(crl: Pick<Crl, 'signed'>): boolean {
  return CRL_SIGNATURES[crl.signed.algorithm] !== undefined;
}

/** True when `key` verifies the CRL's signature; false when it does not or the algorithm is not one Junction verifies. */
export function crlSignedBy(crl: Pick<Crl, 'signed'>, key: KeyObject): boolean {
  const hash = CRL_SIGNATURES[crl.signed.algorithm];
  if (hash === undefined) return false;
  try {
    return verify(hash, crl.signed.tbs, key, crl.signed.signature);
  } catch {
    return false;
  }
}
