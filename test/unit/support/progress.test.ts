import { expect } from 'chai';
import { StalledError, untilDone } from '../../support/progress';

describe('untilDone (waiting on work that moves, test support)', () => {
  it('resolves with the probe\'s value once there is one', async () => {
    let polls = 0;
    const value = await untilDone(async () => (++polls >= 3 ? 'done' : undefined), () => String(polls), { what: 'three polls', stallMs: 1000, everyMs: 1 });
    expect(value).to.equal('done');
    expect(polls).to.equal(3);
  });

  it('waits longer than stallMs in total while the work keeps moving', async () => {
    const started = Date.now();
    let moved = 0;
    const waited = await untilDone(async () => (Date.now() - started >= 150 ? Date.now() - started : undefined), () => String(++moved),
      { what: 'slow work', stallMs: 40, everyMs: 5 });
    expect(waited).to.be.at.least(150);
  });

  it('fails with StalledError once nothing has moved for stallMs, naming the work and its last state', async () => {
    const started = Date.now();
    const error: unknown = await untilDone(async () => undefined, () => '7 half-way', { what: 'stuck work', stallMs: 50, everyMs: 5 })
      .then(() => undefined, (e: unknown) => e);
    expect(error).to.be.instanceOf(StalledError);
    expect((error as StalledError).message).to.equal('stuck work: no progress for 50 ms (last seen: 7 half-way)');
    expect(Date.now() - started).to.be.at.least(50);
  });

  it('ends at once when the probe throws', async () => {
    const error: unknown = await untilDone(async () => { throw new Error('the worker exited'); }, () => '', { what: 'x', stallMs: 10_000 })
      .then(() => undefined, (e: unknown) => e);
    expect((error as Error).message).to.equal('the worker exited');
  });
});
