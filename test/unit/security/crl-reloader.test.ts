import { renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { expect } from 'chai';
import { caSubjects } from '../../../src/security/tls/crl';
import { readCrlSet, type CrlSet, type CrlSource } from '../../../src/security/tls/crl-files';
import { CrlReloader } from '../../../src/security/tls/crl-reloader';
import { RecordingLogger } from '../../integration/bus/recording-logger';
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
    reloader = new CrlReloader({ sources: [source], initial: readCrlSet([source]), cas: CA, intervalMs: 60_000, logger, now: () => now, apply: (set) => { applied.push(set); } });
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
    publish(fixture('clients-ca-none.crl.pem'));
    expect(reloader.check()).to.equal(true);
    expect(revoked()).to.deep.equal([0]);
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
