import { expect } from 'chai';
import { bodiesOf, ViewMasking } from '../../../src/admin/admin-masking';
import { auditView, groupView, messageView, summaryView } from '../../../src/admin/admin-views';
import { checkMaskedEdit } from '../../../src/admin/masked-edit';
import { JunctionError } from '../../../src/core/errors';
import type { MessageRecord } from '../../../src/core/transaction-log';
import { Masker } from '../../../src/security/masking/masker';

const masker = new Masker({ fields: ['**/password', '**/cardNumber', '**/email'] });
const SECRETS = { card: '4111111111111111', password: 'hunter2-secret', email: 'ada.secret@example.org' };
const JSON_TYPE = 'application/json';

/** An order as received, mapped by a step (renaming the sensitive fields), delivered as SOAP, and failed. */
function record(): MessageRecord {
  const at = new Date('2026-11-20T10:00:00Z');
  const payload = JSON.stringify({ orderId: 'SO-7', cardNumber: SECRETS.card, customer: { email: SECRETS.email, password: SECRETS.password } });
  const mapped = JSON.stringify({ ORDER_NO: 'SO-7', CARD_NO: SECRETS.card, MAIL: SECRETS.email });
  const soap = `<CreateSalesOrder><ORDER_NO>SO-7</ORDER_NO><MAIL>${SECRETS.email}</MAIL><PASS>${SECRETS.password}</PASS></CreateSalesOrder>`;
  const error = { code: 'JCT_ENDPOINT_REJECTED' as const, message: `ERP refused customer ${SECRETS.email} (card ${SECRETS.card})`, retryable: false,
    violations: [{ path: '/MAIL', message: `${SECRETS.email} is blocked` }], details: { endpoint: 'erp', echo: SECRETS.password } };
  return {
    id: '0c2b0e7e-6f0e-4d8a-9d8e-0a4b6d2c1e01', correlationId: 'c-1', routeId: 'submit-order', source: 'rest', pattern: 'one-way',
    status: 'FAILED', attempts: 1, businessKey: 'SO-7', receivedAt: at, updatedAt: at, contentType: JSON_TYPE,
    headers: { authorization: 'Bearer abc.def.ghi', 'x-note': `for ${SECRETS.email}` }, payload, lastError: error,
    stages: [
      { seq: 1, stage: 'received', status: 'RECEIVED', attempt: 1, at },
      { seq: 2, stage: 'step:erp:map', status: 'PROCESSING', attempt: 1, at, detail: JSON_TYPE, payload: mapped },
      { seq: 3, stage: 'deliver:erp', status: 'FAILED', attempt: 1, at, detail: 'text/xml', payload: soap, error },
    ],
  };
}

function expectNoSecret(value: unknown, where: string): void {
  const text = JSON.stringify(value);
  for (const [name, secret] of Object.entries(SECRETS)) expect(text, `${name} in ${where}`).not.to.contain(secret);
}

describe('what the admin API shows is masked (src/admin/admin-views, admin-masking)', () => {
  it('a message: its payload by path, every stage payload (renamed fields too, JSON and XML), errors, headers; the rest stays readable', () => {
    const shown = messageView(record(), [], true, masker);
    expectNoSecret(shown, 'the message view');
    expect(JSON.parse(shown.payload)).to.deep.equal({ orderId: 'SO-7', cardNumber: '****', customer: { email: '****', password: '****' } });
    expect(shown.prettyPayload).to.contain('"orderId": "SO-7"');
    expect(shown.stages[1]?.payload).to.equal('{"ORDER_NO":"SO-7","CARD_NO":"****","MAIL":"****"}');
    expect(shown.stages[2]?.payload).to.equal('<CreateSalesOrder><ORDER_NO>SO-7</ORDER_NO><MAIL>****</MAIL><PASS>****</PASS></CreateSalesOrder>');
    expect(shown.stages[2]?.error).to.deep.include({ code: 'JCT_ENDPOINT_REJECTED', message: 'ERP refused customer **** (card ****)' });
    expect(shown.lastError?.violations).to.deep.equal([{ path: '/MAIL', message: '**** is blocked' }]);
    expect(shown.headers).to.deep.equal({ authorization: '****', 'x-note': 'for ****' });
    expect(shown).to.deep.include({ failedStage: 'deliver:erp', businessKey: 'SO-7' });
  });

  it('summaries, failure groups and audit entries: errors and free text masked by name and card-number shape', () => {
    const { lastError } = summaryView({ ...record(), lastError: { code: 'JCT_ENDPOINT_REJECTED', message: `card ${SECRETS.card} "password": "x1y2z3"`, retryable: false } }, masker);
    expect(lastError?.message).to.equal('card ****1111 "password": "****"');
    const group = groupView({ routeId: 'r', errorGroup: 'g', errorCode: 'JCT_ENDPOINT_REJECTED', message: `<password>${SECRETS.password}</password>`, count: 1,
      firstReceivedAt: new Date(), lastReceivedAt: new Date(), sampleId: 'x' }, masker);
    expect(group.message).to.equal('<password>****</password>');
    const entry = auditView({ seq: 1, at: new Date(), actor: 'a', role: 'operator', action: 'replay', reason: `card ${SECRETS.card}`,
      detail: { payloadDiff: `- "password": "${SECRETS.password}"`, nested: [{ text: `"email": "${SECRETS.email}"` }] } }, masker);
    expectNoSecret(entry, 'the audit entry');
  });

  it('ViewMasking scrubs the values a message holds at masked paths wherever they appear, and widens with more bodies', () => {
    const view = ViewMasking.of(masker, bodiesOf(record()));
    expect(view.text(`a log of ${SECRETS.password} and ${SECRETS.email}`)).to.equal('a log of **** and ****');
    const edited = ViewMasking.of(masker).with([{ text: '{"password":"another-one"}', contentType: JSON_TYPE }]);
    expect(edited.payload('<x>another-one</x>', 'application/xml')).to.equal('<x>****</x>');
  });
});

describe('an edited replay built from a masked view (src/admin/masked-edit)', () => {
  const base = { text: record().payload, contentType: JSON_TYPE };

  function refusal(edited: string): JunctionError {
    try {
      checkMaskedEdit(masker, { text: edited, contentType: JSON_TYPE }, base);
    } catch (error) {
      return error as JunctionError;
    }
    throw new Error('expected a refusal');
  }

  it('is refused (422) while it holds the mask where the original holds a value, naming each masked field', () => {
    const copied = masker.maskPayload(base.text, JSON_TYPE).replace('SO-7', 'SO-8');
    const error = refusal(copied);
    expect([error.code, error.httpStatus]).to.deep.equal(['JCT_REPLAY_PAYLOAD_MASKED', 422]);
    expect(error.violations.map((v) => v.path)).to.deep.equal(['/cardNumber', '/customer/email', '/customer/password']);
    expect(error.message).to.contain('copied from a masked view');
    expectNoSecret(error.toJSON(), 'the refusal');
    // A card number masked by its shape elsewhere (`****1111`) is refused too, for the payload as a whole.
    const shape = refusal(JSON.stringify({ ...JSON.parse(base.text), note: 'card ****1111' }));
    expect(shape.violations).to.deep.equal([{ path: '', message: 'holds the mask "****" 1 more time(s) than the payload it replaces' }]);
  });

  it('passes with real values, and with a mask the original itself holds', () => {
    const real = JSON.stringify({ ...JSON.parse(base.text), orderId: 'SO-8', cardNumber: '5555555555554444' });
    expect(() => checkMaskedEdit(masker, { text: real, contentType: JSON_TYPE }, base)).not.to.throw();
    const starred = { text: '{"password":"****","x":1}', contentType: JSON_TYPE };
    expect(() => checkMaskedEdit(masker, { text: '{"password":"****","x":2}', contentType: JSON_TYPE }, starred)).not.to.throw();
  });

  it('names the masked fields an edit changed, never their values', () => {
    const real = JSON.stringify({ orderId: 'SO-8', cardNumber: '5555555555554444', customer: { email: SECRETS.email } });
    expect(checkMaskedEdit(masker, { text: real, contentType: JSON_TYPE }, base)).to.deep.equal(['/cardNumber', '/customer/password']);
  });
});
