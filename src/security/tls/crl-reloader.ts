/**
 * Keeps a set of CRLs current without a restart — the HTTPS server's (`server.tls.crl`) and the
 * WS-Security signing certificates' (`security.auth.wsSecurity.signature.crl`) (docs/security.md, "Certificate
 * revocation"). Every `intervalMs` it stats the files (a rename or a write changes inode, size or
 * mtime); when one changed it reads them all again and, if they are sound, hands them to `apply`.
 * A file that cannot be read or is not a CRL keeps the CRLs in force and is logged as an error,
 * once per version of the file: revocation checking is never dropped and the process never dies.
 * So does a CRL older than the one in force of the same CA and scope (crl-order.ts): copying an
 * old CRL back would un-revoke the certificates revoked since.
 * Each check also re-evaluates expiry, so a CRL nobody republishes is reported before it bites.
 */
import type { Logger } from '../../core/logger';
import type { CaSubject } from './crl';
import { crlFindings, issuerName, readCrlSet, SERVER_TLS_CRL, stampOf, type CrlEntry, type CrlSet, type CrlSetting, type CrlSource } from './crl-files';
import { rollbacks, versionOf, type Rollback } from './crl-order';

export interface CrlReloaderOptions {
  readonly sources: readonly CrlSource[];
  /** The CRLs read at boot (already in the server's secure context). */
  readonly initial: CrlSet;
  /** The certificates of `server.tls.ca`, to name a CRL's CA, verify its signature and spot a CA without one. */
  readonly cas: readonly CaSubject[];
  readonly intervalMs: number;
  /** Puts a new set of CRLs into force; throws when it cannot (the old set stays). */
  readonly apply: (set: CrlSet) => void;
  readonly logger: Logger;
  readonly now?: () => Date;
  /** Whose CRLs these are, for the log (default `server.tls.crl`). */
  readonly setting?: CrlSetting;
}

export class CrlReloader {
  private current: CrlSet;
  private stamps: string;
  /** The stamps of a version already refused, so that it is reported once. */
  private refusedStamps: string | undefined;
  private reported = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: CrlReloaderOptions) {
    this.current = options.initial;
    this.stamps = this.readStamps();
  }

  /** The CRLs in force. */
  get crls(): CrlSet {
    return this.current;
  }

  /** Reports the boot CRLs' findings and starts watching. */
  start(): void {
    this.report();
    this.timer ??= setInterval(() => this.check(), this.options.intervalMs);
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One round: reload when a file changed, then report what is new. True when new CRLs were put into force. */
  check(): boolean {
    let applied = false;
    try {
      applied = this.reloadIfChanged();
    } catch (error) {
      // Never let a surprise stop the timer or the process; the CRLs in force stay.
      this.options.logger.error(`${this.setting.crl}: checking the CRL files failed; the CRLs in force stay`, { reason: (error as Error).message });
    }
    this.report();
    return applied;
  }

  private get setting(): CrlSetting {
    return this.options.setting ?? SERVER_TLS_CRL;
  }

  private readStamps(): string {
    return this.options.sources.map((s) => stampOf(s.file)).join('|');
  }

  private reloadIfChanged(): boolean {
    const stamps = this.readStamps();
    if (stamps === this.stamps || stamps === this.refusedStamps) return false;
    let next: CrlSet;
    try {
      next = readCrlSet(this.options.sources, this.options.cas);
    } catch (error) {
      this.refusedStamps = stamps;
      this.options.logger.error(`${(error as Error).message} The CRLs read before stay in force; fix or replace the file.`, { revoked: this.revokedCount(this.current) });
      return false;
    }
    this.refusedStamps = undefined;
    this.stamps = stamps;
    if (next.digest === this.current.digest) return false;
    const older = rollbacks(this.current.crls, next.crls);
    if (older.length > 0) {
      this.refusedStamps = stamps;
      for (const rollback of older) this.reportRollback(rollback);
      return false;
    }
    try {
      this.options.apply(next);
    } catch (error) {
      this.refusedStamps = stamps;
      this.options.logger.error(`${this.setting.crl}: the new CRLs were refused; the CRLs read before stay in force`, { reason: (error as Error).message });
      return false;
    }
    this.current = next;
    this.options.logger.info(`${this.setting.crl}: new CRLs in force`, {
      files: this.options.sources.map((s) => s.file).join(', '), crls: next.crls.length, revoked: this.revokedCount(next),
    });
    return true;
  }

  private reportRollback({ crl, inForce }: Rollback<CrlEntry>): void {
    const newEnough = inForce.crlNumber !== undefined && crl.crlNumber !== undefined ? `CRL number ${inForce.crlNumber} or higher` : `thisUpdate ${inForce.thisUpdate.toISOString()} or later`;
    this.options.logger.error(`${crl.source.where}: ${crl.source.file} holds a CRL of ${issuerName(crl, this.options.cas)} (${versionOf(crl)}) older than the one in force (${versionOf(inForce)}, read from ${inForce.source.file}); the new CRLs were refused and the CRLs in force stay. An older CRL would un-revoke the certificates revoked since: put the CA's current CRL (${newEnough}) into the file.`, {
      file: crl.source.file, crl: versionOf(crl), inForce: versionOf(inForce), inForceFrom: inForce.source.file,
    });
  }

  private revokedCount(set: CrlSet): number {
    return set.crls.reduce((sum, crl) => sum + crl.revoked, 0);
  }

  /** Logs findings that were not reported before; forgets those that went away (so they are reported if they return). */
  private report(): void {
    const findings = crlFindings(this.current, this.options.cas, (this.options.now ?? (() => new Date()))(), this.setting);
    const keys = new Set(findings.map((f) => f.key));
    for (const finding of findings) {
      if (this.reported.has(finding.key)) continue;
      this.options.logger[finding.level](finding.message, finding.fields);
    }
    this.reported = keys;
  }
}
