import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Compares two secrets in time that depends on neither their content nor their length: both are
 * hashed to 32 bytes first (SHA-256), then compared with `timingSafeEqual`.
 */
export function secretsEqual(a: string | Buffer, b: string | Buffer): boolean {
  const left = createHash('sha256').update(a).digest();
  const right = createHash('sha256').update(b).digest();
  return timingSafeEqual(left, right);
}

/** A throw-away password that unknown users are checked against, so timing does not tell users apart. */
export const DECOY_PASSWORD = 'decoy-password-that-never-matches';
