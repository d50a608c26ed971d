import { expect } from 'chai';
import { ClientCertificates, normaliseFingerprint, parseSubject, type TlsPeer } from '../../../src/security/auth/client-certificates';

const FP = '81:59:28:B6:C7:2A:9F:EF:A6:01:1E:2D:33:70:9E:6B:EF:77:27:8C:18:9B:CC:40:7D:6D:8B:1C:2C:86:E6:79';
const peer = (subject: TlsPeer['subject'], fingerprint256 = FP): TlsPeer => ({ subject, fingerprint256 });

describe('client certificates name clients (security/auth/client-certificates)', () => {
  it('reads a subject in any attribute order and case of names, with escaped separators', () => {
    expect(parseSubject('CN=erp-batch, O=ACME Corp, C=DE')).to.equal(parseSubject('c=DE;o=ACME Corp ,cn = erp-batch'));
    expect(parseSubject('CN=Smith\\, John, O=ACME')).to.equal('CN=Smith, John\nO=ACME');
    expect(() => parseSubject('erp-batch')).to.throw('"erp-batch" has no "=value"');
    expect(() => parseSubject('CN=, O=x')).to.throw('attribute CN has no value');
    expect(() => parseSubject('CN=a,')).to.throw('it ends with a separator');
  });

  it('accepts a fingerprint with or without colons, in either case; refuses anything else', () => {
    expect(normaliseFingerprint(FP.replace(/:/g, '').toLowerCase())).to.equal(FP);
    expect(normaliseFingerprint(FP)).to.equal(FP);
    expect(normaliseFingerprint('AB:CD')).to.equal(undefined);
  });

  it('maps by subject, by fingerprint, or by both; a certificate matching neither names nobody', () => {
    const { certificates, problems } = ClientCertificates.compile([
      { client: 'by-subject', match: { subject: 'CN=erp-batch, O=ACME Corp, C=DE' }, where: 'a' },
      { client: 'by-fingerprint', match: { fingerprint256: FP.replace(/:/g, '') }, where: 'b' },
      { client: 'by-both', match: { subject: 'CN=oa, O=ACME Corp', fingerprint256: '00'.repeat(32) }, where: 'c' },
    ]);
    expect(problems).to.deep.equal([]);
    expect(certificates.clientOf(peer({ CN: 'erp-batch', O: 'ACME Corp', C: 'DE' }, '11'.repeat(32)))).to.equal('by-subject');
    // One attribute more or less is another subject.
    expect(certificates.clientOf(peer({ CN: 'erp-batch', O: 'ACME Corp' }, '11'.repeat(32)))).to.equal(undefined);
    expect(certificates.clientOf(peer({ CN: 'anything' }))).to.equal('by-fingerprint');
    expect(certificates.clientOf(peer({ CN: 'oa', O: 'ACME Corp' }, '11'.repeat(32)))).to.equal(undefined);
    expect(certificates.clientOf(peer({ CN: 'oa', O: 'ACME Corp' }, '00'.repeat(32)))).to.equal('by-both');
    expect(certificates.clientOf(peer({ CN: 'erp-batch', OU: ['a', 'b'], O: 'ACME Corp', C: 'DE' }, '11'.repeat(32)))).to.equal(undefined);
  });

  it('reports unreadable entries, empty ones and two clients one certificate would name', () => {
    const { problems } = ClientCertificates.compile([
      { client: 'a', match: { subject: 'CN=x, O=y' }, where: 'security.clients.a.certificate' },
      { client: 'b', match: { subject: 'O=y,CN=x' }, where: 'security.clients.b.certificate' },
      { client: 'c', match: { fingerprint256: 'nope' }, where: 'security.clients.c.certificate' },
      { client: 'd', match: {}, where: 'security.clients.d.certificate' },
      { client: 'e', match: { subject: 'x' }, where: 'security.clients.e.certificate' },
    ]);
    expect(problems).to.deep.equal([
      'security.clients.b.certificate: the same certificate would also name client "a"; give each client its own subject or fingerprint',
      'security.clients.c.certificate.fingerprint256: not a SHA-256 fingerprint (64 hex digits, colons allowed); get it with: openssl x509 -noout -fingerprint -sha256 -in client.crt',
      'security.clients.d.certificate: give a subject, a fingerprint256, or both',
      'security.clients.e.certificate.subject: "x" has no "=value"',
    ]);
  });
});
