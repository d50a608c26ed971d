import { readFileSync } from 'node:fs';
import path from 'node:path';

/** test/fixtures/tls: the committed test certificates, keys and CRLs (see its README). */
export const TLS_FIXTURES = path.resolve(__dirname, '../../../test/fixtures/tls');

/** A file of test/fixtures/tls as text. */
export function tlsFixture(name: string): string {
  return readFileSync(path.join(TLS_FIXTURES, name), 'utf8');
}

/**
 * The `server:` block of a test configuration serving HTTPS with the `localhost` certificate and
 * asking for client certificates of the test clients' CA; `extra` lines go under `tls:` (indented).
 */
export function serverTlsConfig(clientCertificates: 'none' | 'request' | 'require', extra = ''): string {
  return `
server:
  tls:
    cert: { file: ${path.join(TLS_FIXTURES, 'localhost.crt')} }
    key: { file: ${path.join(TLS_FIXTURES, 'localhost.key')} }
    ca: { file: ${path.join(TLS_FIXTURES, 'clients-ca.crt')} }
    clientCertificates: ${clientCertificates}
${extra}`;
}

/** The CRM service and two routes taking orders over REST (`/orders`) and SOAP (SubmitOrder) to an endpoint nobody answers at. */
export const ORDER_ROUTES_CONFIG = `
soap:
  services:
    crm: { wsdl: ${path.resolve(__dirname, '../../../wsdl/crm/crm.wsdl')} }
endpoints:
  oa: { type: http, url: "http://127.0.0.1:9/oa" }
routes:
  - id: orders
    entry: { rest: { method: POST, path: /orders } }
    to: [oa]
  - id: soap-orders
    entry: { soap: { service: crm, operation: SubmitOrder } }
    to: [oa]
`;

/** A SOAP 1.1 SubmitOrder request the CRM service accepts. */
export const SOAP_SUBMIT_ORDER = '<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><SubmitOrderRequest xmlns="urn:junction:crm:v1">'
  + '<orderId>SO-2</orderId><customerId>C-1</customerId><amount>10.00</amount><currency>EUR</currency>'
  + '<lines><sku>W-1</sku><qty>1</qty><price>10.00</price></lines></SubmitOrderRequest></s:Body></s:Envelope>';
