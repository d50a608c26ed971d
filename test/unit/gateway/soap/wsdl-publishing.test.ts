import http from 'node:http';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { callerUrl } from '../../../../src/gateway/soap/wsdl-publisher';
import { elements, startSoapServer, xmlDocument, type SoapTestServer } from './soap-test-server';

const XSD = 'http://www.w3.org/2001/XMLSchema';
const WSDL_SOAP11 = 'http://schemas.xmlsoap.org/wsdl/soap/';
const WSDL_SOAP12 = 'http://schemas.xmlsoap.org/wsdl/soap12/';

/** GET with any headers (fetch does not let a test set Host). */
function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; type: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { body += chunk; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body }));
    });
    request.on('error', reject);
    request.end();
  });
}

function addresses(wsdl: string): string[] {
  return [...elements(wsdl, WSDL_SOAP11, 'address'), ...elements(wsdl, WSDL_SOAP12, 'address')].map((a) => a.getAttribute('location') ?? '');
}

function schemaLocations(xml: string): string[] {
  return [...elements(xml, XSD, 'import'), ...elements(xml, XSD, 'include')].map((e) => e.getAttribute('schemaLocation') ?? '');
}

describe('SOAP gateway: publishing the WSDL and its XSDs', () => {
  let server: SoapTestServer;

  before(async () => { server = await startSoapServer(); });
  after(async () => { await server.close(); });

  it('serves ?wsdl as text/xml with both port addresses and the schemaLocations rewritten to the URL used', async () => {
    const res = await get(`${server.url}?wsdl`);
    expect(res.status).to.equal(200);
    expect(res.type).to.equal('text/xml; charset=utf-8');
    expect(addresses(res.body)).to.deep.equal([server.url, server.url]);
    expect(schemaLocations(res.body)).to.deep.equal([`${server.url}?xsd=crm.xsd`, `${server.url}?xsd=faults.xsd`]);
    expect(res.body).to.not.contain('localhost:8080');
    expect(xmlDocument(res.body).documentElement?.getAttribute('targetNamespace')).to.equal('urn:junction:crm:v1');
  });

  it('uses the Host header, and X-Forwarded-Proto / X-Forwarded-Host when a proxy sets them', async () => {
    const direct = await get(`${server.url}?WSDL`, { host: 'crm-gw.internal:8443' });
    expect(addresses(direct.body)).to.deep.equal(['http://crm-gw.internal:8443/soap/crm', 'http://crm-gw.internal:8443/soap/crm']);
    const proxied = await get(`${server.url}?wsdl`, { host: 'crm-gw.internal', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'esb.example.com, proxy2.internal' });
    expect(addresses(proxied.body)[0]).to.equal('https://esb.example.com/soap/crm');
    expect(schemaLocations(proxied.body)[0]).to.equal('https://esb.example.com/soap/crm?xsd=crm.xsd');
  });

  it('ignores forwarded values that are not a plain scheme or host', () => {
    expect(callerUrl({ host: 'a.example:80', 'x-forwarded-host': 'evil"><x', 'x-forwarded-proto': 'javascript' }, false, '/soap/crm')).to.equal('http://a.example:80/soap/crm');
    expect(callerUrl({ host: '[::1]:8080' }, true, '/soap/crm')).to.equal('https://[::1]:8080/soap/crm');
    expect(callerUrl({}, false, '/soap/crm')).to.equal('http://localhost/soap/crm');
  });

  it('serves every XSD the WSDL references, unchanged apart from references', async () => {
    for (const name of ['crm.xsd', 'faults.xsd']) {
      const res = await get(`${server.url}?xsd=${name}`);
      expect(res.status, name).to.equal(200);
      expect(res.type).to.equal('text/xml; charset=utf-8');
      expect(xmlDocument(res.body).documentElement?.localName).to.equal('schema');
      const squeeze = (t: string): string => t.replace(/\s+/g, ' ').trim();
      expect(squeeze(res.body)).to.equal(squeeze(readFileSync(`wsdl/crm/${name}`, 'utf8')));
    }
  });

  it('serves nothing else: no traversal, no WSDL under ?xsd, 404 problem+json with the names it has', async () => {
    for (const name of ['../../package.json', '%2Fetc%2Fpasswd', 'crm.wsdl', 'CRM.XSD', '']) {
      const res = await get(`${server.url}?xsd=${name}`);
      expect(res.status, name).to.equal(404);
      expect(res.type).to.match(/^application\/problem\+json/);
      expect(JSON.parse(res.body)).to.include({ code: 'JCT_NOT_FOUND' });
      expect(res.body).to.contain('crm.xsd, faults.xsd').and.not.contain('"name": "junction"');
    }
    const bare = await get(server.url);
    expect(bare.status).to.equal(404);
    expect(JSON.parse(bare.body).detail).to.contain('/soap/crm?wsdl');
  });

  it('answers HEAD ?wsdl without a body', async () => {
    const res = await get(`${server.url}?wsdl`, {}, 'HEAD');
    expect([res.status, res.type, res.body]).to.deep.equal([200, 'text/xml; charset=utf-8', '']);
  });
});
