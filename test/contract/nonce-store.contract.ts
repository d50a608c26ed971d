import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { NonceStore } from '../../src/core/nonce-store';

/** A started store and how to clean it up. */
export interface NonceStoreFixture {
  readonly store: NonceStore;
  cleanup(): Promise<void>;
}

/** What every NonceStore must do (core/nonce-store.ts). */
export function nonceStoreContract(name: string, open: () => Promise<NonceStoreFixture>): void {
  describe(`NonceStore contract: ${name}`, function () {
    this.timeout(30_000);
    let fixture: NonceStoreFixture;
    beforeEach(async () => { fixture = await open(); });
    afterEach(async () => { await fixture.cleanup(); });
    const key = (): string => randomBytes(32).toString('hex');
    const at = (ms: number): Date => new Date(Date.UTC(2026, 10, 20, 10, 0, 0) + ms);

    it('accepts a key once while it lives, again once it has expired', async () => {
      const k = key();
      expect(await fixture.store.rememberNonce(k, at(300_000), at(0))).to.equal(true);
      expect(await fixture.store.rememberNonce(k, at(300_000), at(1000))).to.equal(false);
      expect(await fixture.store.rememberNonce(k, at(301_000), at(299_999))).to.equal(false);
      expect(await fixture.store.rememberNonce(k, at(600_000), at(300_000))).to.equal(true);
      expect(await fixture.store.rememberNonce(k, at(600_000), at(300_001))).to.equal(false);
      expect(await fixture.store.rememberNonce(key(), at(300_000), at(1000))).to.equal(true);
    });

    it('of 20 concurrent calls with one key, exactly one is accepted (a replay raced to several gateways)', async () => {
      const k = key();
      const results = await Promise.all(Array.from({ length: 20 }, () => fixture.store.rememberNonce(k, at(300_000), at(0))));
      expect(results.filter(Boolean)).to.have.length(1);
    });

    it('of 20 concurrent calls taking over one expired key, exactly one is accepted', async () => {
      const k = key();
      await fixture.store.rememberNonce(k, at(1000), at(0));
      const results = await Promise.all(Array.from({ length: 20 }, () => fixture.store.rememberNonce(k, at(400_000), at(2000))));
      expect(results.filter(Boolean)).to.have.length(1);
    });
  });
}
