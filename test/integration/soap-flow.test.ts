import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DOMParser, XMLSerializer } from '@xmldom/xmldom';
import { expect } from 'chai';
import type * as soap from 'soap';
import { callPort, nodeSoapClient, zeepCall, type CrmPort } from '../support/crm-clients';
import { startDemoStack, type DemoStack } from '../support/demo-stack';
import { eventually, request } from '../support/http';

const run = promisify(execFile);
const CRM_NS = 'urn:junction:crm:v1';
const PORTS: readonly CrmPort[] = ['CrmSoap11Port', 'CrmSoap12Port'];
const ORDER = { orderId: 'SO-SOAP-1', customerId: 'C-42', amount: '1999.90', currency: 'EUR', lines: [{ sku: 'W-1', qty: '2', price: '999.95' }] };

/** Fault text of a node-soap error (1.1: faultstring; 1.2: Reason/Text). */
function faultOf(error: unknown): string {
  const body = (error as { root?: { Envelope?: { Body?: { Fault?: unknown } } } }).root?.Envelope?.Body?.Fault;
  return JSON.stringify(body ?? (error as Error).message);
}

describe('SOAP gateway end to end on RabbitMQ and MariaDB: node-soap and zeep clients, ERP and OA simulators', function () {
  this.timeout(120_000);
  let stack: DemoStack;
  let wsdl: string;
  const clients = new Map<CrmPort, soap.Client>();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'junction-soap-'));

  before(async () => {
    stack = await startDemoStack({ servers: 'real' });
    wsdl = `${stack.base}/soap/crm?wsdl`;
    for (const port of PORTS) clients.set(port, await nodeSoapClient(wsdl, port));
  });
  after(async () => {
    await stack?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => { stack.erp.reset(); stack.oa.reset(); });

  for (const port of PORTS) {
    describe(`node-soap client, ${port}`, () => {
      it('UpsertCustomer returns the ERP customer number, mapped both ways through the ERP', async () => {
        const { result } = await callPort(clients.get(port)!, port, 'UpsertCustomer', { customerId: `C-${port}`, name: 'Ada Lovelace', phone: '+44 1', status: 'INACTIVE' });
        const answer = result as { customerId: string; erpCustomerNo: string; syncedAt: unknown };
        expect(answer.customerId).to.equal(`C-${port}`);
        expect(answer.erpCustomerNo).to.match(/^ERP-\d+$/);
        const [receipt] = stack.erp.receipts();
        expect(receipt?.fields).to.deep.include({ CUST_NO: `C-${port}`, CUST_NAME: 'Ada Lovelace', TEL: '+44 1', STAT: 'I' });
      });

      it('invalid input gives a Client/Sender fault naming the violation, and nothing reaches the ERP', async () => {
        const error = await callPort(clients.get(port)!, port, 'UpsertCustomer', { customerId: 'C-1', name: 'Ada', status: 'SLEEPING' }).then(() => undefined, (e: unknown) => e);
        const fault = faultOf(error);
        expect(fault).to.match(port === 'CrmSoap11Port' ? /Client/ : /Sender/);
        expect(fault).to.contain('status');
        expect(stack.erp.stats().attempts).to.equal(0);
      });
    });
  }

  it('SubmitOrder is accepted (202), reaches DELIVERED with exact decimals, and GetMessageStatus reports it', async () => {
    const client = clients.get('CrmSoap11Port')!;
    const raw = await request(`${stack.base}/soap/crm`, {
      method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '"urn:junction:crm:v1/SubmitOrder"' },
      body: `<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><SubmitOrderRequest xmlns="${CRM_NS}">`
        + `<orderId>${ORDER.orderId}</orderId><customerId>C-42</customerId><amount>1999.90</amount><currency>EUR</currency>`
        + '<lines><sku>W-1</sku><qty>2</qty><price>999.95</price></lines></SubmitOrderRequest></s:Body></s:Envelope>',
    });
    expect(raw.status).to.equal(202);
    expect(raw.text).to.equal('');
    const messageId = String(raw.headers.get('x-junction-message-id'));
    const status = await eventually(async () => {
      const { result } = await callPort(client, 'CrmSoap11Port', 'GetMessageStatus', { messageId });
      return (result as { status: string }).status === 'DELIVERED' ? result : undefined;
    });
    expect(status).to.deep.include({ status: 'DELIVERED', attempts: 1 });
    const receipt = stack.oa.receipts().find((r) => r.messageId === messageId);
    expect(receipt?.fields.amount).to.equal('1999.90');
    expect(receipt?.body).to.contain('<price>999.95</price>');
  });

  it('GetMessageStatus of an unknown id is a Client fault', async () => {
    const error = await callPort(clients.get('CrmSoap11Port')!, 'CrmSoap11Port', 'GetMessageStatus', { messageId: '00000000-0000-4000-8000-000000000000' }).then(() => undefined, (e: unknown) => e);
    expect(faultOf(error)).to.contain('Client').and.contain('No message has the id');
  });

  it('a failing ERP gives a Server fault carrying the message id, and the log shows FAILED with the ERP\'s words', async () => {
    stack.erp.setBehaviour({ faultCode: 'Server' });
    const error = await callPort(clients.get('CrmSoap11Port')!, 'CrmSoap11Port', 'UpsertCustomer', { customerId: 'C-9', name: 'Ada', status: 'ACTIVE' }).then(() => undefined, (e: unknown) => e);
    const fault = faultOf(error);
    expect(fault).to.contain('Server').and.contain('JCT_ENDPOINT_SERVER_ERROR');
    const messageId = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/.exec(fault)?.[1];
    expect(messageId, fault).to.be.a('string');
    const record = await stack.app.log.load(String(messageId));
    expect(record?.status).to.equal('FAILED');
    expect(record?.lastError?.code).to.equal('JCT_ENDPOINT_SERVER_ERROR');
  });

  it('the REST twin PUT /customers/{id} does what UpsertCustomer does', async () => {
    const res = await request(`${stack.base}/api/v1/customers/C-REST`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"name":"Grace Hopper","email":"grace@example.org","status":"ACTIVE"}' });
    expect(res.status, res.text).to.equal(200);
    expect(res.json).to.include({ customerId: 'C-REST' });
    expect(String(res.json.erpCustomerNo)).to.match(/^ERP-\d+$/);
    expect(stack.erp.receipts()[0]?.fields).to.deep.include({ CUST_NO: 'C-REST', MAIL: 'grace@example.org', STAT: 'A' });
  });

  describe('python3-zeep client', () => {
    for (const port of PORTS) {
      it(`UpsertCustomer over ${port}`, async () => {
        const answer = await zeepCall(wsdl, port, 'UpsertCustomer', { customerId: `Z-${port}`, name: 'Zeep', status: 'ACTIVE' });
        expect(answer.ok, JSON.stringify(answer)).to.equal(true);
        if (answer.ok) {
          expect(answer.result).to.include({ customerId: `Z-${port}` });
          expect(String(answer.result?.erpCustomerNo)).to.match(/^ERP-\d+$/);
        }
      });
    }

    it('with zeep\'s WS-Addressing plugin: answered, with the response action and RelatesTo its MessageID (both ports)', async () => {
      for (const port of PORTS) {
        const answer = await zeepCall(wsdl, port, 'UpsertCustomer', { customerId: `ZW-${port}`, name: 'Zeep WSA', status: 'ACTIVE' }, undefined, true);
        expect(answer.ok, JSON.stringify(answer)).to.equal(true);
        expect(answer.addressing?.action).to.equal('urn:junction:crm:v1:CrmPortType:UpsertCustomerResponse');
        expect(answer.addressing?.relatesTo).to.match(/^urn:uuid:/).and.equal(answer.addressing?.messageId);
      }
    });

    it('invalid input gives a Client fault listing the violation (SOAP 1.1) and a Sender fault (SOAP 1.2)', async () => {
      for (const port of PORTS) {
        const answer = await zeepCall(wsdl, port, 'UpsertCustomer', { customerId: 'Z-1', name: '', status: 'ACTIVE' });
        expect(answer.ok).to.equal(false);
        if (!answer.ok) {
          expect(answer.code).to.contain(port === 'CrmSoap11Port' ? 'Client' : 'Sender');
          expect(answer.detail).to.contain('violation').and.contain('name');
        }
      }
    });

    it('SubmitOrder is accepted and reaches DELIVERED; GetMessageStatus reports it', async () => {
      const answer = await zeepCall(wsdl, 'CrmSoap12Port', 'SubmitOrder', { ...ORDER, orderId: 'SO-ZEEP-1' });
      expect(answer.ok, JSON.stringify(answer)).to.equal(true);
      const receipt = await eventually(async () => stack.oa.receipts().find((r) => r.fields.orderId === 'SO-ZEEP-1'));
      expect(receipt.fields.amount).to.equal('1999.90');
      const status = await eventually(async () => {
        const s = await zeepCall(wsdl, 'CrmSoap11Port', 'GetMessageStatus', { messageId: receipt.messageId });
        return s.ok && s.result?.status === 'DELIVERED' ? s : undefined;
      });
      expect(status.ok).to.equal(true);
    });
  });

  describe('responses validate against the published schema with xmllint', () => {
    async function xmllint(xml: string, local: string): Promise<void> {
      const document = new DOMParser().parseFromString(xml, 'text/xml');
      const element = document.getElementsByTagNameNS(CRM_NS, local)[0];
      expect(element, xml).to.not.equal(undefined);
      const file = path.join(dir, `${local}-${Date.now()}.xml`);
      writeFileSync(file, new XMLSerializer().serializeToString(element!));
      const result = await run('xmllint', ['--noout', '--schema', 'wsdl/crm/crm.xsd', file]).then(() => '', (e: { stderr?: string }) => e.stderr ?? 'failed');
      expect(result).to.equal('');
    }

    it('UpsertCustomerResponse and GetMessageStatusResponse (1.1 and 1.2)', async () => {
      for (const port of PORTS) {
        const { raw } = await callPort(clients.get(port)!, port, 'UpsertCustomer', { customerId: 'C-XSD', name: 'Ada', status: 'ACTIVE' });
        await xmllint(raw, 'UpsertCustomerResponse');
      }
      const ids = (await stack.app.log.find({ routeId: 'upsert-customer', limit: 1 })).map((m) => m.id);
      const { raw } = await callPort(clients.get('CrmSoap11Port')!, 'CrmSoap11Port', 'GetMessageStatus', { messageId: ids[0] });
      await xmllint(raw, 'GetMessageStatusResponse');
    });
  });
});
