import { expect } from 'chai';
import { createEnvelope, decodeEnvelope, encodeEnvelope, withChanges } from '../../../src/core/envelope';
import { JunctionError } from '../../../src/core/errors';

const ORDER = '{"orderId":"SO-1","amount":250.00,"big":12345678901234567890.123456789}';

describe('envelope', () => {
  it('gets a fresh uuid, attempt 1, its id as correlation id, and the time', () => {
    const now = new Date('2026-11-22T10:00:00.000Z');
    const a = createEnvelope({ routeId: 'r', pattern: 'one-way', source: 'test', contentType: 'application/json', body: ORDER }, now);
    const b = createEnvelope({ routeId: 'r', pattern: 'one-way', source: 'test', contentType: 'application/json', body: ORDER }, now);
    expect(a.id).to.match(/^[0-9a-f-]{36}$/);
    expect(a.id).to.not.equal(b.id);
    expect(a.correlationId).to.equal(a.id);
    expect(a.attempt).to.equal(1);
    expect(a.receivedAt).to.equal('2026-11-22T10:00:00.000Z');
    expect(Object.isFrozen(a)).to.equal(true);
  });

  it('keeps a given correlation id, business key and replayOf', () => {
    const e = createEnvelope({ routeId: 'r', pattern: 'request-reply', source: 's', contentType: 'text/plain', body: '', correlationId: 'c-1', businessKey: 'SO-1', replayOf: 'x' });
    expect([e.correlationId, e.businessKey, e.replayOf]).to.deep.equal(['c-1', 'SO-1', 'x']);
  });

  it('survives the wire form byte for byte, decimals and unicode included', () => {
    const e = createEnvelope({ routeId: 'r', pattern: 'one-way', source: 's', contentType: 'application/json', body: `${ORDER} Grüße 注文 🚚`, headers: { 'path.id': '7' } });
    const back = decodeEnvelope(encodeEnvelope(e));
    expect(back).to.deep.equal(e);
    expect(back.body).to.contain('250.00').and.contain('12345678901234567890.123456789');
  });

  it('withChanges returns a new frozen envelope with the same id', () => {
    const e = createEnvelope({ routeId: 'r', pattern: 'one-way', source: 's', contentType: 'application/json', body: '{}' });
    const changed = withChanges(e, { body: '<x/>', contentType: 'application/xml' });
    expect(changed.id).to.equal(e.id);
    expect(changed.body).to.equal('<x/>');
    expect(e.body).to.equal('{}');
  });

  for (const [what, wire] of [
    ['not JSON', 'nope'],
    ['not an object', '[1]'],
    ['missing id', JSON.stringify({ correlationId: 'c' })],
    ['bad pattern', JSON.stringify({ id: 'i', correlationId: 'c', routeId: 'r', source: 's', contentType: 't', body: '', receivedAt: 'x', pattern: 'x', attempt: 1, headers: {} })],
    ['bad attempt', JSON.stringify({ id: 'i', correlationId: 'c', routeId: 'r', source: 's', contentType: 't', body: '', receivedAt: 'x', pattern: 'one-way', attempt: 0, headers: {} })],
    ['bad headers', JSON.stringify({ id: 'i', correlationId: 'c', routeId: 'r', source: 's', contentType: 't', body: '', receivedAt: 'x', pattern: 'one-way', attempt: 1, headers: { a: 1 } })],
  ] as const) {
    it(`refuses a wire message that is ${what} with JCT_BUS_MALFORMED_MESSAGE`, () => {
      expect(() => decodeEnvelope(wire)).to.throw(JunctionError).with.property('code', 'JCT_BUS_MALFORMED_MESSAGE');
    });
  }
});
