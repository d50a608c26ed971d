import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { JunctionError } from '../../../src/core/errors';
import type { SoapCall } from '../../../src/gateway/soap/soap-gateway';
import { messageIdKey, soapIdempotencyKey } from '../../../src/gateway/soap-idempotency';

function call(extra: Partial<SoapCall> = {}, soapHeaders: Record<string, string> = {}): SoapCall {
  return { service: 'crm', operation: 'SubmitOrder', oneWay: true, version: '1.1', payload: '{}', soapHeaders, requestId: 'r-1', ...extra };
}

describe('SOAP idempotency keys: where they come from, which wins', () => {
  const MESSAGE_ID = 'urn:uuid:6b29fc40-ca47-1067-b31d-00dd010662da';

  it('takes the HTTP Idempotency-Key header (trimmed), and the IdempotencyKey SOAP header, in either mode', () => {
    for (const mode of ['key', 'messageId'] as const) {
      expect(soapIdempotencyKey(call({ idempotencyKeyHeader: '  K-1 ' }), mode)).to.equal('K-1');
      expect(soapIdempotencyKey(call({}, { IdempotencyKey: 'K-2' }), mode)).to.equal('K-2');
      expect(soapIdempotencyKey(call(), mode)).to.equal(undefined);
    }
  });

  it('the same key in both headers is fine; two different keys are refused, naming both', () => {
    expect(soapIdempotencyKey(call({ idempotencyKeyHeader: 'K-1' }, { IdempotencyKey: 'K-1' }), 'key')).to.equal('K-1');
    expect(() => soapIdempotencyKey(call({ idempotencyKeyHeader: 'K-1' }, { IdempotencyKey: 'K-2' }), 'key'))
      .to.throw(JunctionError, /HTTP header \("K-1"\) and the IdempotencyKey SOAP header \("K-2"\) differ/).with.property('code', 'JCT_REQUEST_MALFORMED');
  });

  it('refuses a malformed key with JCT_REQUEST_MALFORMED saying which header and what a key must be', () => {
    for (const bad of ['', '   ', 'two words', 'clé-ü', 'k'.repeat(256), 'a, b']) {
      expect(() => soapIdempotencyKey(call({ idempotencyKeyHeader: bad }), 'key'))
        .to.throw(JunctionError, 'The Idempotency-Key HTTP header must be 1 to 255 visible ASCII characters (a UUID is a good choice).')
        .with.property('code', 'JCT_REQUEST_MALFORMED');
    }
    expect(() => soapIdempotencyKey(call({}, { IdempotencyKey: 'k'.repeat(256) }), 'key'))
      .to.throw(JunctionError, 'The IdempotencyKey SOAP header must be 1 to 255').with.property('code', 'JCT_REQUEST_MALFORMED');
    expect(soapIdempotencyKey(call({ idempotencyKeyHeader: 'k'.repeat(255) }), 'key')).to.have.length(255);
  });

  it('ignores wsa:MessageID unless the service opts in with messageId', () => {
    expect(soapIdempotencyKey(call({ addressingMessageId: MESSAGE_ID }), 'key')).to.equal(undefined);
    expect(soapIdempotencyKey(call({ addressingMessageId: MESSAGE_ID }), 'messageId')).to.equal(MESSAGE_ID);
  });

  it('a key sent on purpose wins over wsa:MessageID', () => {
    expect(soapIdempotencyKey(call({ addressingMessageId: MESSAGE_ID, idempotencyKeyHeader: 'K-1' }), 'messageId')).to.equal('K-1');
    expect(soapIdempotencyKey(call({ addressingMessageId: MESSAGE_ID }, { IdempotencyKey: 'K-2' }), 'messageId')).to.equal('K-2');
  });

  it('the "unspecified" MessageID of either WS-Addressing version names no message: no key', () => {
    for (const unspecified of ['http://www.w3.org/2005/08/addressing/unspecified', 'http://schemas.xmlsoap.org/ws/2004/08/addressing/id/unspecified']) {
      expect(soapIdempotencyKey(call({ addressingMessageId: unspecified }), 'messageId')).to.equal(undefined);
    }
  });

  it('hashes a MessageID that does not fit the key column (longer than 255, non-ASCII, blanks) instead of refusing it', () => {
    const sha = (text: string): string => `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
    for (const id of [`urn:example:${'x'.repeat(300)}`, 'urn:例え:メッセージ-1', 'urn:with space']) {
      const key = soapIdempotencyKey(call({ addressingMessageId: id }), 'messageId');
      expect(key).to.equal(sha(id)).and.to.equal(messageIdKey(id));
      expect(key).to.match(/^sha256:[0-9a-f]{64}$/);
    }
    expect(messageIdKey(`urn:example:${'x'.repeat(300)}`)).to.not.equal(messageIdKey(`urn:example:${'x'.repeat(299)}y`));
    expect(messageIdKey('uuid:42')).to.equal('uuid:42');
  });
});
