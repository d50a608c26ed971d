import { createPrivateKey } from 'node:crypto';
import { renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { expect } from 'chai';
import { caSubjects } from '../../../src/security/tls/crl';
import { readCrlSet, type CrlSet, type CrlSource } from '../../../src/security/tls/crl-files';
import { CrlReloader } from '../../../src/security/tls/crl-reloader';
import { RecordingLogger } from '../../integration/bus/recording-logger';
import { buildCrl, DAY, LEAVER_SERIAL } from '../../support/crl-builder';
import { TempConfigDir } from '../../support/temp-config';
import { tlsFixture } from '../../support/tls-fixtures';

const fixture = tlsFixture;
const CA = caSubjects(fixture('clients-ca.crt'));

describe('CRL reloader: new CRLs in force when a file changes, bad ones never', () => {
  let dir: TempConfigDir;
  let source: CrlSource;
  let logger: RecordingLogger;
  let applied: CrlSet[];
  let now: Date;
  let reloader: CrlReloader;

  /** Replaces the file the way a CRL publisher should: write aside, then rename over it. */
  const publish = (content: string): void => {
    const temp = `${source.file}.tmp`;
    writeFileSync(temp, content);
    renameSync(temp, source.file);
  };
  const revoked = (): number[] => reloader.crls.crls.map((c) => c.revoked);

  beforeEach(() => {
    dir = new TempConfigDir();
    source = { file: dir.write('clients.crl.pem', fixture('clients-ca-none.crl.pem')), where: 'server.tls.crl' };
    logger = new RecordingLogger();
    applied = [];
    now = new Date('2030-01-01T00:00:00Z');
    reloader = new CrlReloader({ sources: [source], initial: readCrlSet([source], CA), cas: CA, intervalMs: 60_000, logger, now: () => now, apply: (set) => { applied.push(set); } });
  });
  afterEach(() => {
    reloader.close();
    dir.remove();
  });

  it('puts a CRL published by rename into force, once, and logs it', () => {
    expect(reloader.check()).to.equal(false);
    publish(fixture('clients-ca-leaver.crl.pem'));
    expect(reloader.check()).to.equal(true);
    expect(applied.map((s) => s.crls.map((c) => c.revoked))).to.deep.equal([[1]]);
    expect(revoked()).to.deep.equal([1]);
    expect(reloader.check()).to.equal(false);
    expect(logger.lines.filter((l) => l.level === 'info').map((l) => [l.message, l.fields.revoked])).to.deep.equal([['server.tls.crl: new CRLs in force', 1]]);
  });

  it('sees a file rewritten in place, and ignores a touch that changes nothing', () => {
    utimesSync(source.file, new Date(), new Date(Date.now() + 5000));
    expect(reloader.check()).to.equal(false);
    expect(applied).to.deep.equal([]);
    writeFileSync(source.file, fixture('clients-ca-leaver.crl.pem'));
    expect(reloader.check()).to.equal(true);
  });

  it('a bad replacement keeps the CRLs in force, is logged as an error once, and a good one after it is taken', () => {
    publish(fixture('clients-ca-leaver.crl.pem'));
    reloader.check();
    publish('-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n');
    expect(reloader.check()).to.equal(false);
    expect(reloader.check()).to.equal(false);
    expect(revoked()).to.deep.equal([1]);
    const errors = logger.lines.filter((l) => l.level === 'error');
    expect(errors).to.have.length(1);
    expect(errors[0]!.message).to.contain('server.tls.crl: the file').and.contain(source.file).and.contain('not a PEM certificate revocation list').and.contain('stay in force');
    expect(errors[0]!.fields.revoked).to.equal(1);
    publish(buildCrl({ thisUpdate: new Date('2029-01-01T00:00:00Z'), nextUpdate: new Date('2039-01-01T00:00:00Z'), number: 10n }));
    expect(reloader.check()).to.equal(true);
    expect(revoked()).to.deep.equal([0]);
  });

  describe('rollback: an older CRL never replaces the one in force', () => {
    const T0 = new Date('2029-01-01T00:00:00Z').getTime();
    const crlOf = (day: number, number: bigint | undefined, revokedSerials: string[] = []): string => buildCrl({
      thisUpdate: new Date(T0 + day * DAY), nextUpdate: new Date(T0 + (day + 3650) * DAY), revoked: revokedSerials, ...(number !== undefined ? { number } : {}),
    });
    const errors = (): string[] => logger.lines.filter((l) => l.level === 'error').map((l) => l.message);

    it('a CRL with a lower CRL number is refused, logged once (file, CA, both versions, what to do); the newer stays in force; a newer one is taken', () => {
      publish(crlOf(0, 7n, [LEAVER_SERIAL]));
      expect(reloader.check()).to.equal(true);
      expect(revoked()).to.deep.equal([1]);
      // The old CRL copied back — even with a later thisUpdate, its number says it is older.
      publish(crlOf(5, 6n));
      expect(reloader.check()).to.equal(false);
      expect(reloader.check()).to.equal(false);
      expect(revoked()).to.deep.equal([1]);
      expect(applied).to.have.length(1);
      expect(errors()).to.have.length(1);
      expect(errors()[0]).to.contain(`server.tls.crl: ${source.file} holds a CRL of "CN=Junction Test Clients CA, O=Junction Tests" (CRL number 6, thisUpdate 2029-01-06T00:00:00.000Z) older than the one in force (CRL number 7, thisUpdate 2029-01-01T00:00:00.000Z, read from ${source.file})`)
        .and.contain('the CRLs in force stay').and.contain('would un-revoke').and.contain('(CRL number 7 or higher) into the file');
      const fields = logger.lines.find((l) => l.level === 'error')!.fields;
      expect([fields.file, fields.crl, fields.inForce]).to.deep.equal([source.file, 'CRL number 6, thisUpdate 2029-01-06T00:00:00.000Z', 'CRL number 7, thisUpdate 2029-01-01T00:00:00.000Z']);
      // The same CRL (number and thisUpdate) published again is no rollback; a newer one goes into force.
      publish(crlOf(0, 7n, [LEAVER_SERIAL]));
      expect(reloader.check()).to.equal(true);
      expect(errors()).to.have.length(1);
      publish(crlOf(6, 8n));
      expect(reloader.check()).to.equal(true);
      expect(revoked()).to.deep.equal([0]);
    });

    it('without CRL numbers an older thisUpdate is refused; the openssl-made CRL number 1 after number 3 too', () => {
      publish(crlOf(3, undefined, [LEAVER_SERIAL]));
      expect(reloader.check()).to.equal(true);
      publish(crlOf(2, undefined));
      expect(reloader.check()).to.equal(false);
      expect(errors()[0]).to.contain('(no CRL number, thisUpdate 2029-01-03T00:00:00.000Z) older than the one in force (no CRL number, thisUpdate 2029-01-04T00:00:00.000Z')
        .and.contain('(thisUpdate 2029-01-04T00:00:00.000Z or later)');
      expect(revoked()).to.deep.equal([1]);

      // The openssl-made fixtures: number 3 in force, number 1 copied back over it.
      const leaver = { file: dir.write('leaver.crl.pem', fixture('clients-ca-leaver.crl.pem')), where: 'server.tls.crl' };
      const other = new CrlReloader({ sources: [leaver], initial: readCrlSet([leaver], CA), cas: CA, intervalMs: 60_000, logger, apply: (set) => { applied.push(set); } });
      writeFileSync(leaver.file, fixture('clients-ca-none.crl.pem'));
      expect(other.check()).to.equal(false);
      expect(other.crls.crls.map((c) => [c.crlNumber, c.revoked])).to.deep.equal([[3n, 1]]);
    });

    it('a CRL whose signature does not verify with the CA\'s key is refused like a bad file, however new it claims to be', () => {
      const forged = buildCrl({ thisUpdate: new Date(T0 + 9 * DAY), number: 1000n, key: createPrivateKey(fixture('client-erp-batch.key')) });
      publish(crlOf(0, 7n, [LEAVER_SERIAL]));
      reloader.check();
      publish(forged);
      expect(reloader.check()).to.equal(false);
      expect(errors()[0]).to.contain('CRL_SIGNATURE_FAILURE').and.contain('stay in force');
      expect(revoked()).to.deep.equal([1]);
    });
  });

  it('a deleted file keeps the CRLs in force (logged); republishing it is taken', () => {
    rmSync(source.file);
    expect(reloader.check()).to.equal(false);
    expect(logger.lines.filter((l) => l.level === 'error')[0]?.message).to.contain('cannot be read (ENOENT)');
    publish(fixture('clients-ca-leaver.crl.pem'));
    expect(reloader.check()).to.equal(true);
  });

  it('when TLS refuses the new CRLs, the old ones stay and the error is logged', () => {
    const refusing = new CrlReloader({ sources: [source], initial: readCrlSet([source]), cas: CA, intervalMs: 60_000, logger, apply: () => { throw new Error('Failed to parse CRL'); } });
    publish(fixture('clients-ca-leaver.crl.pem'));
    expect(refusing.check()).to.equal(false);
    expect(refusing.crls.crls.map((c) => c.revoked)).to.deep.equal([0]);
    expect(logger.lines.find((l) => l.level === 'error')?.fields.reason).to.equal('Failed to parse CRL');
  });

  it('reports expiry as time passes: a warning when less than a quarter of the validity is left, an error once expired, each once', () => {
    reloader.start();
    expect(logger.lines).to.deep.equal([]);
    now = new Date('2120-01-01T00:00:00Z');
    reloader.check();
    reloader.check();
    expect(logger.lines.map((l) => l.level)).to.deep.equal(['warn']);
    expect(logger.lines[0]!.message).to.contain('expires at 2126-11-09');
    now = new Date('2127-01-01T00:00:00Z');
    reloader.check();
    expect(logger.lines.map((l) => l.level)).to.deep.equal(['warn', 'error']);
    expect(logger.lines[1]!.message).to.contain('expired at 2126-11-09').and.contain('every client certificate of its CA is refused');
  });
});
