import { expect } from 'chai';
import { createEnvelope } from '../../../src/core/envelope';
import { JunctionError } from '../../../src/core/errors';
import { silentLogger } from '../../../src/core/logger';
import { loadMappingFile, MapStep } from '../../../src/transformers/map-step';
import type { MappingTable } from '../../../src/transformers/field-mapping';
import { TempConfigDir } from '../../support/temp-config';
import { thrownBy } from '../../support/thrown';

function message(body: string) {
  return createEnvelope({ routeId: 'r', pattern: 'one-way', source: 'test', contentType: 'application/json', body });
}
const context = { routeId: 'r', logger: silentLogger };

async function failure(promise: Promise<unknown>): Promise<JunctionError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).to.be.instanceOf(JunctionError);
  return error as JunctionError;
}

describe('map step', () => {
  const crmToErp = loadMappingFile('config/mappings/crm-to-erp-customer.yaml');

  it('maps the demo CRM customer to the ERP fields with the status lookup', async () => {
    const out = await new MapStep('crm-to-erp', crmToErp).run(message('{"customerId":"C-1","name":"Ada Lovelace","email":"ada@example.org","status":"INACTIVE"}'), context);
    expect(out.body).to.equal('{"CUST_NO":"C-1","CUST_NAME":"Ada Lovelace","MAIL":"ada@example.org","STAT":"I"}');
  });

  it('writes a field named __proto__ as an ordinary field, and reads one only as an own field', async () => {
    const table: MappingTable = { fields: [{ from: '/__proto__/x', to: '/__proto__/y' }, { from: '/a~1b', to: '/out/c~0d' }] };
    const out = await new MapStep('odd-names', table).run(message('{"__proto__":{"x":"1"},"a/b":"2"}'), context);
    expect(out.body).to.equal('{"__proto__":{"y":"1"},"out":{"c~d":"2"}}');
    expect(({} as Record<string, unknown>).y).to.equal(undefined);
  });

  it('reads fields of the original message for reply mappings', async () => {
    const table = loadMappingFile('config/mappings/erp-to-crm-customer.yaml');
    const original = message('{"customerId":"C-7"}');
    const out = await new MapStep('erp-to-crm', table).run(message('{"ERP_CUST_NO":"ERP-000007","UPDATED_AT":"2026-11-22T10:00:00.123Z"}'), { ...context, original });
    expect(JSON.parse(out.body)).to.deep.equal({ customerId: 'C-7', erpCustomerNo: 'ERP-000007', syncedAt: '2026-11-22T10:00:00.123Z' });
  });

  it('keeps decimals and long integers exact, from numbers and strings', async () => {
    const table: MappingTable = { fields: [
      { from: '/amount', to: '/AMOUNT', type: 'decimal' },
      { from: '/text', to: '/TEXT_AMOUNT', type: 'decimal' },
      { from: '/big', to: '/BIG', type: 'integer' },
      { from: '/nested/x', to: '/out/deep/x' },
      { value: 'EUR', to: '/CURRENCY' },
      { from: '/missing', to: '/DEFAULTED', default: 'n/a' },
    ] };
    const out = await new MapStep('m', table).run(message('{"amount":250.00,"text":"0.10","big":123456789012345678901234567890,"nested":{"x":"y"}}'), context);
    expect(out.body).to.equal('{"AMOUNT":250.00,"TEXT_AMOUNT":0.10,"BIG":123456789012345678901234567890,"out":{"deep":{"x":"y"}},"CURRENCY":"EUR","DEFAULTED":"n/a"}');
  });

  it('lists every problem at once: missing required field, no lookup entry, a string where a decimal is wanted', async () => {
    const table: MappingTable = { ...crmToErp, fields: [...crmToErp.fields, { from: '/amount', to: '/AMOUNT', type: 'decimal' }] };
    const error = await failure(new MapStep('crm-to-erp', table).run(message('{"customerId":"C-1","status":"GONE","amount":"12,50"}'), context));
    expect(error.code).to.equal('JCT_TRANSFORM_FAILED');
    expect(error.retryable).to.equal(false);
    expect(error.message).to.contain('Step "crm-to-erp"');
    expect(error.violations.map((v) => v.path)).to.deep.equal(['/name', '/status', '/amount']);
    expect(error.message).to.contain('"GONE" has no entry in lookup "customer-status" (known: ACTIVE, INACTIVE)');
    expect(error.message).to.contain('"12,50" is not a decimal number');
  });

  it('refuses an object where a single value is expected, and malformed JSON', async () => {
    const error = await failure(new MapStep('m', crmToErp).run(message('{"customerId":{"a":1},"name":"x","status":"ACTIVE"}'), context));
    expect(error.message).to.contain('/customerId is an object or array');
    expect((await failure(new MapStep('m', crmToErp).run(message('{'), context))).code).to.equal('JCT_TRANSFORM_FAILED');
  });

  it('maps lists item by item (order lines → ERP LINE), a single object counting as a list of one', async () => {
    const table = loadMappingFile('config/mappings/order-to-erp.yaml');
    const step = new MapStep('order-to-erp', table);
    const many = await step.run(message('{"orderId":"SO-1","customerId":"C-1","amount":"250.00","currency":"EUR","lines":[{"sku":"A","qty":2,"price":"100.00"},{"sku":"B","qty":"0.5","price":100}]}'), context);
    expect(many.body).to.equal('{"ORDER_NO":"SO-1","CUST_NO":"C-1","AMOUNT":250.00,"CURRENCY":"EUR","LINE":[{"SKU":"A","QTY":2,"PRICE":100.00},{"SKU":"B","QTY":0.5,"PRICE":100}]}');
    const one = await step.run(message('{"orderId":"SO-2","customerId":"C-1","amount":1,"currency":"EUR","lines":{"sku":"A","qty":1,"price":1}}'), context);
    expect(JSON.parse(one.body).LINE).to.have.length(1);
    const error = await failure(step.run(message('{"orderId":"SO-3","customerId":"C-1","amount":1,"currency":"EUR","lines":[{"sku":"A","qty":"x","price":1},{"qty":1,"price":1}]}'), context));
    expect(error.violations.map((v) => v.path)).to.deep.equal(['/lines/0/qty', '/lines/1/sku']);
  });

  describe('loading a mapping file', () => {
    let temp: TempConfigDir;
    beforeEach(() => { temp = new TempConfigDir(); });
    afterEach(() => temp.remove());

    it('names the file and the problem for an invalid table', () => {
      const file = temp.write('m.yaml', 'fields:\n  - { from: customerId, to: /CUST_NO }\n');
      expect(() => loadMappingFile(file)).to.throw(JunctionError, /m\.yaml is invalid: .*m\.yaml:2:\d+ fields\[0\]\.from: must match /);
    });

    it('reports every problem at once, each at its line in the mapping file, with the allowed values', () => {
      const file = temp.write('m.yaml', [
        'fields:',
        '  - { from: /a, to: /A, type: money }',
        '  - { from: /b, to: /B, lookup: nope }',
        '  - { from: /c, to: /C, type: text }',
        '',
      ].join('\n'));
      const { message } = thrownBy(() => loadMappingFile(file));
      expect(message).to.contain(`${file}:2:`).and.contain('fields[0].type: must be one of: string, decimal, integer, boolean, date, datetime');
      expect(message).to.contain(`${file}:4:`).and.contain('fields[2].type: must be one of');
      expect(message).to.contain(`${file}:3:`).and.contain('fields[1].lookup: field /B uses lookup "nope", which is not defined under "lookups"');
    });

    it('a YAML error names its place without a dangling colon', () => {
      const file = temp.write('m.yaml', 'fields: [ { from: /a, to: /A }\n');
      expect(() => loadMappingFile(file)).to.throw(JunctionError, /m\.yaml cannot be read: .*line \d+, column \d+$/);
    });

    it('refuses a lookup that is not defined', () => {
      const file = temp.write('m.yaml', 'fields:\n  - { from: /s, to: /S, lookup: nope }\n');
      expect(() => loadMappingFile(file)).to.throw(JunctionError, /uses lookup "nope", which is not defined/);
    });
  });
});
