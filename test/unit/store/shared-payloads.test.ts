import { expect } from 'chai';
import type { StageEvent } from '../../../src/core/transaction-log';
import { sharePayloads, storedPayloads } from '../../../src/store/typeorm/shared-payloads';

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
    ])).to.deep.equal(['one', 'one', 'two', 'two', 'two', 'three', 'two', null, null]);
  });

  it('finds the stage a reference names even if the database numbered it after the reference', () => {
    const row = (stage: string, payload: string | null, payloadOf: string | null = null, attempt = 1) => ({ stage, attempt, payload, payloadOf });
    expect(storedPayloads([row('deliver', null, 'step:xml'), row('step:xml', 'x'), row('other', null, 'step:xml', 2), row('step:xml', 'y', null, 2)]))
      .to.deep.equal(['x', 'x', 'y', 'y']);
  });
});
