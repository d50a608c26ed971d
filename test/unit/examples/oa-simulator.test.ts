import { expect } from 'chai';
import { OaSimulator, BehaviourValidationError } from '../../../examples/legacy/oa/oa-simulator.js';
import { warningsDuring } from '../../support/warnings';

const XML = 'application/xml';

function approvalXml(fields: Partial<Record<'orderId' | 'customerId' | 'amount' | 'currency', string>> = {}): string {
  const all = { orderId: 'ORD-1', customerId: 'CUST-7', amount: '250.00', currency: 'EUR', ...fields };
  const inner = Object.entries(all).map(([k, v]) => `<${k}>${v}</${k}>`).join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<approvalRequest>${inner}</approvalRequest>`;
}

/** Extracts the text of the first <tag> in an XML string. */
function tag(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
}

describe('OaSimulator (examples/legacy/oa)', function () {
  let sim: OaSimulator;
  let url: string;

  beforeEach(async function () {
    sim = new OaSimulator();
    url = await sim.start();
  });

  afterEach(async function () {
    await sim.close();
  });

  function post(body: string, opts: { messageId?: string | null; contentType?: string; signal?: AbortSignal } = {}): Promise<Response> {
    const headers: Record<string, string> = { 'content-type': opts.contentType ?? XML };
    const messageId = opts.messageId === undefined ? 'msg-1' : opts.messageId;
    if (messageId !== null) headers['x-junction-message-id'] = messageId;
    return fetch(`${url}/oa/approvals`, { method: 'POST', headers, body, ...(opts.signal ? { signal: opts.signal } : {}) });
  }

  async function expectError(res: Response, status: number, code: string): Promise<string> {
    const text = await res.text();
    expect(res.status, text).to.equal(status);
    expect(res.headers.get('content-type')).to.match(/^application\/xml/);
    expect(tag(text, 'code')).to.equal(code);
    return text;
  }

  describe('lifecycle', function () {
    it('does no I/O before start() and resolves a base URL with the real port', async function () {
      const idle = new OaSimulator({ port: 0 });
      expect(() => idle.url).to.throw(/not started/);
      expect(url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(url).to.not.match(/:0$/);
      expect(sim.url).to.equal(url);
      const res = await fetch(`${url}/healthz`);
      expect(res.status).to.equal(200);
      expect(await res.json()).to.deep.equal({ status: 'ok' });
    });

    it('close() drops keep-alive connections promptly and stops answering', async function () {
      expect((await post(approvalXml())).status).to.equal(200); // leaves a keep-alive socket open
      const started = Date.now();
      await sim.close();
      expect(Date.now() - started).to.be.below(1000);
      let failed = false;
      await fetch(`${url}/healthz`).catch(() => { failed = true; });
      expect(failed).to.equal(true);
    });
  });

  describe('POST /oa/approvals', function () {
    it('records an accepted request and answers an approvalResponse', async function () {
      const body = approvalXml({ orderId: 'ORD-42' });
      const res = await post(body, { messageId: 'msg-42' });
      const text = await res.text();
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.equal('application/xml; charset=utf-8');
      expect(text).to.equal('<approvalResponse><approvalId>OA-1</approvalId><orderId>ORD-42</orderId><status>PENDING</status></approvalResponse>');

      const [receipt, ...rest] = sim.receipts();
      expect(rest).to.have.length(0);
      expect(receipt).to.include({ messageId: 'msg-42', body, approvalId: 'OA-1' });
      expect(Date.parse(receipt?.receivedAt ?? '')).to.be.closeTo(Date.now(), 5000);
      expect(receipt?.fields).to.deep.equal({ orderId: 'ORD-42', customerId: 'CUST-7', amount: '250.00', currency: 'EUR' });
      expect(sim.stats()).to.deep.equal({ received: 1, distinct: 1, duplicates: [], attempts: 1, deduplicated: 0 });
    });

    it('keeps the amount "250.00" exact (no number parsing) and the body byte for byte', async function () {
      const body = approvalXml({ amount: '250.00', customerId: '007' });
      expect((await post(body)).status).to.equal(200);
      const receipt = sim.receipts()[0];
      expect(receipt?.fields.amount).to.equal('250.00');
      expect(receipt?.fields.customerId).to.equal('007');
      expect(receipt?.body).to.equal(body);
    });

    it('decodes entities in fields and re-escapes the echoed orderId', async function () {
      const res = await post(approvalXml({ orderId: 'A&amp;B&lt;1&gt;' }));
      const text = await res.text();
      expect(res.status).to.equal(200);
      expect(text).to.contain('<orderId>A&amp;B&lt;1&gt;</orderId>');
      expect(sim.receipts()[0]?.fields.orderId).to.equal('A&B<1>');
    });

    it('accepts text/xml with a charset', async function () {
      expect((await post(approvalXml(), { contentType: 'text/xml; charset=UTF-8' })).status).to.equal(200);
    });

    it('answers 415 to non-XML content types and records nothing', async function () {
      await expectError(await post('{"orderId":"1"}', { contentType: 'application/json' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
      await expectError(await post(approvalXml(), { contentType: 'text/plain' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
      expect(sim.receipts()).to.have.length(0);
      expect(sim.stats().attempts).to.equal(2);
    });

    it('answers 413 to a body over 1 MB', async function () {
      const huge = approvalXml({ orderId: 'x'.repeat(1024 * 1024) });
      await expectError(await post(huge), 413, 'PAYLOAD_TOO_LARGE');
      expect(sim.receipts()).to.have.length(0);
    });

    it('answers 400 MALFORMED_XML with the line and column', async function () {
      const text = await expectError(await post('<approvalRequest>\n<orderId>1</orderI>\n</approvalRequest>'), 400, 'MALFORMED_XML');
      expect(tag(text, 'message')).to.match(/line 2, col \d+/);
      await expectError(await post(''), 400, 'MALFORMED_XML');
      expect(sim.receipts()).to.have.length(0);
    });

    it('rejects a DOCTYPE (no entity expansion)', async function () {
      const body = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x "boom">]>'
        + '<approvalRequest><orderId>&x;</orderId><customerId>C</customerId><amount>1</amount><currency>EUR</currency></approvalRequest>';
      await expectError(await post(body), 400, 'DOCTYPE_NOT_ALLOWED');
      expect(sim.receipts()).to.have.length(0);
    });

    it('lists the missing required fields', async function () {
      const body = '<approvalRequest><orderId>1</orderId><amount>5.00</amount><currency></currency></approvalRequest>';
      const text = await expectError(await post(body), 400, 'MISSING_FIELDS');
      expect(text).to.contain('<fields><field>customerId</field><field>currency</field></fields>');
      expect(tag(text, 'message')).to.equal('missing or empty required fields: customerId, currency');
    });

    it('rejects repeated or nested required fields', async function () {
      const body = approvalXml({ amount: '1</amount><amount>2' });
      const text = await expectError(await post(body), 400, 'INVALID_FIELDS');
      expect(text).to.contain('<field>amount</field>');
    });

    it('rejects a different or an extra root element', async function () {
      await expectError(await post('<order><orderId>1</orderId></order>'), 400, 'UNEXPECTED_ROOT');
      await expectError(await post(`${approvalXml()}<approvalRequest/>`), 400, 'UNEXPECTED_ROOT');
    });

    it('requires the X-Junction-Message-Id header', async function () {
      await expectError(await post(approvalXml(), { messageId: null }), 400, 'MISSING_MESSAGE_ID');
      await expectError(await post(approvalXml(), { messageId: '   ' }), 400, 'MISSING_MESSAGE_ID');
      expect(sim.receipts()).to.have.length(0);
    });

    it('counts duplicated deliveries by message id, each with a new approval id', async function () {
      for (const id of ['m-1', 'm-2', 'm-1', 'm-3', 'm-1', 'm-2']) {
        expect((await post(approvalXml(), { messageId: id })).status).to.equal(200);
      }
      expect(sim.stats()).to.deep.equal({ received: 6, distinct: 3, duplicates: ['m-1', 'm-2'], attempts: 6, deduplicated: 0 });
      expect(sim.receipts().map((r) => r.approvalId)).to.deep.equal(['OA-1', 'OA-2', 'OA-3', 'OA-4', 'OA-5', 'OA-6']);
    });
  });

  describe('behaviour', function () {
    it('failNext fails the next N requests with 500, then recovers', async function () {
      sim.setBehaviour({ failNext: 2 });
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await post(approvalXml(), { messageId: `m-${i}` })).status);
      expect(statuses).to.deep.equal([500, 500, 200, 200]);
      expect(sim.receipts().map((r) => r.messageId)).to.deep.equal(['m-2', 'm-3']);
      expect(sim.stats()).to.include({ received: 2, attempts: 4 });
      expect(sim.getBehaviour()).to.include({ failNext: 0, failStatus: null });
    });

    it('failNext with failStatus uses that status and then clears it', async function () {
      sim.setBehaviour({ failStatus: 503, failNext: 1 });
      await expectError(await post(approvalXml()), 503, 'SIMULATED_FAILURE');
      expect((await post(approvalXml())).status).to.equal(200);
    });

    it('failStatus fails every request until cleared, applying nothing', async function () {
      sim.setBehaviour({ failStatus: 503 });
      for (let i = 0; i < 3; i++) await expectError(await post(approvalXml()), 503, 'SIMULATED_FAILURE');
      expect(sim.stats()).to.deep.equal({ received: 0, distinct: 0, duplicates: [], attempts: 3, deduplicated: 0 });
      sim.setBehaviour({ failStatus: null });
      expect((await post(approvalXml())).status).to.equal(200);
    });

    it('delayMs delays the answer', async function () {
      sim.setBehaviour({ delayMs: 200 });
      const started = Date.now();
      const res = await post(approvalXml());
      expect(res.status).to.equal(200);
      expect(Date.now() - started).to.be.at.least(195);
      expect(sim.receipts()).to.have.length(1);
    });

    it('delays twenty requests at once without a MaxListenersExceededWarning (they pause on one signal)', async function () {
      sim.setBehaviour({ delayMs: 100 });
      const warnings = await warningsDuring(async () => {
        const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => post(approvalXml({ orderId: `ORD-${i}` }), { messageId: `many-${i}` })));
        expect(answers.map((r) => r.status)).to.deep.equal(Array.from({ length: 20 }, () => 200));
      });
      expect(warnings).to.deep.equal([]);
    });

    it('delayMs does not apply a request whose client gave up', async function () {
      sim.setBehaviour({ delayMs: 250 });
      let error: unknown;
      await post(approvalXml(), { signal: AbortSignal.timeout(50) }).catch((err: unknown) => { error = err; });
      expect(error).to.be.instanceOf(Error);
      await new Promise((resolve) => setTimeout(resolve, 350));
      expect(sim.stats()).to.deep.equal({ received: 0, distinct: 0, duplicates: [], attempts: 1, deduplicated: 0 });
    });

    it('applyThenDelayMs records the message, then answers late', async function () {
      sim.setBehaviour({ applyThenDelayMs: 400 });
      const started = Date.now();
      const pending = post(approvalXml(), { messageId: 'late-1' });
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(sim.receipts().map((r) => r.messageId)).to.deep.equal(['late-1']); // applied before the answer
      const res = await pending;
      expect(res.status).to.equal(200);
      expect(Date.now() - started).to.be.at.least(395);
    });

    it('applyThenDelayMs applies even when the client times out (the duplicate-maker)', async function () {
      sim.setBehaviour({ applyThenDelayMs: 300 });
      let error: unknown;
      await post(approvalXml(), { messageId: 'x', signal: AbortSignal.timeout(50) }).catch((err: unknown) => { error = err; });
      expect(error).to.be.instanceOf(Error);
      sim.setBehaviour({ applyThenDelayMs: 0 });
      expect((await post(approvalXml(), { messageId: 'x' })).status).to.equal(200); // the retry
      expect(sim.stats()).to.deep.equal({ received: 2, distinct: 1, duplicates: ['x'], attempts: 2, deduplicated: 0 });
    });

    it('dedupeById answers a repeated message id with the first answer and applies it once', async function () {
      sim.setBehaviour({ dedupeById: true, applyThenDelayMs: 300 });
      await post(approvalXml(), { messageId: 'y', signal: AbortSignal.timeout(50) }).catch(() => undefined);
      sim.setBehaviour({ applyThenDelayMs: 0 });
      const again = await post(approvalXml(), { messageId: 'y' });
      expect(again.status).to.equal(200);
      expect(await again.text()).to.contain(`<approvalId>${String(sim.receipts()[0]?.approvalId)}</approvalId>`);
      expect(sim.stats()).to.deep.equal({ received: 1, distinct: 1, duplicates: [], attempts: 2, deduplicated: 1 });
    });

    it('down destroys the socket without an answer', async function () {
      sim.setBehaviour({ down: true });
      let error: unknown;
      await post(approvalXml()).catch((err: unknown) => { error = err; });
      expect(error).to.be.instanceOf(TypeError); // fetch failed
      expect(sim.stats()).to.deep.equal({ received: 0, distinct: 0, duplicates: [], attempts: 1, deduplicated: 0 });
      sim.setBehaviour({ down: false });
      expect((await post(approvalXml())).status).to.equal(200);
    });

    it('setBehaviour validates its argument and leaves the behaviour unchanged on error', function () {
      sim.setBehaviour({ delayMs: 10 });
      expect(() => sim.setBehaviour({ failStatus: 200 })).to.throw(BehaviourValidationError, /failStatus/);
      expect(() => sim.setBehaviour({ failNext: -1 })).to.throw(BehaviourValidationError, /failNext/);
      expect(() => sim.setBehaviour({ delayMs: 1.5 })).to.throw(BehaviourValidationError, /delayMs/);
      expect(() => sim.setBehaviour({ bogus: true } as never)).to.throw(BehaviourValidationError, /unknown key "bogus"/);
      expect(sim.getBehaviour()).to.deep.equal({ failStatus: null, failNext: 0, delayMs: 10, applyThenDelayMs: 0, down: false, dedupeById: false });
    });

    it('reset() clears behaviour and records but never reuses approval ids', async function () {
      await post(approvalXml(), { messageId: 'a' });
      await post(approvalXml(), { messageId: 'a' });
      sim.setBehaviour({ failStatus: 500, delayMs: 5 });
      sim.reset();
      expect(sim.stats()).to.deep.equal({ received: 0, distinct: 0, duplicates: [], attempts: 0, deduplicated: 0 });
      expect(sim.receipts()).to.have.length(0);
      const text = await (await post(approvalXml(), { messageId: 'a' })).text();
      expect(tag(text, 'approvalId')).to.equal('OA-3');
      expect(sim.stats()).to.deep.equal({ received: 1, distinct: 1, duplicates: [], attempts: 1, deduplicated: 0 });
    });
  });

  describe('control API over HTTP', function () {
    function putBehaviour(body: string, contentType = 'application/json'): Promise<Response> {
      return fetch(`${url}/_sim/behaviour`, { method: 'PUT', headers: { 'content-type': contentType }, body });
    }

    it('PUT /_sim/behaviour applies a valid partial behaviour and returns the whole', async function () {
      const res = await putBehaviour(JSON.stringify({ failStatus: 502 }));
      expect(res.status).to.equal(200);
      expect(await res.json()).to.deep.equal({ failStatus: 502, failNext: 0, delayMs: 0, applyThenDelayMs: 0, down: false, dedupeById: false });
      await expectError(await post(approvalXml()), 502, 'SIMULATED_FAILURE');
    });

    it('PUT /_sim/behaviour rejects unknown keys, wrong types, non-objects and non-JSON', async function () {
      const cases: Array<[string, string, number]> = [
        ['{"failNxt":1}', 'application/json', 400],
        ['{"down":"yes"}', 'application/json', 400],
        ['{"delayMs":"100"}', 'application/json', 400],
        ['{"failStatus":302}', 'application/json', 400],
        ['[1,2]', 'application/json', 400],
        ['{oops', 'application/json', 400],
        ['down=true', 'application/x-www-form-urlencoded', 415],
      ];
      for (const [body, type, status] of cases) {
        const res = await putBehaviour(body, type);
        expect(res.status, body).to.equal(status);
        const json: unknown = await res.json();
        expect(json, body).to.have.property('error').that.is.a('string');
      }
      const bad = await (await putBehaviour('{"failNxt":1,"down":1}')).json();
      expect(bad).to.have.property('problems').that.deep.equals(['unknown key "failNxt"', 'down must be a boolean']);
      expect(sim.getBehaviour()).to.deep.equal({ failStatus: null, failNext: 0, delayMs: 0, applyThenDelayMs: 0, down: false, dedupeById: false });
    });

    it('GET /_sim/stats and /_sim/receipts report, POST /_sim/reset clears', async function () {
      await post(approvalXml(), { messageId: 'd' });
      await post(approvalXml(), { messageId: 'd' });
      await putBehaviour('{"down":true}');

      const stats = await (await fetch(`${url}/_sim/stats`)).json();
      expect(stats).to.deep.equal({ received: 2, distinct: 1, duplicates: ['d'], attempts: 2, deduplicated: 0 });
      const receipts: unknown = await (await fetch(`${url}/_sim/receipts`)).json();
      expect(receipts).to.be.an('array').with.length(2);
      expect(receipts).to.have.nested.property('[1].approvalId', 'OA-2');
      expect(receipts).to.have.nested.property('[1].fields.amount', '250.00');

      const reset = await fetch(`${url}/_sim/reset`, { method: 'POST' });
      expect(reset.status).to.equal(204);
      expect(sim.stats()).to.deep.equal({ received: 0, distinct: 0, duplicates: [], attempts: 0, deduplicated: 0 });
      expect(sim.getBehaviour().down).to.equal(false);
    });

    it('answers 404 to unknown routes and 405 to other methods on /oa/approvals', async function () {
      expect((await fetch(`${url}/_sim/nope`)).status).to.equal(404);
      const res = await fetch(`${url}/oa/approvals`);
      expect(res.status).to.equal(405);
      expect(res.headers.get('allow')).to.equal('POST');
      expect(sim.stats().attempts).to.equal(0);
    });
  });
});
