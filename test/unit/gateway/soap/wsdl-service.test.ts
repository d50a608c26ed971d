import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { JunctionError } from '../../../../src/core/errors';
import { silentLogger } from '../../../../src/core/logger';
import { createSoapGateway } from '../../../../src/gateway/soap/soap-gateway';
import { loadWsdlService } from '../../../../src/gateway/soap/wsdl-service';
import { CRM_NS, CRM_SERVICE } from './soap-test-server';

/** A copy of wsdl/crm/ with some files changed (null deletes the file); returns the WSDL's path. */
function variant(dirs: string[], changes: Record<string, ((text: string) => string) | null>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'junction-wsdl-'));
  dirs.push(dir);
  cpSync('wsdl/crm', dir, { recursive: true });
  for (const [file, change] of Object.entries(changes)) {
    const target = path.join(dir, file);
    if (change === null) unlinkSync(target);
    else writeFileSync(target, change(readFileSync(target, 'utf8')));
  }
  return path.join(dir, 'crm.wsdl');
}

function bootError(wsdlFile: string): JunctionError {
  try {
    loadWsdlService({ ...CRM_SERVICE, wsdlFile });
  } catch (error) {
    expect(error).to.be.instanceOf(JunctionError);
    return error as JunctionError;
  }
  throw new Error('loadWsdlService did not fail');
}

describe('WSDL service loading', () => {
  const service = loadWsdlService(CRM_SERVICE);

  it('extracts the CRM operations with their elements and actions', () => {
    expect(service.operations.map((o) => ({ ...o }))).to.deep.equal([
      {
        name: 'UpsertCustomer',
        inputElement: { namespace: CRM_NS, local: 'UpsertCustomerRequest' },
        outputElement: { namespace: CRM_NS, local: 'UpsertCustomerResponse' },
        soapAction11: 'urn:junction:crm:v1/UpsertCustomer',
        soapAction12: 'urn:junction:crm:v1/UpsertCustomer',
        // WS-Addressing's default action pattern (a urn: namespace: ':' between the parts).
        inputAction: 'urn:junction:crm:v1:CrmPortType:UpsertCustomerRequest',
        outputAction: 'urn:junction:crm:v1:CrmPortType:UpsertCustomerResponse',
      },
      {
        name: 'SubmitOrder',
        inputElement: { namespace: CRM_NS, local: 'SubmitOrderRequest' },
        outputElement: undefined,
        soapAction11: 'urn:junction:crm:v1/SubmitOrder',
        soapAction12: 'urn:junction:crm:v1/SubmitOrder',
        // WS-Addressing's default action pattern (a urn: namespace: ':' between the parts).
        inputAction: 'urn:junction:crm:v1:CrmPortType:SubmitOrder',
        outputAction: undefined,
      },
      {
        name: 'GetMessageStatus',
        inputElement: { namespace: CRM_NS, local: 'GetMessageStatusRequest' },
        outputElement: { namespace: CRM_NS, local: 'GetMessageStatusResponse' },
        soapAction11: 'urn:junction:crm:v1/GetMessageStatus',
        soapAction12: 'urn:junction:crm:v1/GetMessageStatus',
        // WS-Addressing's default action pattern (a urn: namespace: ':' between the parts).
        inputAction: 'urn:junction:crm:v1:CrmPortType:GetMessageStatusRequest',
        outputAction: 'urn:junction:crm:v1:CrmPortType:GetMessageStatusResponse',
      },
    ]);
  });

  it('knows the service, its ports, the XSDs it publishes and the prefixes it prefers', () => {
    expect([service.serviceName, service.targetNamespace, service.versions]).to.deep.equal(['CrmService', CRM_NS, ['1.1', '1.2']]);
    expect([...service.schemas.keys()]).to.deep.equal(['crm.xsd', 'faults.xsd']);
    expect(service.prefixes.get(CRM_NS)).to.equal('crm');
  });

  it('models the elements: lines repeats, email is optional, amount is a decimal', () => {
    const order = service.model.element({ namespace: CRM_NS, local: 'SubmitOrderRequest' })!;
    expect(order.type.kind).to.equal('complex');
    const particles = order.type.kind === 'complex' ? order.type.particles : [];
    expect(particles.map((p) => `${p.name.local}:${p.minOccurs}..${p.maxOccurs}`)).to.deep.equal(['orderId:1..1', 'customerId:1..1', 'amount:1..1', 'currency:1..1', 'lines:1..Infinity']);
    expect(particles[2]?.type).to.deep.equal({ kind: 'simple', builtin: 'decimal', whiteSpace: 'collapse' });
  });

  it('takes WS-Addressing actions the WSDL names (wsam:Action, named input/output) and uses / after an http namespace', () => {
    const dirs: string[] = [];
    try {
      const wsdlFile = variant(dirs, {
        'crm.wsdl': (t) => t
          .replace('<wsdl:output message="crm:UpsertCustomerOutput"/>',
            '<wsdl:output message="crm:UpsertCustomerOutput" xmlns:wsam="http://www.w3.org/2007/05/addressing/metadata" wsam:Action="urn:example:upserted"/>')
          .replace('<wsdl:input message="crm:GetMessageStatusInput"/>', '<wsdl:input name="AskStatus" message="crm:GetMessageStatusInput"/>')
          .replace('targetNamespace="urn:junction:crm:v1">', 'targetNamespace="http://crm.example.com/v1/">'),
      });
      const operations = new Map(loadWsdlService({ ...CRM_SERVICE, wsdlFile }).operations.map((o) => [o.name, o]));
      expect(operations.get('UpsertCustomer')).to.deep.include({ outputAction: 'urn:example:upserted', inputAction: 'http://crm.example.com/v1/CrmPortType/UpsertCustomerRequest' });
      expect(operations.get('GetMessageStatus')).to.deep.include({
        inputAction: 'http://crm.example.com/v1/CrmPortType/AskStatus', outputAction: 'http://crm.example.com/v1/CrmPortType/GetMessageStatusResponse',
      });
    } finally {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('fails at boot with JCT_CONFIG_REFERENCE naming what is wrong', () => {
    const dirs: string[] = [];
    after(() => { for (const dir of dirs) rmSync(dir, { recursive: true, force: true }); });

    const cases: [string, Record<string, ((text: string) => string) | null>, RegExp][] = [
      ['a missing XSD', { 'faults.xsd': null }, /cannot read the schema .*faults\.xsd \(referenced from .*crm\.wsdl\) \(ENOENT\)\.$/],
      ['a WSDL that is not well-formed', { 'crm.wsdl': (t) => t.replace('</wsdl:types>', '') }, /crm\.wsdl is not well-formed XML: line \d+/],
      ['an XSD that is not well-formed', { 'crm.xsd': (t) => t.replace('<xs:sequence>', '<xs:sequence') }, /crm\.xsd is not well-formed XML/],
      ['a remote schemaLocation', { 'crm.wsdl': (t) => t.replace('schemaLocation="faults.xsd"', 'schemaLocation="http://example.com/faults.xsd"') }, /is not a relative file path/],
      ['an rpc binding', { 'crm.wsdl': (t) => t.replaceAll('style="document"', 'style="rpc"') }, /only document style is supported/],
      ['an encoded body', { 'crm.wsdl': (t) => t.replace('<soap:body use="literal"/>', '<soap:body use="encoded"/>') }, /only use="literal" is supported/],
      ['a message naming an undeclared element', { 'crm.wsdl': (t) => t.replace('element="crm:GetMessageStatusRequest"', 'element="crm:Nope"') }, /refers to \{urn:junction:crm:v1\}Nope, which no schema declares/],
      ['xs:any', { 'crm.xsd': (t) => t.replace('<xs:element name="messageId" type="crm:Identifier"/>', '<xs:any/>') }, /crm\.xsd:\d+: xs:any is not supported/],
      ['an unknown type', { 'crm.xsd': (t) => t.replace('type="crm:CustomerStatus"', 'type="crm:Missing"') }, /crm\.xsd:\d+: no schema declares the simple type \{urn:junction:crm:v1\}Missing/],
      ['two operations with one body element', { 'crm.wsdl': (t) => t.replace('element="crm:GetMessageStatusRequest"', 'element="crm:SubmitOrderRequest"') }, /take the same body element/],
      ['wsdl:import', { 'crm.wsdl': (t) => t.replace('<wsdl:types>', '<wsdl:import namespace="urn:x" location="x.wsdl"/><wsdl:types>') }, /wsdl:import is not supported/],
    ];
    for (const [what, changes, message] of cases) {
      it(what, () => {
        const error = bootError(variant(dirs, changes));
        expect(error.code).to.equal('JCT_CONFIG_REFERENCE');
        expect(error.message).to.match(/^SOAP service "crm": /).and.match(message);
      });
    }

    it('a missing WSDL, thrown by createSoapGateway itself', () => {
      expect(() => createSoapGateway({
        services: [{ ...CRM_SERVICE, wsdlFile: 'wsdl/crm/missing.wsdl' }], bodyLimitBytes: 1024, logger: silentLogger, dispatch: () => Promise.reject(new Error('unused')),
      })).to.throw(JunctionError, /cannot read the WSDL .*missing\.wsdl \(ENOENT\)/);
    });

    it('options that make no sense (JCT_CONFIG_INVALID)', () => {
      expect(() => createSoapGateway({
        services: [CRM_SERVICE, { ...CRM_SERVICE, path: 'soap/other' }], bodyLimitBytes: 0, logger: silentLogger, dispatch: () => Promise.reject(new Error('unused')),
      })).to.throw(JunctionError, /bodyLimitBytes must be a positive whole number.*two services are named "crm".*must start with \//);
    });

    it('schemas libxml2 cannot compile: `ready` rejects', async () => {
      const wsdlFile = variant(dirs, { 'crm.xsd': (t) => t.replace('<xs:pattern value="[A-Z]{3}"/>', '<xs:pattern value="[A-Z{3"/>') });
      const gateway = createSoapGateway({ services: [{ ...CRM_SERVICE, wsdlFile }], bodyLimitBytes: 1024, logger: silentLogger, dispatch: () => Promise.reject(new Error('unused')) });
      const error = await gateway.ready.then(() => undefined, (e: unknown) => e);
      expect(error).to.be.instanceOf(JunctionError);
      expect((error as JunctionError).code).to.equal('JCT_CONFIG_REFERENCE');
      expect((error as JunctionError).message).to.contain('its schemas do not compile').and.contain('crm.xsd');
      await gateway.close();
    });
  });
});
