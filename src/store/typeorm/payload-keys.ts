import type { EntityManager } from 'typeorm';
import { JunctionError } from '../../core/errors';
import { storedKeyId } from '../../security/payload-cipher';
import type { StoreEntities } from './entities';
import { messageContext, stageContext } from './row-mapping';

/**
 * Key rotation for payloads encrypted at rest (docs/security.md, "Key rotation"): which key wrote
 * each stored payload, and rewriting those of older keys with the current one. Both walk the
 * message and stage tables in primary-key order, a batch at a time, reading only the first
 * characters of each payload (they name the key); only the rows to rewrite are read whole.
 * Payloads never change once written (retention deletes whole rows), so a row is rewritten by its
 * key alone, next to a running Junction; an interrupted run is simply started again.
 */

/** Rows read per batch. */
export const KEY_SCAN_BATCH = 500;

/** Enough of a stored payload to name its key: `jct:enc:v1:` and an id of at most 32 characters. */
const HEAD_LENGTH = 48;

/** How many payloads of one table each key wrote, and how many are stored in clear (empty ones not counted). */
export interface KeyCounts {
  readonly plain: number;
  readonly byKey: Readonly<Record<string, number>>;
}

/** {@link KeyCounts} of messages (their payload as received) and of stages (captured payloads). */
export interface PayloadKeyUsage {
  readonly messages: KeyCounts;
  readonly stages: KeyCounts;
}

/** What rewrites a stored payload with the writing key: security/payload-cipher.ts's PayloadCipher. */
export interface PayloadRewrap {
  readonly writingKeyId: string;
  /** False when new payloads are written in clear (`encrypt: false`): nothing to rotate to. */
  readonly encryptsNew: boolean;
  /** The new stored form, or undefined when the value needs nothing. Throws JCT_PAYLOAD_UNREADABLE. */
  rewrap(stored: string, context: string, encryptPlain: boolean): string | undefined;
}

/** Options of a rekey run. */
export interface RekeyOptions {
  /** Also encrypt payloads stored in clear (written before encryption was turned on). */
  readonly encryptPlain?: boolean;
  /** Rows per batch (default {@link KEY_SCAN_BATCH}). */
  readonly batchSize?: number;
  /** Called after each batch with the totals so far. */
  readonly onProgress?: (progress: RekeyProgress) => void;
}

/** Totals of a rekey run. */
export interface RekeyProgress {
  /** Rows looked at: every message (its payload may be empty) and every stage with a payload. */
  readonly scanned: number;
  readonly rewritten: number;
  /** Rows that could not be decrypted (key not configured, or changed): left as they are. */
  readonly unreadable: number;
  /** The first few unreadable rows, as `<message id>` or `<message id>:<stage seq>`. */
  readonly unreadableRows: readonly string[];
}

/** Runs one unit of work of the log (in a transaction when asked). */
export type RunWork = <T>(transactional: boolean, work: (manager: EntityManager, entities: StoreEntities) => Promise<T>) => Promise<T>;

interface HeadRow {
  /** Message id, or stage seq. */
  readonly key: string;
  readonly messageId: string;
  readonly head: string | null;
}

type Table = 'message' | 'stage';

/** One batch of one table after `after`, in key order: each row's key, message and payload head. */
async function headsAfter(manager: EntityManager, entities: StoreEntities, table: Table, after: string | undefined, limit: number): Promise<HeadRow[]> {
  if (table === 'message') {
    const query = manager.createQueryBuilder(entities.message, 'm')
      .select('m.id', 'key').addSelect('m.id', 'messageId').addSelect(`SUBSTR(m.payload, 1, ${HEAD_LENGTH})`, 'head');
    if (after !== undefined) query.where('m.id > :after', { after });
    const rows = await query.orderBy('m.id', 'ASC').limit(limit).getRawMany<HeadRow>();
    return rows.map((r) => ({ key: String(r.key), messageId: String(r.messageId), head: r.head }));
  }
  const query = manager.createQueryBuilder(entities.stage, 's')
    .select('s.seq', 'key').addSelect('s.messageId', 'messageId').addSelect(`SUBSTR(s.payload, 1, ${HEAD_LENGTH})`, 'head')
    .where('s.payload IS NOT NULL');
  if (after !== undefined) query.andWhere('s.seq > :after', { after: Number(after) });
  const rows = await query.orderBy('s.seq', 'ASC').limit(limit).getRawMany<HeadRow>();
  return rows.map((r) => ({ key: String(r.key), messageId: String(r.messageId), head: r.head }));
}

/** Visits every row of both tables, a batch at a time (each batch its own unit of work). */
async function eachBatch(run: RunWork, batchSize: number, visit: (table: Table, rows: readonly HeadRow[]) => Promise<void>): Promise<void> {
  for (const table of ['message', 'stage'] as const) {
    let after: string | undefined;
    for (;;) {
      const rows = await run(false, (manager, entities) => headsAfter(manager, entities, table, after, batchSize));
      if (rows.length === 0) break;
      await visit(table, rows);
      after = rows[rows.length - 1]?.key;
      if (rows.length < batchSize) break;
    }
  }
}

/** Counts the stored payloads of each key (and in clear), over both tables. */
export async function payloadKeyUsage(run: RunWork, batchSize = KEY_SCAN_BATCH): Promise<PayloadKeyUsage> {
  const counts: Record<Table, { plain: number; byKey: Record<string, number> }> = { message: { plain: 0, byKey: {} }, stage: { plain: 0, byKey: {} } };
  await eachBatch(run, batchSize, async (table, rows) => {
    for (const row of rows) {
      if (row.head === null || row.head === '') continue;
      const keyId = storedKeyId(row.head);
      if (keyId === undefined) counts[table].plain += 1;
      else counts[table].byKey[keyId] = (counts[table].byKey[keyId] ?? 0) + 1;
    }
  });
  return { messages: counts.message, stages: counts.stage };
}

const MAX_LISTED = 20;

/**
 * Rewrites every stored payload not written with the writing key (and, with `encryptPlain`, those
 * in clear) with that key; the totals. Rows that cannot be decrypted are counted and left alone.
 */
export async function rekeyPayloads(run: RunWork, cipher: PayloadRewrap, options: RekeyOptions = {}): Promise<RekeyProgress> {
  if (!cipher.encryptsNew) {
    throw new JunctionError('JCT_CONFIG_INVALID', 'security.payloadEncryption.encrypt is false: new payloads are written in clear, so there is no key to rotate to.');
  }
  const encryptPlain = options.encryptPlain ?? false;
  let scanned = 0;
  let rewritten = 0;
  let unreadable = 0;
  const unreadableRows: string[] = [];
  const needsRewrap = (head: string | null): boolean => {
    if (head === null || head === '') return false;
    const keyId = storedKeyId(head);
    return keyId === undefined ? encryptPlain : keyId !== cipher.writingKeyId;
  };
  await eachBatch(run, options.batchSize ?? KEY_SCAN_BATCH, async (table, rows) => {
    scanned += rows.length;
    const chosen = rows.filter((r) => needsRewrap(r.head));
    if (chosen.length > 0) {
      await run(true, async (manager, { message, stage }) => {
        const full = table === 'message'
          ? await manager.createQueryBuilder(message, 'm').select('m.id', 'key').addSelect('m.id', 'messageId').addSelect('m.payload', 'payload')
            .where('m.id IN (:...keys)', { keys: chosen.map((r) => r.key) }).getRawMany<{ key: string; messageId: string; payload: string }>()
          : await manager.createQueryBuilder(stage, 's').select('s.seq', 'key').addSelect('s.messageId', 'messageId').addSelect('s.payload', 'payload')
            .where('s.seq IN (:...keys)', { keys: chosen.map((r) => Number(r.key)) }).getRawMany<{ key: string; messageId: string; payload: string }>();
        for (const row of full) {
          const ref = table === 'message' ? row.messageId : `${row.messageId}:${row.key}`;
          let next: string | undefined;
          try {
            next = cipher.rewrap(row.payload, table === 'message' ? messageContext(row.messageId) : stageContext(row.messageId), encryptPlain);
          } catch (error) {
            if (!(error instanceof JunctionError && error.code === 'JCT_PAYLOAD_UNREADABLE')) throw error;
            unreadable += 1;
            if (unreadableRows.length < MAX_LISTED) unreadableRows.push(ref);
            continue;
          }
          if (next === undefined) continue;
          const update = table === 'message'
            ? manager.createQueryBuilder().update(message).set({ payload: next }).where('id = :id', { id: row.key })
            : manager.createQueryBuilder().update(stage).set({ payload: next }).where('seq = :seq', { seq: Number(row.key) });
          // A row deleted meanwhile (retention) was not rewritten: not counted.
          rewritten += (await update.execute()).affected ?? 0;
        }
      });
    }
    options.onProgress?.({ scanned, rewritten, unreadable, unreadableRows: [...unreadableRows] });
  });
  return { scanned, rewritten, unreadable, unreadableRows };
}
