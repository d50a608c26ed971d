import { createPrivateKey } from 'node:crypto';
import { expect } from 'chai';
import { JunctionError } from '../../../src/core/errors';
import { caSubjects, parseCrlPem } from '../../../src/security/tls/crl';
import { crlFindings, readCrlSet, type CrlSet } from '../../../src/security/tls/crl-files';
import { compareCrls, newestPerScope, rollbacks, scopeOf, versionOf, type OrderedCrl } from '../../../src/security/tls/crl-order';
import { buildCrl, DAY, distributionPoint, LEAVER_SERIAL, type CrlSpec } from '../../support/crl-builder';
import { TempConfigDir } from '../../support/temp-config';
import { tlsFixture } from '../../support/tls-fixtures';

const CA = caSubjects(tlsFixture('clients-ca.crt'));
const T0 = new Date('2026-12-01T00:00:00Z');
const at = (days: number): Date => new Date(T0.getTime() + days * DAY);
const spec = (days: number, more: Partial<CrlSpec> = {}): CrlSpec => ({ thisUpdate: at(days), nextUpdate: at(days + 3650), ...more });
const crl = (days: number, more: Partial<CrlSpec> = {}): OrderedCrl => ({ ...parseCrlPem(buildCrl(spec(days, more)))[0]!, verified: true });

describe('CRL order: which CRL of an issuer is the newer (crl-order)', () => {
  it('reads the CRL number, delta indicator and issuing distribution point (and the openssl-made fixtures\' numbers)', () => {
    const [openssl] = parseCrlPem(tlsFixture('clients-ca-leaver.crl.pem'));
    expect(openssl!.crlNumber).to.equal(3n);
    expect(openssl!.deltaOf).to.equal(undefined);
    const big = 2n ** 150n + 5n; // a CRL number may take 20 octets
    const [built] = parseCrlPem(buildCrl(spec(0, { number: big, deltaOf: 7n, distributionPoint: distributionPoint('http://pki.example/a.crl'), revoked: [LEAVER_SERIAL] })));
    expect(built!.crlNumber).to.equal(big);
    expect(built!.deltaOf).to.equal(7n);
    expect(built!.distributionPoint?.toString('latin1')).to.contain('http://pki.example/a.crl');
    expect([...built!.revokedSerials]).to.deep.equal([LEAVER_SERIAL]);
    expect(parseCrlPem(buildCrl(spec(0)))[0]!.crlNumber).to.equal(undefined);
  });

  it('the CRL number decides when both have one, even against thisUpdate; otherwise thisUpdate', () => {
    const n5early = crl(0, { number: 5n });
    const n4late = crl(9, { number: 4n });
    expect(compareCrls(n5early, n4late)).to.be.greaterThan(0);
    expect(compareCrls(n4late, n5early)).to.be.lessThan(0);
    const plainLate = crl(9);
    expect(compareCrls(n5early, plainLate)).to.be.lessThan(0); // one without a number: thisUpdate
    expect(compareCrls(crl(1), crl(2))).to.be.lessThan(0);
    expect(compareCrls(crl(1, { number: 3n }), crl(2, { number: 3n }))).to.be.lessThan(0); // same number: thisUpdate
    expect(compareCrls(crl(1), crl(1))).to.equal(0);
    expect(versionOf(n5early)).to.equal('CRL number 5, thisUpdate 2026-12-01T00:00:00.000Z');
    expect(versionOf(plainLate)).to.equal('no CRL number, thisUpdate 2026-12-10T00:00:00.000Z');
  });

  it('one issuer, several scopes: a full CRL and partitioned CRLs (Issuing Distribution Point) are never compared', () => {
    const full = crl(0, { number: 1n });
    const partA = crl(5, { number: 9n, distributionPoint: distributionPoint('http://pki.example/a.crl') });
    const partB = crl(6, { number: 10n, distributionPoint: distributionPoint('http://pki.example/b.crl') });
    expect(new Set([full, partA, partB].map(scopeOf)).size).to.equal(3);
    expect(newestPerScope([full, partA, partB]).kept).to.deep.equal([full, partA, partB]);
    expect(rollbacks([partA, partB], [full])).to.deep.equal([]);
    const other = { ...crl(0, { number: 1n }), issuer: caSubjects(tlsFixture('client-rogue.crt'))[0]!.der };
    expect(rollbacks([crl(3, { number: 2n })], [other])).to.deep.equal([]);
  });

  it('of several CRLs of one issuer and scope the newest is kept, the others set aside; unverified CRLs are never compared', () => {
    const [n1, n3, n2] = [crl(0, { number: 1n }), crl(2, { number: 3n }), crl(1, { number: 2n })];
    const { kept, superseded } = newestPerScope([n1, n3, n2]);
    expect(kept).to.deep.equal([n3]);
    expect(superseded).to.deep.equal([{ crl: n1, by: n3 }, { crl: n2, by: n3 }]);
    const unverified = { ...crl(9, { number: 99n }), verified: false };
    expect(newestPerScope([n1, unverified]).kept).to.deep.equal([n1, unverified]);
    expect(rollbacks([unverified], [n1])).to.deep.equal([]);
    expect(rollbacks([n3], [{ ...n1, verified: false }])).to.deep.equal([]);
  });

  it('a CRL older than the one in force is a rollback; the same or a newer one is not', () => {
    const [n1, n2, n3] = [crl(0, { number: 1n }), crl(1, { number: 2n }), crl(2, { number: 3n })];
    expect(rollbacks([n2], [n1])).to.deep.equal([{ crl: n1, inForce: n2 }]);
    expect(rollbacks([n2], [n2, n3])).to.deep.equal([]);
    expect(rollbacks([crl(5)], [crl(4)])).to.have.length(1);
  });
});

describe('CRL files: signatures verified, newest per issuer, delta CRLs refused (crl-files)', () => {
  const dir = new TempConfigDir();
  after(() => dir.remove());
  const read = (name: string, content: string): CrlSet => readCrlSet([{ file: dir.write(name, content), where: 'server.tls.crl' }], CA);
  const refusal = (name: string, content: string): JunctionError => {
    try {
      read(name, content);
    } catch (error) {
      expect(error).to.be.instanceOf(JunctionError);
      expect((error as JunctionError).code).to.equal('JCT_CONFIG_REFERENCE');
      return error as JunctionError;
    }
    throw new Error('the file was taken');
  };

  it('a file with several CRLs of the CA: the newest is used (also given to TLS), the older ones are warned about once each', () => {
    const set = read('several.crl.pem', buildCrl(spec(0, { number: 7n, revoked: [LEAVER_SERIAL] })) + buildCrl(spec(3, { number: 6n })) + buildCrl(spec(1, { number: 5n })));
    expect(set.crls.map((c) => c.crlNumber)).to.deep.equal([7n]);
    expect(set.crls[0]!.verified).to.equal(true);
    const findings = crlFindings(set, CA, at(10));
    expect(findings.map((f) => f.level)).to.deep.equal(['warn', 'warn']);
    expect(findings[0]!.message).to.contain('several.crl.pem holds a CRL of "CN=Junction Test Clients CA, O=Junction Tests" (CRL number 6, thisUpdate 2026-12-04T00:00:00.000Z)')
      .and.contain('not newer than another of the same CA and scope (CRL number 7').and.contain('Remove the older CRL');
    expect(findings[1]!.fields.crl).to.equal('CRL number 5, thisUpdate 2026-12-02T00:00:00.000Z');
  });

  it('without CRL numbers, thisUpdate decides; a partitioned CRL of the same CA is kept beside the full one', () => {
    const part = buildCrl(spec(0, { number: 1n, distributionPoint: distributionPoint('http://pki.example/part1.crl') }));
    const set = read('dates.crl.pem', buildCrl(spec(1)) + buildCrl(spec(4)) + part);
    expect(set.crls.map((c) => [c.thisUpdate.toISOString(), c.distributionPoint !== undefined])).to.deep.equal([['2026-12-05T00:00:00.000Z', false], ['2026-12-01T00:00:00.000Z', true]]);
    expect(set.superseded.map((s) => s.crl.thisUpdate.toISOString())).to.deep.equal(['2026-12-02T00:00:00.000Z']);
  });

  it('a CRL of the CA whose signature does not verify is refused like a bad file, even beside a good one (never used to order)', () => {
    const other = createPrivateKey(tlsFixture('client-erp-batch.key'));
    const forged = buildCrl(spec(9, { number: 100n, key: other }));
    const error = refusal('forged.crl.pem', buildCrl(spec(0, { number: 1n, revoked: [LEAVER_SERIAL] })) + forged);
    expect(error.message).to.contain('server.tls.crl: the CRL of "CN=Junction Test Clients CA, O=Junction Tests" in').and.contain('forged.crl.pem (CRL number 100')
      .and.contain('does not verify with that CA\'s key (CRL_SIGNATURE_FAILURE)').and.contain('Replace the file with the CRL that CA signed');
    // Without the CA's certificate nothing can be verified: such CRLs are read, but never compared.
    const unverified = readCrlSet([{ file: dir.write('forged-only.crl.pem', buildCrl(spec(0, { number: 1n })) + forged), where: 'x' }]);
    expect(unverified.crls.map((c) => [c.crlNumber, c.verified])).to.deep.equal([[1n, false], [100n, false]]);
  });

  it('a delta CRL is refused, saying to configure the full CRL instead', () => {
    const error = refusal('delta.crl.pem', buildCrl(spec(0, { number: 4n })) + buildCrl(spec(1, { number: 5n, deltaOf: 4n, revoked: [LEAVER_SERIAL] })));
    expect(error.message).to.contain('delta.crl.pem holds a delta CRL of "CN=Junction Test Clients CA, O=Junction Tests" (Delta CRL Indicator, adding to CRL number 4)')
      .and.contain('Junction does not use delta CRLs').and.contain('full CRL');
  });

  it('a CRL of no configured CA is read unverified and kept (it protects nothing: warned as before)', () => {
    const rogue = buildCrl(spec(0, { number: 1n, issuerCert: tlsFixture('client-rogue.crt'), key: createPrivateKey(tlsFixture('client-rogue.key')) }));
    const set = read('rogue.crl.pem', rogue + rogue);
    expect(set.crls.map((c) => c.verified)).to.deep.equal([false, false]);
    expect(crlFindings(set, CA, at(1)).map((f) => f.message).join('\n')).to.contain('was issued by no CA of server.tls.ca');
  });
});
