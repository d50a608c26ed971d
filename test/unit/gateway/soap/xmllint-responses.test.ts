import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { XMLSerializer } from '@xmldom/xmldom';
import { expect } from 'chai';
import { JunctionError } from '../../../../src/core/errors';
import {
  brokerDown, CRM_NS, elements, envelope11, envelope12, FAULT_NS, orderBody, post11, post12, startSoapServer, STATUS_BODY,
  UPSERT_BODY, type SoapTestServer,
} from './soap-test-server';

const run = promisify(execFile);

/**
 * Checks Junction's answers with an independent validator: xmllint (libxml2-utils; the test
 * suite installs it). Older libxml2 builds (Debian 12's 2.9) refuse xs:decimal values of more
 * than 24 digits, so the documents checked here keep decimals shorter.
 */
describe('SOAP gateway answers validate with xmllint --schema', () => {
  let server: SoapTestServer;
  let dir: string;

  before(async () => {
    server = await startSoapServer();
    dir = mkdtempSync(path.join(tmpdir(), 'junction-xmllint-'));
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => server.reset());

  /** Saves the first `{ns}local` element of `xml` on its own and validates it against `schema`. */
  async function xmllint(xml: string, ns: string, local: string, schema: string): Promise<void> {
    const [element] = elements(xml, ns, local);
    expect(element, `${local} in ${xml}`).to.not.equal(undefined);
    const file = path.join(dir, `${local}-${Math.random().toString(36).slice(2)}.xml`);
    writeFileSync(file, new XMLSerializer().serializeToString(element!));
    const result = await run('xmllint', ['--noout', '--schema', schema, file]).then(
      (r) => ({ ok: true, stderr: r.stderr }),
      (e: { stderr?: string }) => ({ ok: false, stderr: e.stderr ?? String(e) }),
    );
    expect(result.ok, result.stderr).to.equal(true);
  }

  it('the XSDs are valid schemas and the fixtures validate', async () => {
    const { readFileSync } = await import('node:fs');
    await xmllint(readFileSync('test/fixtures/soap/upsert-customer.soap11.xml', 'utf8'), CRM_NS, 'UpsertCustomerRequest', 'wsdl/crm/crm.xsd');
    await xmllint(readFileSync('test/fixtures/soap/upsert-customer.soap12.xml', 'utf8'), CRM_NS, 'UpsertCustomerRequest', 'wsdl/crm/crm.xsd');
  });

  it('UpsertCustomerResponse (1.1 and 1.2)', async () => {
    server.handler = async () => ({ kind: 'reply', messageId: 'm', payload: '{"customerId":"C-42","erpCustomerNo":4711,"syncedAt":"2026-11-05T10:15:00Z"}' });
    await xmllint((await post11(server.url, envelope11(UPSERT_BODY), '""')).text, CRM_NS, 'UpsertCustomerResponse', 'wsdl/crm/crm.xsd');
    await xmllint((await post12(server.url, envelope12(UPSERT_BODY))).text, CRM_NS, 'UpsertCustomerResponse', 'wsdl/crm/crm.xsd');
  });

  it('GetMessageStatusResponse with and without lastError', async () => {
    await xmllint((await post11(server.url, envelope11(STATUS_BODY), '""')).text, CRM_NS, 'GetMessageStatusResponse', 'wsdl/crm/crm.xsd');
    server.handler = async () => ({ kind: 'reply', messageId: 'm', payload: '{"status":"DELIVERED","attempts":1}' });
    await xmllint((await post12(server.url, envelope12(STATUS_BODY))).text, CRM_NS, 'GetMessageStatusResponse', 'wsdl/crm/crm.xsd');
  });

  it('JunctionFault details: schema violations, a message id, an internal error', async () => {
    const invalid = orderBody('abc', '<c:lines><c:sku>A</c:sku><c:qty>x</c:qty><c:price>1</c:price></c:lines>');
    await xmllint((await post11(server.url, envelope11(invalid), '""')).text, FAULT_NS, 'JunctionFault', 'wsdl/crm/faults.xsd');
    server.handler = async () => { throw brokerDown('msg-1'); };
    await xmllint((await post12(server.url, envelope12(UPSERT_BODY))).text, FAULT_NS, 'JunctionFault', 'wsdl/crm/faults.xsd');
    server.handler = async () => { throw new JunctionError('JCT_INTERNAL', 'boom'); };
    await xmllint((await post11(server.url, envelope11(UPSERT_BODY), '""')).text, FAULT_NS, 'JunctionFault', 'wsdl/crm/faults.xsd');
  });
});
