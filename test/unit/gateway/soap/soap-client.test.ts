import { expect } from 'chai';
import * as soap from 'soap';
import { JunctionError } from '../../../../src/core/errors';
import { startSoapServer, type SoapTestServer } from './soap-test-server';

type Port = 'CrmSoap11Port' | 'CrmSoap12Port';
type Method = (args: unknown, callback: (error: unknown, result: unknown, raw: string) => void) => void;

/** Calls an operation on one port explicitly (node-soap's `client.XAsync` is bound to the last port it read). */
function call(client: soap.Client, port: Port, operation: string, args: unknown): Promise<{ result: unknown; raw: string }> {
  const method = (client as unknown as Record<string, Record<string, Record<string, Method>>>).CrmService![port]![operation]!;
  return new Promise((resolve, reject) => {
    method(args, (error, result, raw) => (error ? reject(error) : resolve({ result, raw })));
  });
}

const ORDER = {
  orderId: 'SO-77', customerId: 'C-42', amount: '250.00', currency: 'EUR',
  lines: [{ sku: 'W-1', qty: '2', price: '125.00' }, { sku: 'W-2', qty: '0.5', price: '1234567890123456789012.345' }],
};

for (const [version, port] of [['1.1', 'CrmSoap11Port'], ['1.2', 'CrmSoap12Port']] as const) {
  describe(`SOAP gateway with the node-soap client, SOAP ${version} port`, () => {
    let server: SoapTestServer;
    let client: soap.Client;

    before(async () => {
      server = await startSoapServer();
      client = await soap.createClientAsync(`${server.url}?wsdl`, version === '1.2' ? { forceSoap12Headers: true } : {});
    });
    after(async () => { await server.close(); });
    beforeEach(() => server.reset());

    it('reads the WSDL and its two XSDs from the gateway and sees the three operations on both ports', () => {
      const description = client.describe() as { CrmService: Record<Port, Record<string, unknown>> };
      expect(Object.keys(description.CrmService)).to.deep.equal(['CrmSoap11Port', 'CrmSoap12Port']);
      expect(Object.keys(description.CrmService[port])).to.deep.equal(['UpsertCustomer', 'SubmitOrder', 'GetMessageStatus']);
      // Types come from crm.xsd, which the client fetched at <url>?xsd=crm.xsd.
      const operations = description.CrmService[port] as Record<string, { input: Record<string, unknown> }>;
      expect(operations.UpsertCustomer?.input.status).to.equal('CustomerStatus|xs:string|ACTIVE,INACTIVE');
      expect(operations.SubmitOrder?.input).to.have.property('lines[]');
    });

    it('calls UpsertCustomer and gets the response element back', async () => {
      const { result } = await call(client, port, 'UpsertCustomer', { customerId: 'C-42', name: 'Ada', email: 'ada@example.com', status: 'ACTIVE' });
      expect(result).to.deep.include({ customerId: 'C-42', erpCustomerNo: 'ERP-000123' });
      expect(String((result as { syncedAt: unknown }).syncedAt)).to.not.equal('');
      expect(server.calls[0]).to.deep.include({ operation: 'UpsertCustomer', version, oneWay: false });
      expect(server.calls[0]?.payload).to.equal('{"customerId":"C-42","name":"Ada","email":"ada@example.com","status":"ACTIVE"}');
    });

    it('calls the one-way SubmitOrder: accepted, decimals exact', async () => {
      const { raw } = await call(client, port, 'SubmitOrder', ORDER);
      expect(raw ?? '').to.equal('');
      expect(server.calls[0]).to.deep.include({ operation: 'SubmitOrder', version, oneWay: true });
      expect(JSON.parse(server.calls[0]!.payload)).to.deep.equal(ORDER);
    });

    it('calls GetMessageStatus and reads attempts and lastError', async () => {
      const { result } = await call(client, port, 'GetMessageStatus', { messageId: 'msg-1' });
      expect(result).to.deep.include({ status: 'FAILED' });
      expect(Number((result as { attempts: unknown }).attempts)).to.equal(3);
      expect((result as { lastError: unknown }).lastError).to.deep.include({ code: 'JCT_ENDPOINT_REJECTED' });
    });

    it('sees a fault raised by dispatch as a SOAP fault with the JunctionFault detail', async () => {
      server.handler = async () => { throw new JunctionError('JCT_ENDPOINT_UNREACHABLE', 'The ERP is unreachable.', { details: { messageId: 'msg-9' } }); };
      const error = await call(client, port, 'GetMessageStatus', { messageId: 'msg-1' }).then(() => undefined, (e: unknown) => e);
      const fault = (error as { root?: { Envelope?: { Body?: { Fault?: Record<string, unknown> } } } }).root?.Envelope?.Body?.Fault;
      expect(fault, String(error)).to.not.equal(undefined);
      const text = JSON.stringify(fault);
      expect(text).to.contain('JCT_ENDPOINT_UNREACHABLE').and.contain('msg-9').and.contain('The ERP is unreachable.');
      expect(text).to.contain(version === '1.1' ? 'soap:Server' : 'Receiver');
    });
  });
}
