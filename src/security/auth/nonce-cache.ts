/**
 * Remembers nonces until they expire, so a captured WS-Security header cannot be sent again:
 * a nonce is kept for as long as its Created time is acceptable, after which the window check
 * refuses the header anyway. Bounded: when full, the oldest entry is forgotten first (and
 * `onEvict` is told, so an operator can raise the size).
 */
export class NonceCache {
  private readonly seen = new Map<string, number>();

  constructor(private readonly ttlMs: number, private readonly maxEntries: number, private readonly onEvict: () => void = () => undefined) {}

  /** Records `nonce` at `now`; false when it was already recorded and has not expired (a replay). */
  remember(nonce: string, now: number): boolean {
    this.expire(now);
    if (this.seen.has(nonce)) return false;
    if (this.seen.size >= this.maxEntries) {
      const oldest = this.seen.keys().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
      this.onEvict();
    }
    this.seen.set(nonce, now + this.ttlMs);
    return true;
  }

  /** Entries held now (for tests and metrics). */
  get size(): number {
    return this.seen.size;
  }

  private expire(now: number): void {
    // Insertion order is expiry order (one TTL for all), so expired entries are at the front.
    for (const [nonce, expiresAt] of this.seen) {
      if (expiresAt > now) break;
      this.seen.delete(nonce);
    }
  }
}
