import { expect } from 'chai';
import { CliStop } from '../../../src/cli/exit-codes';
import { enterSample, parseHeaders, sampleContentType } from '../../../src/cli/sample-message';
import { JunctionError } from '../../../src/core/errors';
import { compilePointer } from '../../../src/core/json-pointer';
import type { CompiledRoute } from '../../../src/routes/compiled-route';
import { thrownBy } from '../../support/thrown';

const stopOf = (fn: () => unknown): CliStop => thrownBy(fn, CliStop);

const route: CompiledRoute = {
  id: 'orders', pattern: 'one-way', replyTimeoutMs: 1000, steps: [], replySteps: [], capture: 'none',
  deliveries: [{ endpoint: 'oa', steps: [] }],
  rest: {
    routeId: 'orders', method: 'POST', path: '/orders/:region', businessKey: compilePointer('/orderId'),
    check: (value) => ((value as { orderId?: unknown }).orderId === undefined ? [{ path: '/orderId', message: 'is required' }] : []),
  },
};

describe('sample messages (src/cli/sample-message)', () => {
  it('takes the content type from the extension, or --content-type; anything else is a usage error (exit 2)', () => {
    expect(sampleContentType('a/b/order.JSON')).to.equal('application/json');
    expect(sampleContentType('order.xml')).to.equal('application/xml');
    expect(sampleContentType('order.txt', 'text/plain; charset=utf-8')).to.equal('text/plain; charset=utf-8');
    expect(stopOf(() => sampleContentType('order.txt')).exitCode).to.equal(2);
    expect(stopOf(() => sampleContentType('order.json', 'json')).message).to.contain('not a media type');
  });

  it('reads --header name=value (names lower-cased, = allowed in values) and refuses malformed ones', () => {
    expect(parseHeaders(['X-Channel=web', 'x-token=a=b', 'empty='])).to.deep.equal({ 'x-channel': 'web', 'x-token': 'a=b', empty: '' });
    expect(stopOf(() => parseHeaders(['novalue'])).exitCode).to.equal(2);
    expect(stopOf(() => parseHeaders(['bad name=1'])).message).to.contain('name=value');
  });

  it('wraps the sample as the REST entry would: source, business key, headers, a new id, attempt 1', () => {
    const { message, checked } = enterSample(route, '{"orderId":"SO-1","amount":250.00}', 'application/json', { 'x-channel': 'web' }, true);
    expect(message).to.include({ routeId: 'orders', pattern: 'one-way', source: 'rest:POST /api/v1/orders/:region', businessKey: 'SO-1', body: '{"orderId":"SO-1","amount":250.00}', attempt: 1 });
    expect(message.headers).to.deep.equal({ 'x-channel': 'web' });
    expect(checked).to.contain('JSON Schema');
  });

  it('refuses what the entry refuses, with the same errors, unless the entry check is off', () => {
    let error: unknown;
    try { enterSample(route, '{"amount":1}', 'application/json', {}, true); } catch (e) { error = e; }
    expect((error as JunctionError).code).to.equal('JCT_VALIDATION_FAILED');
    expect((error as JunctionError).violations).to.deep.equal([{ path: '/orderId', message: 'is required' }]);
    try { enterSample(route, '{"a":', 'application/json', {}, true); } catch (e) { error = e; }
    expect((error as JunctionError).code).to.equal('JCT_REQUEST_MALFORMED');
    expect(enterSample(route, '{"a":', 'application/json', {}, false).checked).to.equal('nothing (--no-entry-check)');
    expect(enterSample(route, '<order/>', 'application/xml', {}, true).message.contentType).to.equal('application/xml');
  });
});
