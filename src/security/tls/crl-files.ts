/**
 * The CRL files of `server.tls.crl` (and of `security.auth.wsSecurity.signature.crl`): read and
 * checked together, at boot and whenever one changes (crl-reloader.ts) — each CRL of a configured
 * CA must verify with that CA's key, delta CRLs are refused, and of several CRLs of one issuer and
 * scope only the newest is used (crl-order.ts) — and what is worth warning about (an expired CRL,
 * a CA without one, an older CRL set aside).
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { JunctionError } from '../../core/errors';
import { parseCrlPem, type CaSubject, type Crl } from './crl';
import { newestPerScope, versionOf, type Superseded } from './crl-order';
import { crlAlgorithmKnown, crlSignedBy } from './crl-signature';

/** One configured CRL file. */
export interface CrlSource {
  /** Absolute path. */
  readonly file: string;
  /** Where the configuration names it, e.g. `server.tls.crl[1]`. */
  readonly where: string;
}

/** Which setting a set of CRLs belongs to, for log lines: its configuration paths and whose certificates it checks. */
export interface CrlSetting {
  /** `server.tls.crl` */
  readonly crl: string;
  /** `server.tls.ca`: the CAs whose CRLs belong here. */
  readonly ca: string;
  /** `client certificate`: what the CAs issue. */
  readonly certificates: string;
}

/** The CRLs of `server.tls.crl`, checked by OpenSSL against TLS client certificates. */
export const SERVER_TLS_CRL: CrlSetting = Object.freeze({ crl: 'server.tls.crl', ca: 'server.tls.ca', certificates: 'client certificate' });

/** The configured CRL files of a setting (`crl: { file }` or a list), paths resolved against `baseDir`. */
export function crlSources(refs: { readonly file: string } | readonly { readonly file: string }[], setting: string, baseDir: string): CrlSource[] {
  const list: readonly { readonly file: string }[] = Array.isArray(refs) ? refs : [refs as { readonly file: string }];
  return list.map((ref, i) => ({ file: path.resolve(baseDir, ref.file), where: Array.isArray(refs) ? `${setting}[${i}]` : setting }));
}

/** One CRL of a file, and whether its signature verified with the key of a configured CA. */
export type CrlEntry = Crl & { readonly source: CrlSource; readonly verified: boolean };

/** The CRLs of every file, read at one moment. */
export interface CrlSet {
  /** The CRLs in use: the newest of each issuer and scope, and those of no configured CA. */
  readonly crls: readonly CrlEntry[];
  /** CRLs of the files not used, because a newer one of the same issuer and scope is there. */
  readonly superseded: readonly Superseded<CrlEntry>[];
  /** SHA-256 of every file's content: equal digests, nothing changed. */
  readonly digest: string;
}

/** A file's identity and version as `stat` sees it; a rename or a write changes it. */
export function stampOf(file: string): string {
  try {
    const s = statSync(file);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch {
    return 'missing';
  }
}

/** How a CRL's issuer is named in messages: the configured CA's subject, if there is one. */
export function issuerName(crl: Crl, cas: readonly CaSubject[]): string {
  const ca = cas.find((c) => c.der.equals(crl.issuer));
  return ca ? `"${ca.text}"` : 'an issuer that is no configured CA';
}

/**
 * Checks one CRL of a file against the configured CAs: a delta CRL is refused, and so is a CRL
 * whose issuer is a configured CA but whose signature no key of a CA of that name verifies. A CRL
 * of no configured CA, or signed with an algorithm Junction does not verify, is not verified
 * (and never compared with another).
 */
function checkedCrl(crl: Crl, source: CrlSource, cas: readonly CaSubject[]): CrlEntry {
  if (crl.deltaOf !== undefined) {
    throw new JunctionError('JCT_CONFIG_REFERENCE', `${source.where}: the file ${source.file} holds a delta CRL of ${issuerName(crl, cas)} (Delta CRL Indicator, adding to CRL number ${crl.deltaOf}); Junction does not use delta CRLs, which list only what changed since a full CRL. Configure the issuer's full CRL instead (it lists every revoked certificate).`);
  }
  const ofIssuer = cas.filter((ca) => ca.der.equals(crl.issuer));
  if (ofIssuer.length === 0 || !crlAlgorithmKnown(crl)) return { ...crl, source, verified: false };
  if (!ofIssuer.some((ca) => crlSignedBy(crl, ca.certificate.publicKey))) {
    throw new JunctionError('JCT_CONFIG_REFERENCE', `${source.where}: the CRL of ${issuerName(crl, cas)} in ${source.file} (${versionOf(crl)}) does not verify with that CA's key (CRL_SIGNATURE_FAILURE): it was not signed by the configured CA or was altered. Replace the file with the CRL that CA signed.`);
  }
  return { ...crl, source, verified: true };
}

/**
 * Reads and checks every file against the configured CAs `cas` (checkedCrl), keeping the newest
 * CRL of each issuer and scope. Throws JCT_CONFIG_REFERENCE naming the file and its configuration
 * path when a file cannot be read, is not a PEM CRL, holds a delta CRL or a CRL whose signature
 * does not verify; nothing is half applied.
 */
export function readCrlSet(sources: readonly CrlSource[], cas: readonly CaSubject[] = []): CrlSet {
  const hash = createHash('sha256');
  const crls = sources.flatMap((source) => {
    let text: string;
    try {
      if (!statSync(source.file).isFile()) throw new Error('not a file');
      text = readFileSync(source.file, 'utf8');
    } catch (error) {
      throw new JunctionError('JCT_CONFIG_REFERENCE', `${source.where}: the CRL file ${source.file} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); check the path and that Junction may read it.`, { cause: error });
    }
    hash.update(`${source.file}\0${text}\0`);
    let parsed: Crl[];
    try {
      parsed = parseCrlPem(text);
    } catch (error) {
      throw new JunctionError('JCT_CONFIG_REFERENCE', `${source.where}: the file ${source.file} is not a PEM certificate revocation list: ${(error as Error).message}.`, { cause: error });
    }
    return parsed.map((crl) => checkedCrl(crl, source, cas));
  });
  const { kept, superseded } = newestPerScope(crls);
  return { crls: kept, superseded, digest: hash.digest('hex') };
}

/** Something about the CRLs an operator must hear of; `key` identifies it so it is logged once. */
export interface CrlFinding {
  readonly key: string;
  readonly level: 'warn' | 'error';
  readonly message: string;
  readonly fields: Readonly<Record<string, string>>;
}

/**
 * What is wrong or about to go wrong with the CRLs at `now`: a CRL past its nextUpdate (OpenSSL
 * then refuses every certificate of that CA), one with less than a quarter of its validity left,
 * a CA of `server.tls.ca` without a CRL (its certificates are refused: UNABLE_TO_GET_CRL), a CRL
 * of no configured CA (it protects nothing), an older CRL of an issuer set aside for a newer one,
 * a CRL whose signature Junction cannot verify (not protected against rollback). `setting` names
 * the settings in the messages.
 */
export function crlFindings(set: CrlSet, cas: readonly CaSubject[], now: Date, setting: CrlSetting = SERVER_TLS_CRL): CrlFinding[] {
  const findings: CrlFinding[] = [];
  for (const { crl, by } of set.superseded) {
    findings.push({ key: `superseded:${crl.source.file}:${crl.issuer.toString('hex')}:${versionOf(crl)}`, level: 'warn',
      fields: { file: crl.source.file, crl: versionOf(crl), used: versionOf(by), usedFrom: by.source.file },
      message: `${crl.source.where}: ${crl.source.file} holds a CRL of ${issuerName(crl, cas)} (${versionOf(crl)}) that is not newer than another of the same CA and scope (${versionOf(by)}, in ${by.source.file}); only the newest is used. Remove the older CRL from the file` });
  }
  for (const crl of set.crls) {
    const fields = { file: crl.source.file, nextUpdate: crl.nextUpdate?.toISOString() ?? 'none' };
    const ca = cas.find((c) => c.der.equals(crl.issuer));
    if (!ca) {
      findings.push({ key: `stranger:${crl.source.file}:${crl.issuer.toString('hex')}`, level: 'warn', fields,
        message: `${crl.source.where}: a CRL in ${crl.source.file} was issued by no CA of ${setting.ca}; it protects nothing (check that the file belongs to the CA that issues the ${setting.certificates}s)` });
    } else if (!crl.verified && !crlAlgorithmKnown(crl)) {
      findings.push({ key: `unverified:${crl.source.file}:${crl.issuer.toString('hex')}:${crl.signed.algorithm}`, level: 'warn', fields: { ...fields, algorithm: crl.signed.algorithm },
        message: `${crl.source.where}: the CRL of "${ca.text}" in ${crl.source.file} is signed with an algorithm Junction does not verify (OID ${crl.signed.algorithm}; RSA PKCS#1 v1.5, ECDSA and EdDSA are verified), so it is not protected against being replaced by an older CRL; ask the CA to sign its CRLs with one of those` });
    }
    if (!crl.nextUpdate) continue;
    const left = crl.nextUpdate.getTime() - now.getTime();
    const issuer = ca ? `of "${ca.text}" ` : '';
    if (left <= 0) {
      findings.push({ key: `expired:${crl.source.file}:${crl.nextUpdate.getTime()}`, level: 'error', fields,
        message: `${crl.source.where}: the CRL ${issuer}in ${crl.source.file} expired at ${crl.nextUpdate.toISOString()}: every ${setting.certificates} of its CA is refused (CRL_HAS_EXPIRED) until a current CRL replaces the file` });
    } else if (left < (crl.nextUpdate.getTime() - crl.thisUpdate.getTime()) / 4) {
      findings.push({ key: `expiring:${crl.source.file}:${crl.nextUpdate.getTime()}`, level: 'warn', fields,
        message: `${crl.source.where}: the CRL ${issuer}in ${crl.source.file} expires at ${crl.nextUpdate.toISOString()}; replace the file with a newer CRL before then, or every ${setting.certificates} of its CA will be refused` });
    }
  }
  for (const ca of cas) {
    if (!set.crls.some((crl) => ca.der.equals(crl.issuer))) {
      findings.push({ key: `no-crl:${ca.der.toString('hex')}`, level: 'warn', fields: { ca: ca.text },
        message: `${setting.crl}: no CRL of the CA "${ca.text}" (${setting.ca}): once CRLs are checked, every certificate that CA issued is refused (UNABLE_TO_GET_CRL); add its CRL` });
    }
  }
  return findings;
}
