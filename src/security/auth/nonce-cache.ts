import type { NonceStore } from '../../core/nonce-store';

/**
 * The in-memory {@link NonceStore}: for a single process (and tests). Bounded: when full, the
 * oldest entry is forgotten first and `onEvict` is told, so an operator can raise the size.
 * Several gateway processes need the shared store (the transaction log's database) instead.
 */
export class NonceCache implements NonceStore {
  private readonly seen = new Map<string, number>();

  constructor(private readonly maxEntries: number, private readonly onEvict: () => void = () => undefined) {}

  async rememberNonce(key: string, expiresAt: Date, now: Date): Promise<boolean> {
    return this.remember(key, expiresAt.getTime(), now.getTime());
  }

  /** Synchronous form of {@link rememberNonce}, in epoch milliseconds. */
  remember(key: string, expiresAt: number, now: number): boolean {
    this.expire(now);
    const until = this.seen.get(key);
    if (until !== undefined && until > now) return false;
    this.seen.delete(key);
    if (this.seen.size >= this.maxEntries) {
      const oldest = this.seen.keys().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
      this.onEvict();
    }
    this.seen.set(key, expiresAt);
    return true;
  }

  /** Entries held now (for tests and metrics). */
  get size(): number {
    return this.seen.size;
  }

  private expire(now: number): void {
    // Entries are added with one window for all, so the oldest expire first: stop at the first live one.
    for (const [key, expiresAt] of this.seen) {
      if (expiresAt > now) break;
      this.seen.delete(key);
    }
  }
}
