import { expect } from 'chai';
import { announcedWaitMs, holdDetail, recoveredDetail, retryDetail } from '../../../src/routes/announced-wait';

describe('announced waits (the detail of retry and held stages)', () => {
  it('reads back the wait a retry or hold announced', () => {
    expect(announcedWaitMs(retryDetail(2, 4, 437, 'deliver:oa'))).to.equal(437);
    expect(announcedWaitMs(retryDetail(3, 5, 1, 'step:map (after all)'))).to.equal(1);
    expect(announcedWaitMs(holdDetail('oa', 1180))).to.equal(1180);
    expect(announcedWaitMs(holdDetail('odd name; waiting 5 ms', 90000))).to.equal(90000);
    expect(announcedWaitMs(recoveredDetail(new Date('2026-12-04T04:00:00Z'), 3)), 'a new copy: no wait').to.equal(0);
    expect(announcedWaitMs('its copy on the bus (due 2026-12-04T04:00:00.000Z) was lost; published again by the recovery sweep'), 'as written before it named the attempt').to.equal(0);
  });

  it('says nothing of any other text', () => {
    for (const detail of [undefined, '', 'redelivered', 'in 300 ms', 'attempt 2 of 4 in ms (after x failed)', 'published by the recovery sweep']) {
      expect(announcedWaitMs(detail), String(detail)).to.equal(undefined);
    }
  });
});
