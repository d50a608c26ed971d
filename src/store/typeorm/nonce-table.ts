import type { EntityManager } from 'typeorm';
import type { StoreEntities } from './entities';
import { isDuplicateKey } from './store-errors';

type Run = <T>(transactional: boolean, work: (manager: EntityManager, entities: StoreEntities) => Promise<T>) => Promise<T>;

/** Expired nonces are deleted about once every this many new ones (cheap: an index on expires_at). */
const PURGE_EVERY = 200;
let recorded = 0;

/**
 * Records a nonce key in the nonce table until `expiresAt`: an expired record of the same key is
 * taken over, a live one means a replay (false). Two processes inserting one key at once: the
 * primary key lets exactly one in.
 */
export async function rememberNonce(run: Run, key: string, expiresAt: Date, now: Date): Promise<boolean> {
  recorded += 1;
  if (recorded % PURGE_EVERY === 0) {
    await run(false, (manager, { nonce }) => manager.createQueryBuilder().delete().from(nonce).where('expires_at < :now', { now }).execute());
  }
  const reused = await run(true, (manager, { nonce }) => manager.createQueryBuilder().update(nonce).set({ expiresAt })
    .where('nonce_key = :key AND expires_at <= :now', { key, now }).updateEntity(false).execute());
  if ((reused.affected ?? 0) > 0) return true;
  try {
    await run(true, (manager, { nonce }) => manager.createQueryBuilder().insert().into(nonce).values({ key, expiresAt }).updateEntity(false).execute());
    return true;
  } catch (error) {
    if (isDuplicateKey(error)) return false;
    throw error;
  }
}
