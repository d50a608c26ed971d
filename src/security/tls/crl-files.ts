/**
 * The CRL files of `server.tls.crl` (and of `security.auth.wsSecurity.signature.crl`): read and
 * checked together, at boot and whenever one changes (crl-reloader.ts), and what is worth warning
 * about (an expired CRL, a CA without one).
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { JunctionError } from '../../core/errors';
import { parseCrlPem, type CaSubject, type Crl } from './crl';

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

/** The CRLs of every file, read at one moment. */
export interface CrlSet {
  readonly crls: readonly (Crl & { readonly source: CrlSource })[];
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

/**
 * Reads and checks every file. Throws JCT_CONFIG_REFERENCE naming the file and its configuration
 * path when a file cannot be read or is not a PEM CRL; nothing is half applied.
 */
export function readCrlSet(sources: readonly CrlSource[]): CrlSet {
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
    try {
      return parseCrlPem(text).map((crl) => ({ ...crl, source }));
    } catch (error) {
      throw new JunctionError('JCT_CONFIG_REFERENCE', `${source.where}: the file ${source.file} is not a PEM certificate revocation list: ${(error as Error).message}.`, { cause: error });
    }
  });
  return { crls, digest: hash.digest('hex') };
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
 * of no configured CA (it protects nothing). `setting` names the settings in the messages.
 */
export function crlFindings(set: CrlSet, cas: readonly CaSubject[], now: Date, setting: CrlSetting = SERVER_TLS_CRL): CrlFinding[] {
  const findings: CrlFinding[] = [];
  for (const crl of set.crls) {
    const fields = { file: crl.source.file, nextUpdate: crl.nextUpdate?.toISOString() ?? 'none' };
    const ca = cas.find((c) => c.der.equals(crl.issuer));
    if (!ca) {
      findings.push({ key: `stranger:${crl.source.file}:${crl.issuer.toString('hex')}`, level: 'warn', fields,
        message: `${crl.source.where}: a CRL in ${crl.source.file} was issued by no CA of ${setting.ca}; it protects nothing (check that the file belongs to the CA that issues the ${setting.certificates}s)` });
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
