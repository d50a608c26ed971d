import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { WSSecurityCert } from 'soap';

/**
 * Independent WS-Security X.509 signers for the verifier's tests: python3-zeep's BinarySignature
 * (libxmlsec1, a C implementation) and node-soap's WSSecurityCert (xml-crypto). Both sign the
 * soap:Body and a wsu:Timestamp and send the certificate as a wsse:BinarySecurityToken.
 */

export const WSSE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
export const WSU = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';
const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';

/** A certificate and key in test/fixtures/tls (e.g. `client-erp-batch-rsa`). */
export function fixture(name: string): { key: string; cert: string } {
  return { key: `test/fixtures/tls/${name}.key`, cert: `test/fixtures/tls/${name}.crt` };
}

/**
 * A SOAP 1.1 envelope with `body` (one element) and a wsse:Security header holding a Timestamp;
 * `headers`: further header blocks (XML) after the Security header.
 */
export function unsignedEnvelope(body: string, created: Date = new Date(), lifetimeSeconds = 300, headers = ''): string {
  const expires = new Date(created.getTime() + lifetimeSeconds * 1000);
  return `<soap:Envelope xmlns:soap="${SOAP11}"><soap:Header>${headers}`
    + `<wsse:Security xmlns:wsse="${WSSE}" xmlns:wsu="${WSU}" soap:mustUnderstand="1">`
    + `<wsu:Timestamp><wsu:Created>${created.toISOString()}</wsu:Created><wsu:Expires>${expires.toISOString()}</wsu:Expires></wsu:Timestamp>`
    + `</wsse:Security></soap:Header><soap:Body>${body}</soap:Body></soap:Envelope>`;
}

/**
 * Signs with libxmlsec1 (test/fixtures/wss/sign_envelope.py): zeep's BinarySignature with
 * RSA-SHA256/SHA-256 (`sha256`) or RSA-SHA1/SHA-1 (`sha1`), or laid out as WSS4J/CXF does (`wss4j`:
 * ds: prefix, ec:InclusiveNamespaces prefix lists). `headers`: local names of header blocks to sign
 * besides the Body and the Timestamp (as WSS4J's signatureParts or WCF's WS-Addressing headers).
 */
export function zeepSign(envelope: string, signer: { key: string; cert: string }, mode: 'sha256' | 'sha1' | 'wss4j' = 'sha256', headers: readonly string[] = []): string {
  return execFileSync('/usr/bin/python3', ['test/fixtures/wss/sign_envelope.py', signer.key, signer.cert, mode, ...(headers.length > 0 ? [headers.join(',')] : [])],
    { input: envelope, timeout: 30_000 }).toString('utf8');
}

/**
 * Signs with node-soap's WSSecurityCert (adds its own Timestamp, Created now). `exclude`: parts
 * not to sign ('Body', 'Timestamp').
 */
export function nodeSoapSign(body: string, signer: { key: string; cert: string }, exclude: string[] = []): string {
  const security = new WSSecurityCert(readFileSync(signer.key, 'utf8'), readFileSync(signer.cert, 'utf8'), '', {
    excludeReferencesFromSigning: exclude,
  });
  const envelope = `<soap:Envelope xmlns:soap="${SOAP11}"><soap:Header></soap:Header><soap:Body>${body}</soap:Body></soap:Envelope>`;
  return security.postProcess(envelope, 'soap');
}
