/**
 * Which of two CRLs of one issuer is the newer, so that an older CRL never replaces a newer one
 * (docs/security.md, "Rollback: an older CRL never replaces a newer one"): copying last month's
 * CRL back over the file — by an attacker or a bad deploy — would otherwise un-revoke every
 * certificate revoked since. Used by crl-files.ts (several CRLs of one issuer in the files: the
 * newest is used) and crl-reloader.ts (a reloaded CRL older than the one in force is refused).
 *
 * RFC 5280 §5.2.3: the CRL Number grows with each CRL an issuer publishes for a scope, so it
 * decides when both CRLs carry one; otherwise thisUpdate does. Only CRLs whose signature
 * verified with their CA's key are compared: an unverified CRL's number and dates are just bytes
 * anyone could have written.
 */
import type { Crl } from './crl';

/** What ordering needs of a CRL: its issuer and scope, number and date, and whether its signature verified. */
export type OrderedCrl = Pick<Crl, 'issuer' | 'thisUpdate' | 'crlNumber' | 'distributionPoint'> & {
  /** Its signature verified with the key of a configured CA of its issuer's name. */
  readonly verified: boolean;
};

/**
 * Whose CRL this is and what it covers: the issuer's name plus, for a CRL with an Issuing
 * Distribution Point, that extension (a partition of the issuer's certificates, or only CAs, or
 * some reasons — a CRL of another scope never replaces a full CRL, nor one of another partition).
 */
export function scopeOf(crl: OrderedCrl): string {
  return `${crl.issuer.toString('hex')}/${crl.distributionPoint ? crl.distributionPoint.toString('hex') : 'full'}`;
}

/** Negative when `a` is older than `b`, positive when newer, 0 when neither is: the CRL Number when both have one, else thisUpdate. */
export function compareCrls(a: OrderedCrl, b: OrderedCrl): number {
  if (a.crlNumber !== undefined && b.crlNumber !== undefined && a.crlNumber !== b.crlNumber) return a.crlNumber < b.crlNumber ? -1 : 1;
  return Math.sign(a.thisUpdate.getTime() - b.thisUpdate.getTime());
}

/** A CRL's place in its issuer's sequence, for log lines: `CRL number 7, thisUpdate 2026-12-01T00:00:00.000Z`. */
export function versionOf(crl: Pick<OrderedCrl, 'thisUpdate' | 'crlNumber'>): string {
  return `${crl.crlNumber !== undefined ? `CRL number ${crl.crlNumber}, ` : 'no CRL number, '}thisUpdate ${crl.thisUpdate.toISOString()}`;
}

/** A CRL not used because another of its issuer and scope is newer (or as new: only one is used). */
export interface Superseded<T> {
  readonly crl: T;
  readonly by: T;
}

/**
 * The newest verified CRL of each issuer and scope, the others set aside; unverified CRLs are
 * kept as they are (never compared). `kept` is in the order of `crls`.
 */
export function newestPerScope<T extends OrderedCrl>(crls: readonly T[]): { kept: T[]; superseded: Superseded<T>[] } {
  const newest = new Map<string, T>();
  for (const crl of crls) {
    if (!crl.verified) continue;
    const seen = newest.get(scopeOf(crl));
    if (!seen || compareCrls(crl, seen) > 0) newest.set(scopeOf(crl), crl);
  }
  const kept = crls.filter((crl) => !crl.verified || newest.get(scopeOf(crl)) === crl);
  const superseded = crls.filter((crl) => crl.verified && newest.get(scopeOf(crl)) !== crl).map((crl) => ({ crl, by: newest.get(scopeOf(crl))! }));
  return { kept, superseded };
}

/** A CRL that would replace a newer one in force. */
export interface Rollback<T> {
  readonly crl: T;
  readonly inForce: T;
}

/**
 * The CRLs of `next` that are older than the CRL in force of the same issuer and scope (both
 * verified): putting `next` into force would roll revocation back. A CRL as new as the one in
 * force (the same CRL, re-published) is no rollback.
 */
export function rollbacks<T extends OrderedCrl>(inForce: readonly T[], next: readonly T[]): Rollback<T>[] {
  const current = new Map(inForce.filter((crl) => crl.verified).map((crl) => [scopeOf(crl), crl] as const));
  return next.flatMap((crl) => {
    const old = crl.verified ? current.get(scopeOf(crl)) : undefined;
    return old && compareCrls(crl, old) < 0 ? [{ crl, inForce: old }] : [];
  });
}
