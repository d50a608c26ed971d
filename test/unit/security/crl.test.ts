import path from 'node:path';
import { expect } from 'chai';
import { JunctionError } from '../../../src/core/errors';
import { caSubjects, parseCrlPem, pemBlocks } from '../../../src/security/tls/crl';
import { crlFindings, readCrlSet, type CrlSet } from '../../../src/security/tls/crl-files';
import { readElement, readTime } from '../../../src/security/tls/der';
import { TempConfigDir } from '../../support/temp-config';
import { tlsFixture, TLS_FIXTURES } from '../../support/tls-fixtures';

const FIXTURES = TLS_FIXTURES;
const fixture = tlsFixture;
const CA = caSubjects(fixture('clients-ca.crt'));

function setOf(...names: string[]): CrlSet {
  return readCrlSet(names.map((name, i) => ({ file: path.join(FIXTURES, name), where: `server.tls.crl[${i}]` })));
}

describe('CRLs: reading PEM certificate revocation lists (server.tls.crl)', () => {
  it('reads issuer, thisUpdate, nextUpdate and the number of revoked certificates of the openssl-made fixtures', () => {
    const [leaver] = parseCrlPem(fixture('clients-ca-leaver.crl.pem'));
    expect(leaver!.revoked).to.equal(1);
    expect(leaver!.thisUpdate.toISOString()).to.equal('2026-12-03T12:23:46.000Z');
    expect(leaver!.nextUpdate?.toISOString()).to.equal('2126-11-09T12:23:46.000Z'); // GeneralizedTime after 2049
    expect(leaver!.issuer.equals(CA[0]!.der)).to.equal(true);
    expect(leaver!.pem).to.match(/^-----BEGIN X509 CRL-----\n[\s\S]+-----END X509 CRL-----\n$/);
    const [none] = parseCrlPem(fixture('clients-ca-none.crl.pem'));
    expect(none!.revoked).to.equal(0);
    const [expired] = parseCrlPem(fixture('clients-ca-expired.crl.pem'));
    expect(expired!.nextUpdate!.getTime() - expired!.thisUpdate.getTime()).to.equal(1000);
    const [rogue] = parseCrlPem(fixture('client-rogue.crl.pem'));
    expect(rogue!.issuer.equals(CA[0]!.der)).to.equal(false);
  });

  it('reads every CRL of a file that holds several (Node takes one per string)', () => {
    const crls = parseCrlPem(fixture('clients-ca-none.crl.pem') + fixture('clients-ca-leaver.crl.pem'));
    expect(crls.map((c) => c.revoked)).to.deep.equal([0, 1]);
  });

  it('names the CA subjects of server.tls.ca', () => {
    expect(CA.map((c) => c.text)).to.deep.equal(['CN=Junction Test Clients CA, O=Junction Tests']);
  });

  it('refuses text that is not a PEM CRL, saying what it is instead', () => {
    expect(() => parseCrlPem('hello')).to.throw(/no PEM block.*openssl crl -inform DER/);
    expect(() => parseCrlPem(fixture('clients-ca.crt'))).to.throw(/PEM block 1 is a CERTIFICATE, not an X509 CRL/);
    const body = pemBlocks(fixture('clients-ca-leaver.crl.pem'))[0]!.der;
    const truncated = `-----BEGIN X509 CRL-----\n${body.subarray(0, body.length - 10).toString('base64')}\n-----END X509 CRL-----\n`;
    expect(() => parseCrlPem(truncated)).to.throw(/PEM block 1 is not a readable CRL/);
    const junk = `-----BEGIN X509 CRL-----\n${Buffer.from('not der at all').toString('base64')}\n-----END X509 CRL-----\n`;
    expect(() => parseCrlPem(junk)).to.throw(/not a readable CRL/);
  });

  it('reads UTCTime (1950–2049) and GeneralizedTime, and refuses other times', () => {
    const time = (tag: number, text: string): Date => {
      const der = Buffer.concat([Buffer.from([tag, text.length]), Buffer.from(text, 'latin1')]);
      return readTime(der, readElement(der, 0));
    };
    expect(time(0x17, '491231235959Z').toISOString()).to.equal('2049-12-31T23:59:59.000Z');
    expect(time(0x17, '500101000000Z').toISOString()).to.equal('1950-01-01T00:00:00.000Z');
    expect(time(0x18, '21261109122346Z').toISOString()).to.equal('2126-11-09T12:23:46.000Z');
    expect(() => time(0x17, '2612031223Z')).to.throw(/not a UTC time/);
    expect(() => readElement(Buffer.from([0x30, 0x05, 0x01]), 0)).to.throw(/runs past its container/);
  });
});

describe('CRLs: files and findings', () => {
  const dir = new TempConfigDir();
  after(() => dir.remove());

  it('a missing file or a file that is no CRL is JCT_CONFIG_REFERENCE naming the file and the configuration path', () => {
    const missing = path.join(dir.dir, 'gone.crl.pem');
    const error = (() => { try { readCrlSet([{ file: missing, where: 'server.tls.crl[1]' }]); } catch (e) { return e; } return undefined; })();
    expect(error).to.be.instanceOf(JunctionError);
    expect((error as JunctionError).code).to.equal('JCT_CONFIG_REFERENCE');
    expect((error as JunctionError).message).to.contain('server.tls.crl[1]').and.contain(missing).and.contain('ENOENT');
    const cert = dir.write('cert.pem', fixture('clients-ca.crt'));
    expect(() => readCrlSet([{ file: cert, where: 'server.tls.crl' }])).to.throw(JunctionError, /server\.tls\.crl: the file .*cert\.pem is not a PEM certificate revocation list: PEM block 1 is a CERTIFICATE/);
  });

  it('the digest changes with the content, not with the file', () => {
    const a = dir.write('a.pem', fixture('clients-ca-none.crl.pem'));
    const digest = readCrlSet([{ file: a, where: 'x' }]).digest;
    dir.write('a.pem', fixture('clients-ca-none.crl.pem'));
    expect(readCrlSet([{ file: a, where: 'x' }]).digest).to.equal(digest);
    dir.write('a.pem', fixture('clients-ca-leaver.crl.pem'));
    expect(readCrlSet([{ file: a, where: 'x' }]).digest).to.not.equal(digest);
  });

  it('a current CRL of every CA: nothing to report', () => {
    expect(crlFindings(setOf('clients-ca-leaver.crl.pem'), CA, new Date('2030-01-01T00:00:00Z'))).to.deep.equal([]);
  });

  it('an expired CRL is an error (every certificate of its CA is refused); less than a quarter of its validity left is a warning', () => {
    const [expired] = crlFindings(setOf('clients-ca-expired.crl.pem'), CA, new Date('2026-12-03T12:23:48Z'));
    expect(expired).to.include({ level: 'error' });
    expect(expired!.message).to.contain('server.tls.crl[0]').and.contain('expired at 2026-12-03T12:23:47.000Z').and.contain('CN=Junction Test Clients CA').and.contain('CRL_HAS_EXPIRED');
    // Valid for 100 years: 74 years in, more than a quarter is left; 83 years in, less.
    const set = setOf('clients-ca-none.crl.pem');
    expect(crlFindings(set, CA, new Date('2101-01-01T00:00:00Z'))).to.deep.equal([]);
    const [expiring] = crlFindings(set, CA, new Date('2110-01-01T00:00:00Z'));
    expect(expiring).to.include({ level: 'warn' });
    expect(expiring!.message).to.contain('expires at 2126-11-09T12:23:46.000Z');
  });

  it('a CA without a CRL and a CRL of no configured CA are warnings', () => {
    const findings = crlFindings(setOf('client-rogue.crl.pem'), CA, new Date('2030-01-01T00:00:00Z'));
    expect(findings.map((f) => f.level)).to.deep.equal(['warn', 'warn']);
    expect(findings[0]!.message).to.contain('client-rogue.crl.pem was issued by no CA of server.tls.ca');
    expect(findings[1]!.message).to.contain('no CRL of the CA "CN=Junction Test Clients CA, O=Junction Tests"').and.contain('UNABLE_TO_GET_CRL');
  });
});
