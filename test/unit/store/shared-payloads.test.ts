import { expect } from 'chai';
import type { StageEvent } from '../../../src/core/transaction-log';
import { RECEIVED_PAYLOAD, sharePayloads, storedPayloads } from '../../../src/store/typeorm/shared-payloads';

const stage = (name: string, payload?: string, attempt = 1): StageEvent =>
  ({ stage: name, status: 'PROCESSING', attempt, ...(payload !== undefined ? { payload } : {}) });

describe('shared stage payloads (store/typeorm/shared-payloads)', () => {
  it('leaves out a payload equal to the previous one of the same attempt and names that stage', () => {
    const xml = '<o>1</o>';
    const shared = sharePayloads([stage('step:map', '{"a":1}'), stage('step:xml', xml), stage('route'), stage('deliver:erp', `<o>${1}</o>`)]);
    expect(shared.map((s) => [s.event.stage, s.event.payload, s.payloadOf])).to.deep.equal([
      ['step:map', '{"a":1}', undefined], ['step:xml', xml, undefined], ['route', undefined, undefined], ['deliver:erp', undefined, 'step:xml'],
    ]);
    expect(shared[3]!.event).not.to.have.property('payload');
  });

  it('chains point to the nearest earlier stage; another attempt or another text is written out', () => {
    const shared = sharePayloads([stage('a', 'x'), stage('b', 'x'), stage('c', 'x'), stage('d', 'x', 2), stage('e', 'y', 2), stage('f', '', 2), stage('g', '', 2)]);
    expect(shared.map((s) => s.payloadOf)).to.deep.equal([undefined, 'a', 'b', undefined, undefined, undefined, 'f']);
  });

  it('resolves references in seq order to the latest earlier stage of that name and attempt', () => {
    const row = (stage: string, payload: string | null, payloadOf: string | null = null, attempt = 1) => ({ stage, attempt, payload, payloadOf });
    expect(storedPayloads([
      row('step:xml', 'one'), row('deliver', null, 'step:xml'), row('step:xml', 'two'), row('check', null, 'step:xml'),
      row('deliver', null, 'check'), row('step:xml', 'three', null, 2), row('late', null, 'step:xml'), row('plain', null),
      row('lost', null, 'never-written'),
    ])).to.deep.equal(['one', 'one', 'two', 'two', 'two', 'three', 'two', null, null].map((p) => (p === null ? null : { stage: p })));
  });

  it('finds the stage a reference names even if the database numbered it after the reference', () => {
    const row = (stage: string, payload: string | null, payloadOf: string | null = null, attempt = 1) => ({ stage, attempt, payload, payloadOf });
    expect(storedPayloads([row('deliver', null, 'step:xml'), row('step:xml', 'x'), row('other', null, 'step:xml', 2), row('step:xml', 'y', null, 2)]))
      .to.deep.equal(['x', 'x', 'y', 'y'].map((p) => ({ stage: p })));
  });

  it('a payload equal to the received body refers to the message\'s own payload, whatever the attempt; an empty one is written out', () => {
    const body = '{"orderId":"o-1"}';
    const shared = sharePayloads([stage('step:check', body), stage('step:branch', body), stage('step:map', '<o/>'), stage('deliver:erp', body, 2),
      stage('step:empty', ''), stage('step:empty2', '')], body);
    expect(shared.map((s) => [s.event.stage, s.event.payload, s.payloadOf])).to.deep.equal([
      ['step:check', undefined, RECEIVED_PAYLOAD], ['step:branch', undefined, RECEIVED_PAYLOAD], ['step:map', '<o/>', undefined],
      ['deliver:erp', undefined, RECEIVED_PAYLOAD], ['step:empty', '', undefined], ['step:empty2', undefined, 'step:empty'],
    ]);
    expect(sharePayloads([stage('a', ''), stage('b', '')], '').map((s) => s.payloadOf)).to.deep.equal([undefined, 'a']);
    expect(sharePayloads([stage('a', body)]).map((s) => s.payloadOf)).to.deep.equal([undefined]);
  });

  it('never names a stage called like the marker: its repeat is written out', () => {
    expect(sharePayloads([stage(RECEIVED_PAYLOAD, 'x'), stage('b', 'x'), stage('c', 'x')]).map((s) => s.payloadOf))
      .to.deep.equal([undefined, undefined, 'b']);
  });

  it('resolves a reference to the received payload, also through a stage that repeats it', () => {
    const row = (stage: string, payload: string | null, payloadOf: string | null = null, attempt = 1) => ({ stage, attempt, payload, payloadOf });
    expect(storedPayloads([
      row('step:check', null, RECEIVED_PAYLOAD), row('deliver', null, 'step:check'), row('step:map', 'm'), row('again', null, RECEIVED_PAYLOAD, 2),
    ])).to.deep.equal(['received', 'received', { stage: 'm' }, 'received']);
  });
});
