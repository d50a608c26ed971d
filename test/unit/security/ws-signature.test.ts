import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { Element } from '@xmldom/xmldom';
import type { JunctionError } from '../../../src/core/errors';
import { readEnvelope } from '../../../src/gateway/soap/soap-request';
import { ApiKeyVerifier } from '../../../src/security/auth/api-keys';
import { Authenticator } from '../../../src/security/auth/authenticator';
import { ClientCertificates } from '../../../src/security/auth/client-certificates';
import { NonceCache } from '../../../src/security/auth/nonce-cache';
import { SECURITY_HEADER } from '../../../src/security/auth/username-token';
import { WsSignatureVerifier, type WsSignatureOptions } from '../../../src/security/auth/ws-signature';
import { TrustAnchors } from '../../../src/security/auth/x509-trust';
import { SIGNING_CRL, SigningCrls } from '../../../src/security/auth/signing-crl';
import { caSubjects } from '../../../src/security/tls/crl';
import { readCrlSet, type CrlSource } from '../../../src/security/tls/crl-files';
import { CrlReloader } from '../../../src/security/tls/crl-reloader';
import { RecordingLogger } from '../../integration/bus/recording-logger';
import { TempConfigDir } from '../../support/temp-config';
import { TLS_FIXTURES, tlsFixture } from '../../support/tls-fixtures';
import { rejection } from '../../support/errors';
import { fixture, nodeSoapSign, unsignedEnvelope, zeepSign } from '../../support/ws-signers';

const ERP = fixture('client-erp-batch-rsa');
const ROGUE = fixture('client-rogue-rsa');
const BODY = '<m:SubmitOrder xmlns:m="urn:test:orders"><m:orderId>A-1</m:orderId><m:amount>10.00</m:amount></m:SubmitOrder>';
const OPTIONS: WsSignatureOptions = { maxAgeSeconds: 300, clockSkewSeconds: 60, allowSha1: false };

function verifier(options: Partial<WsSignatureOptions> = {}, subject = 'CN=erp-batch, O=ACME Corp, C=DE'): WsSignatureVerifier {
  const { certificates, problems } = ClientCertificates.compile([{ client: 'erp-batch', match: { subject }, where: 'test' }]);
  expect(problems).to.deep.equal([]);
  return new WsSignatureVerifier(TrustAnchors.fromPem(readFileSync('test/fixtures/tls/clients-ca.crt', 'utf8')), certificates,
    (client) => (client === 'erp-batch' ? ['batch'] : []), { ...OPTIONS, ...options }, new NonceCache(1000));
}

/** What the gateway hands the verifier: the Security header block and the processed soap:Body. */
function parts(text: string, version: '1.1' | '1.2' = '1.1'): { security: Element; body: Element } {
  const envelope = readEnvelope(text, version, new Set([SECURITY_HEADER]));
  const security = envelope.blocks.find((b) => b.localName === 'Security');
  if (!security) throw new Error('no Security header');
  return { security, body: envelope.body.parentNode as Element };
}

async function refusal(text: string, v = verifier(), now?: number): Promise<JunctionError> {
  const { security, body } = parts(text);
  const error = await rejection(v.verify(security, body, now));
  expect(error.code, error.message).to.equal('JCT_WSS_SIGNATURE_INVALID');
  return error;
}

/** The signed soap:Body element's text, as the signer wrote it. */
function signedBody(text: string): string {
  const match = /<soap:Body[\s\S]*<\/soap:Body>/.exec(text);
  if (!match) throw new Error('no Body');
  return match[0];
}

describe('WS-Security X.509 signatures (security/auth/ws-signature)', function () {
  this.timeout(30_000);

  it('accepts a zeep/libxmlsec1-signed message (RSA-SHA256) from a configured certificate and names its client', async () => {
    const { security, body } = parts(zeepSign(unsignedEnvelope(BODY), ERP));
    expect((await verifier().verify(security, body)).principal).to.deep.equal({ name: 'erp-batch', method: 'ws-signature', roles: ['batch'] });
  });

  it('accepts node-soap\'s WSSecurityCert (enveloped-signature + exclusive c14n transforms) as a second signer', async () => {
    const { security, body } = parts(nodeSoapSign(BODY, ERP));
    expect((await verifier().verify(security, body)).principal.name).to.equal('erp-batch');
  });

  it('accepts the layout of Apache WSS4J/CXF (ds: prefix, ec:InclusiveNamespaces PrefixList on SignedInfo and the Timestamp)', async () => {
    const signed = zeepSign(unsignedEnvelope(BODY), ERP, 'wss4j');
    expect(signed).to.contain('PrefixList="wsse soap"');
    const { security, body } = parts(signed);
    expect((await verifier().verify(security, body)).principal.name).to.equal('erp-batch');
  });

  it('accepts SOAP 1.2 with the wsu prefix declared on the Envelope (ancestor namespaces in exclusive c14n), in both layouts', async () => {
    const envelope = unsignedEnvelope(BODY)
      .replace(' xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"', '')
      .replace('<soap:Envelope ', '<soap:Envelope xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd" ')
      .replace('http://schemas.xmlsoap.org/soap/envelope/', 'http://www.w3.org/2003/05/soap-envelope');
    for (const mode of ['sha256', 'wss4j'] as const) {
      const signed = zeepSign(envelope, ERP, mode);
      expect(signed).to.match(/<soap:Body wsu:Id="/);
      const { security, body } = parts(signed, '1.2');
      expect((await verifier().verify(security, body)).principal.name).to.equal('erp-batch');
    }
  });

  it('refuses SHA-1 unless allowSha1 is set (then RSA-SHA1 with SHA-1 digests verifies)', async () => {
    const signed = zeepSign(unsignedEnvelope(BODY), ERP, 'sha1');
    const error = await refusal(signed);
    expect(error.details.wsseFault).to.equal('UnsupportedAlgorithm');
    expect(error.message).to.match(/SHA-1.*allowSha1/);
    const { security, body } = parts(signed);
    expect((await verifier({ allowSha1: true }).verify(security, body)).principal.name).to.equal('erp-batch');
  });

  it('refuses a Body changed after signing (FailedCheck)', async () => {
    const tampered = zeepSign(unsignedEnvelope(BODY), ERP).replace('10.00', '99999.00');
    const error = await refusal(tampered);
    expect(error.details.wsseFault).to.equal('FailedCheck');
    expect(error.message).to.match(/digest of #.* does not match: the Body was changed/);
  });

  it('refuses a changed SignedInfo (the signature value no longer verifies)', async () => {
    const signed = zeepSign(unsignedEnvelope(BODY), ERP);
    const tampered = signed.replace(/<DigestValue>[^<]+<\/DigestValue>/, '<DigestValue>AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=</DigestValue>');
    expect(tampered).not.to.equal(signed);
    expect((await refusal(tampered)).message).to.match(/signature value does not verify/);
  });

  it('refuses signature wrapping: the signed Body moved into a header and another Body processed', async () => {
    const signed = zeepSign(unsignedEnvelope(BODY), ERP);
    const original = signedBody(signed);
    const evil = '<soap:Body><m:SubmitOrder xmlns:m="urn:test:orders"><m:orderId>EVIL</m:orderId><m:amount>1000000.00</m:amount></m:SubmitOrder></soap:Body>';
    const wrapped = signed.replace(original, evil).replace('</soap:Header>', `<x:Wrapper xmlns:x="urn:attacker">${original}</x:Wrapper></soap:Header>`);
    const { body } = parts(wrapped);
    expect(body.textContent).to.contain('EVIL');
    const error = await refusal(wrapped);
    expect(error.details.wsseFault).to.equal('FailedCheck');
    expect(error.message).to.match(/neither the envelope's Body.*signature-wrapping/);

    // The same with the processed Body carrying the signed Body's id: two elements, one id.
    const id = /:Id="([^"]+)"/.exec(original)![1]!;
    const twin = wrapped.replace(evil, evil.replace('<soap:Body>', `<soap:Body xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd" wsu:Id="${id}">`));
    expect((await refusal(twin)).message).to.match(/Two elements of the message carry the id/);
  });

  it('refuses a signature that does not cover the Body (node-soap told not to sign it)', async () => {
    const error = await refusal(nodeSoapSign(BODY, ERP, ['Body']));
    expect(error.details.wsseFault).to.equal('FailedCheck');
    expect(error.message).to.match(/does not cover the soap:Body/);
  });

  it('refuses a signature that does not cover the Timestamp', async () => {
    expect((await refusal(nodeSoapSign(BODY, ERP, ['Timestamp']))).message).to.match(/does not cover the wsu:Timestamp/);
  });

  it('refuses a self-signed certificate with the same subject (client-rogue), and a trusted one that names no client', async () => {
    const rogue = await refusal(zeepSign(unsignedEnvelope(BODY), ROGUE));
    expect(rogue.details.wsseFault).to.equal('FailedAuthentication');
    expect(rogue.message).to.match(/not trusted: it was not issued by a configured CA/);
    const stranger = await refusal(zeepSign(unsignedEnvelope(BODY), ERP), verifier({}, 'CN=someone-else, O=ACME Corp, C=DE'));
    expect(stranger.message).to.match(/trusted but names no client/);
  });

  it('refuses a certificate past its validity (now set after 2126, when the test certificate expires)', async () => {
    const later = new Date('2130-01-01T00:00:00Z');
    const error = await refusal(zeepSign(unsignedEnvelope(BODY, later), ERP), verifier(), later.getTime());
    expect(error.details.wsseFault).to.equal('FailedAuthentication');
    expect(error.message).to.match(/the certificate expired on 21/);
  });

  it('refuses a stale, a future and an expired Timestamp (MessageExpired), even though they are signed', async () => {
    const stale = await refusal(zeepSign(unsignedEnvelope(BODY, new Date(Date.now() - 600_000), 3600), ERP));
    expect(stale.details.wsseFault).to.equal('MessageExpired');
    expect(stale.message).to.match(/older than 300 s/);
    expect((await refusal(zeepSign(unsignedEnvelope(BODY, new Date(Date.now() + 600_000)), ERP))).message).to.match(/in the future/);
    expect((await refusal(zeepSign(unsignedEnvelope(BODY, new Date(Date.now() - 200_000), 10), ERP))).message).to.match(/has expired/);
  });

  it('refuses the same signed message twice (replay)', async () => {
    const signed = zeepSign(unsignedEnvelope(BODY), ERP);
    const v = verifier();
    const first = parts(signed);
    expect((await v.verify(first.security, first.body)).principal.name).to.equal('erp-batch');
    expect((await refusal(signed, v)).message).to.match(/already received/);
  });

  it('refuses algorithms and transforms off the list before any cryptography (HMAC, MD5, XPath, inclusive c14n)', async () => {
    const signed = zeepSign(unsignedEnvelope(BODY), ERP);
    const hmac = await refusal(signed.replace('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', 'http://www.w3.org/2000/09/xmldsig#hmac-sha1'));
    expect(hmac.details.wsseFault).to.equal('UnsupportedAlgorithm');
    expect(hmac.message).to.match(/never HMAC/);
    expect((await refusal(signed.replace('http://www.w3.org/2001/04/xmlenc#sha256', 'http://www.w3.org/2001/04/xmldsig-more#md5'))).message).to.match(/digest method/);
    const xpath = signed.replace('<Transforms>', '<Transforms><Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"><XPath>1</XPath></Transform>');
    expect((await refusal(xpath)).message).to.match(/transform "http:\/\/www.w3.org\/TR\/1999\/REC-xpath/);
    const inclusive = signed.replace('<CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>', '<CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/>');
    expect((await refusal(inclusive)).message).to.match(/exclusive c14n .* only/);
  });

  it('refuses comments inside the Signature and a reference to an element outside the allowed parts', async () => {
    const signed = zeepSign(unsignedEnvelope(BODY), ERP);
    const comment = signed.replace(/<DigestValue>/, '<DigestValue><!-- x -->');
    expect((await refusal(comment)).message).to.match(/comment/);
    const inner = signed.replace('<m:orderId>', '<m:orderId Id="inner">').replace(/URI="#id-[^"]+"/, 'URI="#inner"');
    expect((await refusal(inner)).message).to.match(/references #inner, a orderId that is neither/);
  });
});

describe('signatures among the other SOAP credentials (security/auth/authenticator)', function () {
  this.timeout(30_000);
  const authenticator = (): Authenticator => new Authenticator({
    apiKeyHeader: 'X-Api-Key', apiKeys: new ApiKeyVerifier([]), rolesOf: () => [], signature: verifier(),
  });
  const api = (name: string) => ({ name, method: 'api-key' as const, roles: [] });

  it('a signature is verified even when HTTP credentials came along: a failing one is refused, one naming another client too', async () => {
    const good = parts(zeepSign(unsignedEnvelope(BODY), ERP));
    expect((await authenticator().fromSoapSecurity(api('erp-batch'), good.security, good.body)).principal.name).to.equal('erp-batch');
    const other = parts(zeepSign(unsignedEnvelope(BODY), ERP));
    const mismatch = await rejection(authenticator().fromSoapSecurity(api('crm-app'), other.security, other.body));
    expect(mismatch.message).to.match(/HTTP credentials name client "crm-app" but the signature names "erp-batch"/);
    const tampered = parts(zeepSign(unsignedEnvelope(BODY), ERP).replace('10.00', '11.00'));
    expect((await rejection(authenticator().fromSoapSecurity(api('erp-batch'), tampered.security, tampered.body))).code).to.equal('JCT_WSS_SIGNATURE_INVALID');
  });

  it('no signature and no UsernameToken users: JCT_AUTH_REQUIRED asking for a signature; a signature with a UsernameToken beside it is refused', async () => {
    const unsigned = parts(unsignedEnvelope(BODY));
    const required = await rejection(authenticator().fromSoapSecurity(undefined, unsigned.security, unsigned.body));
    expect(required.code).to.equal('JCT_AUTH_REQUIRED');
    expect(required.message).to.contain('WS-Security X.509 signature');
    const both = zeepSign(unsignedEnvelope(BODY), ERP).replace('<wsu:Timestamp', '<wsse:UsernameToken><wsse:Username>erp</wsse:Username></wsse:UsernameToken><wsu:Timestamp');
    const mixed = parts(both);
    expect((await rejection(authenticator().fromSoapSecurity(undefined, mixed.security, mixed.body))).message).to.match(/both a signature and a UsernameToken/);
  });
});

describe('signing certificates against CRLs (security.auth.wsSecurity.signature.crl)', function () {
  this.timeout(30_000);
  const LEAVER = fixture('client-leaver-rsa');
  const sources = (...names: string[]): CrlSource[] => names.map((name, i) => ({ file: path.join(TLS_FIXTURES, name), where: `${SIGNING_CRL.crl}[${i}]` }));
  function crlVerifier(crls: SigningCrls, bundle = tlsFixture('clients-ca.crt')): WsSignatureVerifier {
    const { certificates } = ClientCertificates.compile([
      { client: 'erp-batch', match: { subject: 'CN=erp-batch, O=ACME Corp, C=DE' }, where: 'test' },
      { client: 'leaver', match: { subject: 'CN=leaver, O=ACME Corp, C=DE' }, where: 'test' },
    ]);
    return new WsSignatureVerifier(TrustAnchors.fromPem(bundle), certificates, () => [], OPTIONS, new NonceCache(1000), crls);
  }
  const signer = async (v: WsSignatureVerifier, who: { key: string; cert: string }): Promise<string> => {
    const { security, body } = parts(zeepSign(unsignedEnvelope(BODY), who));
    return (await v.verify(security, body)).principal.name;
  };

  it('refuses a revoked signing certificate (FailedAuthentication, naming the serial and the CRL); others of the CA pass', async () => {
    const v = crlVerifier(new SigningCrls(readCrlSet(sources('clients-ca-leaver-rsa.crl.pem'))));
    expect(await signer(v, ERP)).to.equal('erp-batch');
    const error = await refusal(zeepSign(unsignedEnvelope(BODY), LEAVER), v);
    expect(error.details.wsseFault).to.equal('FailedAuthentication');
    expect(error.message).to.match(/signing certificate \(CN=leaver, O=ACME Corp, C=DE\) is refused: it is revoked \(serial 75B8CADA6175458F881AADDD417988AFDB299274, listed in the CRL of "CN=Junction Test Clients CA, O=Junction Tests" in .*clients-ca-leaver-rsa\.crl\.pem\)/);
    // A CRL that revokes nothing lets the same certificate in.
    expect(await signer(crlVerifier(new SigningCrls(readCrlSet(sources('clients-ca-none.crl.pem')))), LEAVER)).to.equal('leaver');
  });

  it('as OpenSSL does for TLS: an expired CRL, a CA without a CRL and a CRL that does not verify lock out every certificate of that CA', async () => {
    const expired = await refusal(zeepSign(unsignedEnvelope(BODY), ERP), crlVerifier(new SigningCrls(readCrlSet(sources('clients-ca-expired.crl.pem')))));
    expect(expired.message).to.match(/CRL of its CA "CN=Junction Test Clients CA, O=Junction Tests" expired at .*CRL_HAS_EXPIRED/);
    const none = await refusal(zeepSign(unsignedEnvelope(BODY), ERP), crlVerifier(new SigningCrls(readCrlSet(sources('client-rogue.crl.pem')))));
    expect(none.message).to.match(/holds no CRL of its CA .*UNABLE_TO_GET_CRL/);
    // The CA's CRL with its signature's last byte changed: still a readable CRL, but not the CA's.
    const dir = new TempConfigDir();
    try {
      const der = Buffer.from(tlsFixture('clients-ca-none.crl.pem').replace(/-----[^-]+-----|\s/g, ''), 'base64');
      der[der.length - 1] ^= 0x01;
      const forged = dir.write('forged.crl.pem', `-----BEGIN X509 CRL-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END X509 CRL-----\n`);
      const bad = await refusal(zeepSign(unsignedEnvelope(BODY), ERP), crlVerifier(new SigningCrls(readCrlSet([{ file: forged, where: SIGNING_CRL.crl }]))));
      expect(bad.message).to.match(/does not verify with the CA's key \(CRL_SIGNATURE_FAILURE\)/);
    } finally {
      dir.remove();
    }
  });

  it('a pinned certificate (in the bundle itself) is still checked against its CA\'s CRL when the CA is in the bundle, whatever the order', async () => {
    const revoking = new SigningCrls(readCrlSet(sources('clients-ca-leaver-rsa.crl.pem'), caSubjects(tlsFixture('clients-ca.crt'))));
    const pinned = tlsFixture('client-leaver-rsa.crt');
    for (const bundle of [pinned + tlsFixture('clients-ca.crt'), tlsFixture('clients-ca.crt') + pinned]) {
      expect((await refusal(zeepSign(unsignedEnvelope(BODY), LEAVER), crlVerifier(revoking, bundle))).message).to.match(/\(CN=leaver, O=ACME Corp, C=DE\) is refused: it is revoked \(serial 75B8CADA6175458F881AADDD417988AFDB299274/);
    }
    // Pinned alone (its CA not in the bundle): trusted, and no CRL can say otherwise (security-setup warns at boot).
    expect(await signer(crlVerifier(revoking, pinned), LEAVER)).to.equal('leaver');
  });

  it('a reloaded CRL older than the one in force is refused: the revoked signing certificate stays refused', async () => {
    const dir = new TempConfigDir();
    const source = { file: dir.write('signing.crl.pem', tlsFixture('clients-ca-leaver-rsa.crl.pem')), where: SIGNING_CRL.crl };
    const cas = caSubjects(tlsFixture('clients-ca.crt'));
    const initial = readCrlSet([source], cas);
    const crls = new SigningCrls(initial);
    const logger = new RecordingLogger();
    const reloader = new CrlReloader({ sources: [source], initial, cas, intervalMs: 60_000, logger, setting: SIGNING_CRL, apply: (set) => crls.update(set) });
    try {
      writeFileSync(`${source.file}.tmp`, tlsFixture('clients-ca-none.crl.pem'));
      renameSync(`${source.file}.tmp`, source.file);
      expect(reloader.check()).to.equal(false);
      const error = logger.lines.find((l) => l.level === 'error');
      expect(error?.message).to.contain(`${SIGNING_CRL.crl}: ${source.file} holds a CRL of "CN=Junction Test Clients CA, O=Junction Tests" (CRL number 1,`).and.contain('older than the one in force (CRL number 4,');
      expect((await refusal(zeepSign(unsignedEnvelope(BODY), LEAVER), crlVerifier(crls))).message).to.match(/it is revoked/);
    } finally {
      reloader.close();
      dir.remove();
    }
  });

  it('a CRL published while Junction runs takes effect at the next check, without a restart', async () => {
    const dir = new TempConfigDir();
    const source = { file: dir.write('signing.crl.pem', tlsFixture('clients-ca-none.crl.pem')), where: SIGNING_CRL.crl };
    const initial = readCrlSet([source]);
    const crls = new SigningCrls(initial);
    const logger = new RecordingLogger();
    const reloader = new CrlReloader({
      sources: [source], initial, cas: caSubjects(tlsFixture('clients-ca.crt')), intervalMs: 60_000, logger, setting: SIGNING_CRL, apply: (set) => crls.update(set),
    });
    try {
      const v = crlVerifier(crls);
      expect(await signer(v, LEAVER)).to.equal('leaver');
      writeFileSync(`${source.file}.tmp`, tlsFixture('clients-ca-leaver-rsa.crl.pem'));
      renameSync(`${source.file}.tmp`, source.file);
      expect(reloader.check()).to.equal(true);
      expect(logger.lines.map((l) => l.message)).to.include('security.auth.wsSecurity.signature.crl: new CRLs in force');
      expect((await refusal(zeepSign(unsignedEnvelope(BODY), LEAVER), v)).message).to.match(/it is revoked/);
      expect(await signer(v, ERP)).to.equal('erp-batch');
    } finally {
      reloader.close();
      dir.remove();
    }
  });
});
