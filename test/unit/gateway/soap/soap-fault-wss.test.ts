import { expect } from 'chai';
import { DOMParser } from '@xmldom/xmldom';
import { JunctionError } from '../../../../src/core/errors';
import { renderFault, toSoapFault } from '../../../../src/gateway/soap/soap-fault';
import { signatureRefused } from '../../../../src/security/auth/xml-signed-info';

const WSSE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';

describe('SOAP faults for refused WS-Security signatures (WS-Security 1.1 fault codes)', () => {
  const refused = signatureRefused('FailedCheck', 'The digest of #id-1 does not match.');

  it('SOAP 1.1: the faultcode is wsse:FailedCheck (namespace declared), the JCT code in the detail', () => {
    const body = renderFault(toSoapFault(refused, 'r-1'), '1.1').body;
    const doc = new DOMParser().parseFromString(body, 'text/xml');
    const faultcode = doc.getElementsByTagName('faultcode')[0]!;
    expect(faultcode.textContent).to.equal('wsse:FailedCheck');
    expect(faultcode.lookupNamespaceURI('wsse')).to.equal(WSSE);
    expect(body).to.contain('<jct:code>JCT_WSS_SIGNATURE_INVALID</jct:code>').and.contain('does not match');
  });

  it('SOAP 1.2: Sender, then Subcode wsse:FailedCheck holding Subcode jct:JCT_WSS_SIGNATURE_INVALID; HTTP 400', () => {
    const rendered = renderFault(toSoapFault(signatureRefused('MessageExpired', 'stale'), 'r-2'), '1.2');
    expect(rendered.status).to.equal(400);
    const values = [...Array.from(new DOMParser().parseFromString(rendered.body, 'text/xml').getElementsByTagNameNS('http://www.w3.org/2003/05/soap-envelope', 'Value'))]
      .map((v) => v.textContent);
    expect(values).to.deep.equal(['env:Sender', 'wsse:MessageExpired', 'jct:JCT_WSS_SIGNATURE_INVALID']);
  });

  it('other faults keep soap:Client, and a wsseFault detail off the WS-Security list is ignored', () => {
    expect(renderFault(toSoapFault(new JunctionError('JCT_AUTH_FAILED', 'no'), 'r-3'), '1.1').body).to.contain('<faultcode>soap:Client</faultcode>');
    const odd = new JunctionError('JCT_WSS_SIGNATURE_INVALID', 'x', { details: { wsseFault: 'Evil><x' } });
    expect(renderFault(toSoapFault(odd, 'r-4'), '1.1').body).to.contain('<faultcode>soap:Client</faultcode>');
  });
});
