import { randomUUID } from 'node:crypto';

/** Bodies the scenarios send, built to a target size in bytes. */

/** A CRM customer for `PUT /api/v1/customers/{id}` (the sync scenario; about 120 bytes). */
export function customerBody(): string {
  return '{"name":"Ada Lovelace","email":"ada@example.org","phone":"+44 20 7946 0000","status":"ACTIVE"}';
}

/** The SOAP request the ERP simulator gets for the same customer after Junction's mapping: the direct call's body. */
export function erpCustomerEnvelope(customerId: string): string {
  return '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:erp="urn:legacy:erp:v1">'
    + `<soap:Body><erp:CreateOrUpdateCustomer><erp:CUST_NO>${customerId}</erp:CUST_NO><erp:CUST_NAME>Ada Lovelace</erp:CUST_NAME>`
    + '<erp:TEL>+44 20 7946 0000</erp:TEL><erp:MAIL>ada@example.org</erp:MAIL><erp:STAT>A</erp:STAT></erp:CreateOrUpdateCustomer></soap:Body></soap:Envelope>';
}

/** Headers of the direct ERP call: what node-soap sends, with a message id like Junction's. */
export function erpHeaders(): Record<string, string> {
  return {
    'content-type': 'text/xml; charset=utf-8', soapaction: '"urn:legacy:erp:v1/CreateOrUpdateCustomer"', 'x-junction-message-id': randomUUID(),
  };
}

/** A CRM order for `POST /api/v1/orders` of about `bytes` bytes (lines with 64-character SKUs; at most 1,000 lines). */
export function orderBody(orderId: string, bytes: number): string {
  const line = (n: number): string => `{"sku":"${`SKU-${String(n).padStart(6, '0')}-`.padEnd(64, 'X')}","qty":"2","price":"125.00"}`;
  const head = `{"orderId":"${orderId}","customerId":"C-42","amount":"250.00","currency":"EUR","lines":[`;
  const lines: string[] = [line(0)];
  let size = head.length + lines[0]!.length + 2;
  while (size + 94 <= bytes && lines.length < 1000) {
    const next = line(lines.length);
    lines.push(next);
    size += next.length + 1;
  }
  return `${head}${lines.join(',')}]}`;
}

/** A `buyStocks` SOAP 1.1 request of about `bytes` bytes: the classic ESB benchmark's message. */
export function buyStocksEnvelope(bytes: number, symbol = 'IBM'): string {
  const order = (n: number, s: string): string =>
    `<order><symbol>${s}</symbol><buyerID>buyer-${String(n).padStart(5, '0')}</buyerID><price>140.34</price><volume>2000</volume></order>`;
  const head = '<?xml version="1.0" encoding="utf-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><buyStocks xmlns="urn:junction:bench:stock:v1">';
  const tail = '</buyStocks></soapenv:Body></soapenv:Envelope>';
  const orders = [order(0, symbol)];
  let size = head.length + tail.length + orders[0]!.length;
  while (size + orders[0]!.length <= bytes) {
    const next = order(orders.length, orders.length % 2 === 0 ? 'IBM' : 'MSFT');
    orders.push(next);
    size += next.length;
  }
  return `${head}${orders.join('')}${tail}`;
}
