/**
 * Where one-time values (WS-Security nonces) are remembered, so a captured request cannot be
 * sent again. Shared by every gateway process when it is the transaction log's database (a
 * replay to another gateway behind the load balancer is caught too); in memory for one process.
 * Every implementation passes test/contract/nonce-store.contract.ts.
 */
export interface NonceStore {
  /**
   * Records `key` until `expiresAt`. Resolves false when `key` is already recorded and has not
   * expired at `now` (a replay); true when it is new (or its earlier record has expired). Of
   * concurrent calls with one key, exactly one resolves true.
   */
  rememberNonce(key: string, expiresAt: Date, now: Date): Promise<boolean>;
}

/** True when `value` offers {@link NonceStore.rememberNonce} (the TypeORM log does). */
export function isNonceStore(value: unknown): value is NonceStore {
  return typeof value === 'object' && value !== null && typeof (value as { rememberNonce?: unknown }).rememberNonce === 'function';
}
