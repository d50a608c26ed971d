import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Element } from '@xmldom/xmldom';
import type { JunctionError } from '../../../src/core/errors';
import { requireSignedHeader, unsignedHeaderNames } from '../../../src/gateway/soap/signed-headers';
import type { SoapCall } from '../../../src/gateway/soap/soap-call';
import { readEnvelope } from '../../../src/gateway/soap/soap-request';
import { readAddressing } from '../../../src/gateway/soap/ws-addressing';
import { soapIdempotencyKey } from '../../../src/gateway/soap-idempotency';
import { ApiKeyVerifier } from '../../../src/security/auth/api-keys';
import { Authenticator } from '../../../src/security/auth/authenticator';
import { ClientCertificates } from '../../../src/security/auth/client-certificates';
import { NonceCache } from '../../../src/security/auth/nonce-cache';
import { SECURITY_HEADER } from '../../../src/security/auth/username-token';
import { WsSignatureVerifier } from '../../../src/security/auth/ws-signature';
import { TrustAnchors } from '../../../src/security/auth/x509-trust';
import { rejection } from '../../support/errors';
import { fixture, nodeSoapSign, unsignedEnvelope, WSU, zeepSign } from '../../support/ws-signers';

/**
 * Attacks on the WS-Security X.509 signature verifier (ws-signature.ts): signature wrapping,
 * namespace and c14n tricks, key and certificate tricks, algorithm confusion, DoS and replay. Every
 * message is signed for real (libxmlsec1 or node-soap) and then tampered with.
 */

const ERP = fixture('client-erp-batch-rsa');
const BODY = '<m:SubmitOrder xmlns:m="urn:test:orders"><m:orderId>A-1</m:orderId><m:amount>10.00</m:amount></m:SubmitOrder>';

function verifier(anchorsPem = readFileSync('test/fixtures/tls/clients-ca.crt', 'utf8')): WsSignatureVerifier {
  const { certificates } = ClientCertificates.compile([{ client: 'erp-batch', match: { subject: 'CN=erp-batch, O=ACME Corp, C=DE' }, where: 'test' }]);
  return new WsSignatureVerifier(TrustAnchors.fromPem(anchorsPem), certificates, () => ['batch'],
    { maxAgeSeconds: 300, clockSkewSeconds: 60, allowSha1: false }, new NonceCache(1000));
}

function parts(text: string, version: '1.1' | '1.2' = '1.1'): { security: Element; body: Element } {
  const envelope = readEnvelope(text, version, new Set([SECURITY_HEADER]));
  const security = envelope.blocks.find((b) => b.localName === 'Security');
  if (!security) throw new Error('no Security header');
  return { security, body: envelope.body.parentNode as Element };
}

async function refusal(text: string, v = verifier()): Promise<JunctionError> {
  const { security, body } = parts(text);
  const error = await rejection(v.verify(security, body));
  expect(error.code, error.message).to.equal('JCT_WSS_SIGNATURE_INVALID');
  return error;
}

async function accepted(text: string, v = verifier()): Promise<string> {
  const { security, body } = parts(text);
  return (await v.verify(security, body)).principal.name;
}

/**
 * The SoapCall the gateway would hand on for a signed request (authenticator with
 * requireSignedHeaders as given): its headers, wsa:MessageID and the unsigned header names.
 */
async function signedCall(text: string, requireSignedHeaders = true, extra: Partial<SoapCall> = {}): Promise<SoapCall> {
  const envelope = readEnvelope(text, '1.1', new Set([SECURITY_HEADER]));
  const authenticator = new Authenticator({ apiKeyHeader: 'X-Api-Key', apiKeys: new ApiKeyVerifier([]), rolesOf: () => [], signature: verifier(), requireSignedHeaders });
  const security = envelope.blocks.find((b) => b.localName === 'Security');
  const caller = await authenticator.fromSoapSecurity(undefined, security, envelope.body.parentNode as Element);
  const messageId = readAddressing(envelope.blocks)?.messageId;
  return {
    service: 'crm', operation: 'SubmitOrder', oneWay: true, version: '1.1', payload: '{}', requestId: 'r-1', soapHeaders: envelope.headers, principal: caller.principal,
    ...(messageId !== undefined ? { addressingMessageId: messageId } : {}),
    ...(caller.signed ? { unsignedHeaders: unsignedHeaderNames(envelope.blocks, caller.signed) } : {}),
    ...extra,
  };
}

function unsignedHeaderRefusal(action: () => unknown): JunctionError {
  const error = (() => { try { action(); } catch (e) { return e as JunctionError; } throw new Error('not refused'); })();
  expect(error.code, error.message).to.equal('JCT_WSS_HEADER_UNSIGNED');
  expect(error.details.wsseFault).to.equal('InvalidSecurity');
  return error;
}

const KEY_HEADER = '<k:IdempotencyKey xmlns:k="urn:junction:crm:v1">ORDER-A-1</k:IdempotencyKey>';
const MESSAGE_ID = '<wsa:MessageID xmlns:wsa="http://www.w3.org/2005/08/addressing">urn:uuid:6b29fc40-ca47-1067-b31d-00dd010662da</wsa:MessageID>';
const CORRELATION = '<k:CorrelationId xmlns:k="urn:junction:crm:v1">corr-1</k:CorrelationId>';

function signedBody(text: string): string {
  return /<soap:Body[\s\S]*<\/soap:Body>/.exec(text)![0];
}

function bodyId(text: string): string {
  return /<soap:Body[^>]*:Id="([^"]+)"/.exec(text)![1]!;
}

describe('WS-Security X.509 signatures under attack (security/auth/ws-signature)', function () {
  this.timeout(60_000);

  describe('signature wrapping', () => {
    it('refuses a second element with the signed Body\'s id in another attribute namespace (plain Id, xml:id, another prefix)', async () => {
      const signed = zeepSign(unsignedEnvelope(BODY), ERP);
      const id = bodyId(signed);
      for (const attribute of [`Id="${id}"`, `xml:id="${id}"`, `ID="${id}"`, `y:Id="${id}" xmlns:y="urn:attacker"`, `w:Id="${id}" xmlns:w="${WSU}"`]) {
        const evil = signed.replace('</soap:Header>', `<x:Evil xmlns:x="urn:attacker" ${attribute}/></soap:Header>`);
        expect((await refusal(evil)).message, attribute).to.match(/Two elements of the message carry the id/);
      }
    });

    it('refuses the signed Body duplicated under another prefix of the same namespace, or a Body of the other SOAP version', async () => {
      const signed = zeepSign(unsignedEnvelope(BODY), ERP);
      const original = signedBody(signed);
      const twin = original.replace(/soap:Body/g, 's2:Body').replace('<s2:Body', '<s2:Body xmlns:s2="http://schemas.xmlsoap.org/soap/envelope/"');
      expect(() => parts(signed.replace('</soap:Envelope>', `${twin}</soap:Envelope>`))).to.throw(/Nothing may follow the Body/);
      const soap12 = signed.replace(original, original.replace(/soap:Body/g, 's2:Body').replace('<s2:Body', '<s2:Body xmlns:s2="http://www.w3.org/2003/05/soap-envelope"'));
      expect(() => parts(soap12)).to.throw(/must hold a Body/);
    });

    it('refuses a whole signed Envelope inside a header with an evil Body outside', async () => {
      const signed = zeepSign(unsignedEnvelope(BODY), ERP);
      const evil = signed.replace(signedBody(signed), '<soap:Body><m:SubmitOrder xmlns:m="urn:test:orders"><m:orderId>EVIL</m:orderId><m:amount>1.00</m:amount></m:SubmitOrder></soap:Body>')
        .replace('</soap:Header>', `<x:Copy xmlns:x="urn:attacker">${signed.replace(/^<\?xml[^>]*>/, '')}</x:Copy></soap:Header>`);
      expect((await refusal(evil)).message).to.match(/Two elements of the message carry the id/);
    });

    it('a second Security header: the first one is verified; an unsigned first one leaves the request unauthenticated', async () => {
      const signed = zeepSign(unsignedEnvelope(BODY), ERP);
      const security = /<wsse:Security[\s\S]*<\/wsse:Security>/.exec(signed)![0];
      const forged = security.replace(/<SignatureValue>[^<]+</, '<SignatureValue>AAAA<');
      const doubled = signed.replace('<soap:Header>', `<soap:Header>${forged}`);
      expect((await refusal(doubled)).message).to.match(/not of the form|does not verify|Two elements/);
      const empty = signed.replace('<soap:Header>', `<soap:Header><wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"/>`);
      const envelope = readEnvelope(empty, '1.1', new Set([SECURITY_HEADER]));
      const first = envelope.blocks.find((b) => b.localName === 'Security')!;
      const authenticator = new Authenticator({ apiKeyHeader: 'X-Api-Key', apiKeys: new ApiKeyVerifier([]), rolesOf: () => [], signature: verifier() });
      expect((await rejection(authenticator.fromSoapSecurity(undefined, first, envelope.body.parentNode as Element))).code).to.equal('JCT_AUTH_REQUIRED');
    });

    it('refuses the Timestamp moved out of the Security header, or a second Timestamp beside it', async () => {
      const signed = zeepSign(unsignedEnvelope(BODY), ERP);
      const timestamp = /<wsu:Timestamp[\s\S]*<\/wsu:Timestamp>/.exec(signed)![0];
      const moved = signed.replace(timestamp, '').replace('</soap:Header>', `${timestamp.replace('<wsu:Timestamp', `<wsu:Timestamp xmlns:wsu="${WSU}"`)}</soap:Header>`);
      expect((await refusal(moved)).message).to.match(/exactly one wsu:Timestamp/);
      const two = signed.replace(timestamp, `${timestamp}<wsu:Timestamp><wsu:Created>${new Date().toISOString()}</wsu:Created></wsu:Timestamp>`);
      expect((await refusal(two)).message).to.match(/exactly one wsu:Timestamp/);
    });
  });

  describe('namespaces and canonicalization', () => {
    it('refuses a changed binding of a prefix the signed Body uses but declares on the Envelope', async () => {
      const body = '<m:SubmitOrder><m:orderId>A-1</m:orderId><m:amount>10.00</m:amount></m:SubmitOrder>';
      const envelope = unsignedEnvelope(body).replace('<soap:Envelope ', '<soap:Envelope xmlns:m="urn:test:orders" ');
      const signed = zeepSign(envelope, ERP);
      expect(await accepted(signed)).to.equal('erp-batch');
      const rebound = zeepSign(envelope, ERP).replace('xmlns:m="urn:test:orders"', 'xmlns:m="urn:evil:orders"');
      expect((await refusal(rebound)).message).to.match(/digest of #.* does not match/);
      // Rebinding the prefix inside the signed Body, where the signer had none.
      const inner = zeepSign(unsignedEnvelope(BODY), ERP).replace('<m:orderId>', '<m:orderId xmlns:m="urn:evil:orders">');
      expect((await refusal(inner)).message).to.match(/digest of #.* does not match/);
    });

    it('refuses a default namespace redeclared on the Envelope for an unprefixed Body', async () => {
      const body = '<SubmitOrder><orderId>A-1</orderId><amount>10.00</amount></SubmitOrder>';
      const envelope = unsignedEnvelope(body).replace('<soap:Envelope ', '<soap:Envelope xmlns="urn:test:orders" ');
      expect(await accepted(zeepSign(envelope, ERP))).to.equal('erp-batch');
      const redeclared = zeepSign(envelope, ERP).replace('xmlns="urn:test:orders"', 'xmlns="urn:evil:orders"');
      expect((await refusal(redeclared)).message).to.match(/digest of #.* does not match/);
      const dropped = zeepSign(envelope, ERP).replace(' xmlns="urn:test:orders"', '');
      expect((await refusal(dropped)).message).to.match(/digest of #.* does not match/);
    });

    it('refuses a processing instruction in the signed Body (xml-crypto would digest its data as if it were text)', async () => {
      const signed = zeepSign(unsignedEnvelope(BODY), ERP);
      // The processed amount becomes "1"; xml-crypto's c14n would still have read "10.00".
      const tampered = signed.replace('>10.00<', '>1<?x 0.00?><');
      expect(parts(tampered).body.textContent).to.contain('A-11');
      const error = await refusal(tampered);
      expect(error.details.wsseFault).to.equal('InvalidSecurity');
      expect(error.message).to.match(/processing instruction/);
      // An empty one would make xml-crypto throw a plain Error (no SOAP fault).
      expect((await refusal(signed.replace('>10.00<', '>10.00<?x?><'))).message).to.match(/processing instruction/);
    });

    it('refuses an attribute named xmlns… (not a namespace declaration) on a signed element (xml-crypto\'s c14n leaves it out)', async () => {
      const signed = zeepSign(unsignedEnvelope(BODY), ERP);
      for (const attribute of ['xmlnsamount="99999.00"', 'xmlns-x="1"']) {
        const tampered = signed.replace('<m:amount>', `<m:amount ${attribute}>`);
        expect(parts(tampered).body.getElementsByTagNameNS('urn:test:orders', 'amount')[0]!.attributes.length).to.equal(1);
        const error = await refusal(tampered);
        expect(error.details.wsseFault, attribute).to.equal('InvalidSecurity');
        expect(error.message).to.match(/attribute named xmlns/);
      }
    });

    it('a comment in the signed Body changes neither the digest nor the processed text', async () => {
      const signed = zeepSign(unsignedEnvelope(BODY), ERP);
      const commented = signed.replace('>10.00<', '>1<!-- x -->0.00<');
      const { security, body } = parts(commented);
      expect((await verifier().verify(security, body)).principal.name).to.equal('erp-batch');
      const amount = body.getElementsByTagNameNS('urn:test:orders', 'amount')[0]!;
      expect(amount.textContent).to.equal('10.00');
    });

    it('refuses odd InclusiveNamespaces PrefixLists cleanly (signature no longer verifies), and whitespace added in SignedInfo', async () => {
      const signed = zeepSign(unsignedEnvelope(BODY), ERP, 'wss4j');
      for (const list of ['#default', 'xmlns', 'xml', 'soap soap wsse', '']) {
        const odd = signed.replace('PrefixList="soap"', `PrefixList="${list}"`);
        expect((await refusal(odd)).message, list).to.match(/signature value does not verify/);
      }
      const spaced = signed.replace('<ds:SignatureMethod', '\n  <ds:SignatureMethod');
      expect((await refusal(spaced)).message).to.match(/signature value does not verify/);
    });
  });

  describe('keys and certificates', () => {
    it('refuses a SecurityTokenReference to a token in another header block or inside the Body', async () => {
      const signed = zeepSign(unsignedEnvelope(BODY), ERP);
      const token = /<wsse:BinarySecurityToken[\s\S]*?<\/wsse:BinarySecurityToken>/.exec(signed)![0];
      const tokenId = /:Id="([^"]+)"/.exec(token)![1]!;
      const elsewhere = signed.replace(token, '').replace('</soap:Header>', `<x:Other xmlns:x="urn:attacker" xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd" xmlns:wsu="${WSU}">${token}</x:Other></soap:Header>`);
      expect((await refusal(elsewhere)).details.wsseFault).to.equal('SecurityTokenUnavailable');
      const inBody = signed.replace(token, '').replace('<m:orderId>', `${token.replace('<wsse:BinarySecurityToken', `<wsse:BinarySecurityToken xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd" xmlns:wsu="${WSU}"`)}<m:orderId>`);
      expect((await refusal(inBody)).details.wsseFault).to.equal('SecurityTokenUnavailable');
      expect(tokenId).to.be.a('string');
    });

    describe('certificates made for the test', () => {
      let dir: string;
      const openssl = (...args: string[]): void => { execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' }); };
      const CA = join(process.cwd(), 'test/fixtures/tls/clients-ca');
      before(() => {
        dir = mkdtempSync(join(tmpdir(), 'wss-attack-'));
        // An intermediate CA issued by the configured CA, and an erp-batch certificate it issued.
        openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'inter.key', '-out', 'inter.csr', '-subj', '/CN=Intermediate/O=Junction Tests');
        execFileSync('bash', ['-c', 'printf "basicConstraints=critical,CA:TRUE\\nkeyUsage=keyCertSign,digitalSignature\\n" > ca.ext'], { cwd: dir });
        openssl('x509', '-req', '-in', 'inter.csr', '-CA', `${CA}.crt`, '-CAkey', `${CA}.key`, '-set_serial', '7001', '-out', 'inter.crt', '-days', '30', '-extfile', 'ca.ext');
        openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=erp-batch/O=ACME Corp/C=DE');
        openssl('x509', '-req', '-in', 'leaf.csr', '-CA', 'inter.crt', '-CAkey', 'inter.key', '-set_serial', '7002', '-out', 'leaf.crt', '-days', '30');
        // A CA with the configured CA's very subject (another key), and an erp-batch certificate from it.
        openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'twin.key', '-out', 'twin.crt', '-days', '30', '-subj', '/CN=Junction Test Clients CA/O=Junction Tests');
        openssl('x509', '-req', '-in', 'leaf.csr', '-CA', 'twin.crt', '-CAkey', 'twin.key', '-set_serial', '7003', '-out', 'twin-leaf.crt', '-days', '30');
        // A CA-flagged erp-batch certificate issued by the configured CA.
        openssl('x509', '-req', '-in', 'leaf.csr', '-CA', `${CA}.crt`, '-CAkey', `${CA}.key`, '-set_serial', '7004', '-out', 'ca-leaf.crt', '-days', '30', '-extfile', 'ca.ext');
      });
      after(() => rmSync(dir, { recursive: true, force: true }));

      it('refuses a certificate issued by an intermediate CA that the configured CA issued (chains are not followed)', async () => {
        const error = await refusal(zeepSign(unsignedEnvelope(BODY), { key: join(dir, 'leaf.key'), cert: join(dir, 'leaf.crt') }));
        expect(error.message).to.match(/not issued by a configured CA/);
      });

      it('refuses a certificate from a different CA that shares the configured CA\'s subject', async () => {
        const error = await refusal(zeepSign(unsignedEnvelope(BODY), { key: join(dir, 'leaf.key'), cert: join(dir, 'twin-leaf.crt') }));
        expect(error.message).to.match(/not issued by a configured CA/);
      });

      it('a CA-flagged certificate that the configured CA issued names its subject (it is the CA that vouches), and vouches for nothing further', async () => {
        expect(await accepted(zeepSign(unsignedEnvelope(BODY), { key: join(dir, 'leaf.key'), cert: join(dir, 'ca-leaf.crt') }))).to.equal('erp-batch');
      });
    });
  });

  describe('algorithm confusion', () => {
    it('refuses RSA-PSS, ECDSA and HMAC signature methods before any cryptography', async () => {
      const signed = zeepSign(unsignedEnvelope(BODY), ERP);
      for (const uri of ['http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1', 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256',
        'http://www.w3.org/2001/04/xmldsig-more#hmac-sha256', 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384']) {
        const error = await refusal(signed.replace('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', uri));
        expect(error.details.wsseFault, uri).to.equal('UnsupportedAlgorithm');
      }
      const withLength = signed.replace(/<SignatureMethod Algorithm="([^"]+)"\/>/, '<SignatureMethod Algorithm="$1"><HMACOutputLength>8</HMACOutputLength></SignatureMethod>');
      expect((await refusal(withLength)).details.wsseFault).to.equal('UnsupportedAlgorithm');
    });
  });

  describe('denial of service', () => {
    it('checks the certificate against the CAs before any digest or RSA operation (an attacker\'s own key, e.g. with a huge exponent, costs nothing)', async () => {
      // A rogue (self-signed) certificate with a Body changed after signing: refused for the certificate, not the digest.
      const tampered = zeepSign(unsignedEnvelope(BODY), fixture('client-rogue-rsa')).replace('10.00', '99999.00');
      const error = await refusal(tampered);
      expect(error.details.wsseFault).to.equal('FailedAuthentication');
      expect(error.message).to.match(/not trusted: it was not issued by a configured CA/);
      // And a SignatureValue that is no RSA signature at all.
      const garbage = zeepSign(unsignedEnvelope(BODY), fixture('client-rogue-rsa')).replace(/<SignatureValue>[^<]+</, '<SignatureValue>AAAA<');
      expect((await refusal(garbage)).details.wsseFault).to.equal('FailedAuthentication');
    });

    it('refuses thousands of References at the coverage check, before any digest or RSA operation', async () => {
      const signed = zeepSign(unsignedEnvelope(BODY), ERP);
      const reference = /<Reference URI="#[^"]+">[\s\S]*?<\/Reference>/.exec(signed)![0];
      const many = signed.replace(reference, reference.repeat(5000));
      expect((await refusal(many)).message).to.match(/references #.* twice/);
    });

    it('the gateway\'s XML limits refuse deep nesting before verification, and a huge token is refused as unreadable', async () => {
      const signed = zeepSign(unsignedEnvelope(BODY), ERP);
      const deep = signed.replace('</soap:Header>', `${'<x:a xmlns:x="urn:x">'.repeat(5000)}${'</x:a>'.repeat(5000)}</soap:Header>`);
      expect(() => parts(deep)).to.throw(/nested deeper/);
      const huge = signed.replace(/(<wsse:BinarySecurityToken[^>]*>)[^<]+</, `$1${'QUJD'.repeat(500_000)}<`);
      expect((await refusal(huge)).message).to.match(/not a readable X.509 certificate/);
    });
  });

  describe('header blocks Junction acts on (requireSignedHeaders)', () => {
    it('refuses an IdempotencyKey header the signature does not cover; signed (zeep and WSS4J layouts) it is the key', async () => {
      const unsigned = await signedCall(zeepSign(unsignedEnvelope(BODY, new Date(), 300, KEY_HEADER), ERP));
      expect(unsigned.unsignedHeaders).to.deep.equal(['IdempotencyKey']);
      const error = unsignedHeaderRefusal(() => soapIdempotencyKey(unsigned, 'key'));
      expect(error.message).to.match(/IdempotencyKey SOAP header is not covered by the request's signature.*idempotency key/);
      for (const mode of ['sha256', 'wss4j'] as const) {
        const signed = await signedCall(zeepSign(unsignedEnvelope(BODY, new Date(), 300, KEY_HEADER), ERP, mode, ['IdempotencyKey']));
        expect(signed.unsignedHeaders, mode).to.deep.equal([]);
        expect(soapIdempotencyKey(signed, 'key'), mode).to.equal('ORDER-A-1');
      }
    });

    it('an attacker\'s unsigned IdempotencyKey put before the signed one is refused; the signed one changed fails its digest', async () => {
      const signed = zeepSign(unsignedEnvelope(BODY, new Date(), 300, KEY_HEADER), ERP, 'sha256', ['IdempotencyKey']);
      const inserted = signed.replace('<soap:Header>', '<soap:Header><k:IdempotencyKey xmlns:k="urn:junction:crm:v1">ORDER-EARLIER</k:IdempotencyKey>');
      const call = await signedCall(inserted);
      expect(call.soapHeaders.IdempotencyKey).to.equal('ORDER-EARLIER');
      unsignedHeaderRefusal(() => soapIdempotencyKey(call, 'key'));
      // A nil one (what generated clients send for an unset declared header) counts as absent: the signed one is the key.
      const nil = await signedCall(signed.replace('<soap:Header>', '<soap:Header><k:IdempotencyKey xmlns:k="urn:junction:crm:v1" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:nil="true"/>'));
      expect(soapIdempotencyKey(nil, 'key')).to.equal('ORDER-A-1');
      const changed = zeepSign(unsignedEnvelope(BODY, new Date(), 300, KEY_HEADER), ERP, 'sha256', ['IdempotencyKey']).replace('>ORDER-A-1<', '>ORDER-EARLIER<');
      expect((await refusal(changed)).message).to.match(/digest of #.* does not match: the IdempotencyKey was changed/);
    });

    it('refuses an unsigned wsa:MessageID where it becomes the key (idempotency: messageId); ignored otherwise; signed it is the key', async () => {
      const unsigned = await signedCall(zeepSign(unsignedEnvelope(BODY, new Date(), 300, MESSAGE_ID), ERP));
      expect(unsignedHeaderRefusal(() => soapIdempotencyKey(unsigned, 'messageId')).message).to.match(/MessageID SOAP header .*idempotency: messageId/);
      expect(soapIdempotencyKey(unsigned, 'key')).to.equal(undefined);
      // A signed IdempotencyKey wins: the unsigned MessageID is then not acted on.
      const keyed = await signedCall(zeepSign(unsignedEnvelope(BODY, new Date(), 300, KEY_HEADER + MESSAGE_ID), ERP, 'sha256', ['IdempotencyKey']));
      expect(soapIdempotencyKey(keyed, 'messageId')).to.equal('ORDER-A-1');
      const signed = await signedCall(zeepSign(unsignedEnvelope(BODY, new Date(), 300, MESSAGE_ID), ERP, 'wss4j', ['MessageID']));
      expect(soapIdempotencyKey(signed, 'messageId')).to.equal('urn:uuid:6b29fc40-ca47-1067-b31d-00dd010662da');
    });

    it('refuses the HTTP Idempotency-Key on a signed request unless a signed IdempotencyKey header carries the same key', async () => {
      const bare = await signedCall(zeepSign(unsignedEnvelope(BODY), ERP), true, { idempotencyKeyHeader: 'ORDER-A-1' });
      expect(unsignedHeaderRefusal(() => soapIdempotencyKey(bare, 'key')).message).to.match(/Idempotency-Key HTTP header is not covered by the request's XML signature/);
      const both = await signedCall(zeepSign(unsignedEnvelope(BODY, new Date(), 300, KEY_HEADER), ERP, 'sha256', ['IdempotencyKey']), true, { idempotencyKeyHeader: 'ORDER-A-1' });
      expect(soapIdempotencyKey(both, 'key')).to.equal('ORDER-A-1');
    });

    it('refuses an unsigned CorrelationId; headers Junction does not act on (wsa:To, an unknown block) need no signature', async () => {
      const headers = `${CORRELATION}<wsa:To xmlns:wsa="http://www.w3.org/2005/08/addressing">http://junction/soap/crm</wsa:To><x:Priority xmlns:x="urn:x">high</x:Priority>`;
      const unsigned = await signedCall(zeepSign(unsignedEnvelope(BODY, new Date(), 300, headers), ERP));
      expect(unsigned.unsignedHeaders).to.have.members(['CorrelationId', 'To', 'Priority']);
      unsignedHeaderRefusal(() => requireSignedHeader(unsigned, 'CorrelationId', 'would make it the correlation id'));
      expect(soapIdempotencyKey(unsigned, 'messageId')).to.equal(undefined);
      const signed = await signedCall(zeepSign(unsignedEnvelope(BODY, new Date(), 300, headers), ERP, 'sha256', ['CorrelationId']));
      expect(() => requireSignedHeader(signed, 'CorrelationId', 'would make it the correlation id')).not.to.throw();
    });

    it('with requireSignedHeaders false, unsigned headers are acted on as before (the request carries no coverage)', async () => {
      const call = await signedCall(zeepSign(unsignedEnvelope(BODY, new Date(), 300, KEY_HEADER + MESSAGE_ID), ERP), false, { idempotencyKeyHeader: 'ORDER-A-1' });
      expect(call.unsignedHeaders).to.equal(undefined);
      expect(soapIdempotencyKey(call, 'messageId')).to.equal('ORDER-A-1');
    });
  });

  describe('replay', () => {
    it('refuses the same signature again with a changed unsigned header, or with its SignatureValue re-encoded', async () => {
      const signed = zeepSign(unsignedEnvelope(BODY), ERP);
      const v = verifier();
      expect(await accepted(signed, v)).to.equal('erp-batch');
      const changed = signed.replace('</soap:Header>', '<x:Priority xmlns:x="urn:x">high</x:Priority></soap:Header>');
      expect((await refusal(changed, v)).message).to.match(/already received/);
      const wrapped = signed.replace(/<SignatureValue>([^<]+)</, (_, value: string) => `<SignatureValue>\n${value.replace(/(.{64})/g, '$1\n')}\n<`);
      expect((await refusal(wrapped, v)).message).to.match(/already received/);
      const padded = signed.replace(/<SignatureValue>([^<]+)</, (_, value: string) => `<SignatureValue>${Buffer.concat([Buffer.alloc(1), Buffer.from(value, 'base64')]).toString('base64')}<`);
      expect((await refusal(padded, v)).message).to.match(/does not verify|already received/);
    });

    it('node-soap\'s signature replayed with another wsa header is refused', async () => {
      const signed = nodeSoapSign(BODY, ERP);
      const v = verifier();
      expect(await accepted(signed, v)).to.equal('erp-batch');
      expect((await refusal(signed.replace('<soap:Header>', '<soap:Header><wsa:To xmlns:wsa="http://www.w3.org/2005/08/addressing">http://evil</wsa:To>'), v)).message).to.match(/already received/);
    });
  });
});
