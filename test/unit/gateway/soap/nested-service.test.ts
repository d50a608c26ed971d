import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import express from 'express';
import { silentLogger } from '../../../../src/core/logger';
import { createSoapGateway, type SoapCall, type SoapGatewayRouter } from '../../../../src/gateway/soap/soap-gateway';
import { expectFault11, expectFault12 } from './fault-assertions';
import { envelope11, envelope12, post11, post12, violationsOf } from './soap-test-server';

/**
 * A second service (test/fixtures/soap/nested): an inline schema in the WSDL that imports an XSD
 * in a subfolder, which includes a schema without a namespace of its own; a SOAP 1.2 port only.
 */
describe('SOAP gateway: a service with inline, imported and included schemas', () => {
  const calls: SoapCall[] = [];
  let gateway: SoapGatewayRouter;
  let server: Server;
  let url: string;

  before(async () => {
    gateway = createSoapGateway({
      services: [{ name: 'echo', path: '/soap/echo', wsdlFile: 'test/fixtures/soap/nested/nested.wsdl' }],
      bodyLimitBytes: 64 * 1024,
      logger: silentLogger,
      dispatch: async (call) => {
        calls.push(call);
        return { kind: 'reply', messageId: 'm-1', payload: '{"code":"AB-1","weight":0.250}' };
      },
    });
    await gateway.ready;
    const app = express().use(gateway);
    server = await new Promise<Server>((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/soap/echo`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await gateway.close();
  });

  const request = (parts: string): string => `<e:EchoRequest xmlns:e="urn:test:nested" xmlns:p="urn:test:parts">${parts}</e:EchoRequest>`;

  it('validates and converts with types from the included schema, and writes the response in its namespaces', async () => {
    const res = await post12(url, envelope12(request('<e:part><p:code> AB-12 </p:code></e:part>')));
    expect(res.status, res.text).to.equal(200);
    expect(calls[0]?.payload).to.equal('{"part":[{"code":"AB-12"}]}');
    expect(res.text).to.contain('<tns:EchoResponse xmlns:tns="urn:test:nested" xmlns:p="urn:test:parts"><p:code>AB-1</p:code><p:weight>0.250</p:weight></tns:EchoResponse>');
  });

  it('reports violations of the included type and of maxOccurs', async () => {
    const res = await post12(url, envelope12(request('<e:part><p:code>ab</p:code></e:part>'.repeat(4))));
    expectFault12(res, 'Sender', 'JCT_VALIDATION_FAILED');
    const violations = violationsOf(res.text);
    expect(violations.map((v) => v.path)).to.deep.equal([
      '/EchoRequest/part[1]/code', '/EchoRequest/part[2]/code', '/EchoRequest/part[3]/code', '/EchoRequest/part[4]',
    ]);
  });

  it('refuses SOAP 1.1, which the WSDL has no port for', async () => {
    const fault = expectFault11(await post11(url, envelope11(request('<e:part><p:code>AB-1</p:code></e:part>')), '""'), 'Client', 'JCT_REQUEST_MEDIA_TYPE');
    expect(fault.reason).to.contain('has no SOAP 1.1 port; use SOAP 1.2');
  });

  it('publishes the nested XSDs under their relative names, with references rewritten', async () => {
    const wsdl = await (await fetch(`${url}?wsdl`)).text();
    expect(wsdl).to.contain(`schemaLocation="${url}?xsd=types%2Fparts.xsd"`).and.contain(`<soap12:address location="${url}"/>`);
    const parts = await (await fetch(`${url}?xsd=types%2Fparts.xsd`)).text();
    expect(parts).to.contain(`schemaLocation="${url}?xsd=types%2Fpart-types.xsd"`);
    expect((await fetch(`${url}?xsd=types/part-types.xsd`)).status).to.equal(200);
  });
});
