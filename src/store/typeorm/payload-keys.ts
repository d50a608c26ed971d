import type { EntityManager, EntityTarget, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { JunctionError } from '../../core/errors';
import { needsRewrite, storedKeyId } from '../../security/payload-cipher';
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

/** A table whose rows hold a payload, as the key scan walks it. */
interface PayloadTable {
  /** Where its counts go in {@link PayloadKeyUsage}. */
  readonly usage: keyof PayloadKeyUsage;
  readonly entity: (entities: StoreEntities) => EntityTarget<ObjectLiteral>;
  /** Primary key property: the walk's order, and the row an update rewrites. */
  readonly key: 'id' | 'seq';
  /** A row's key as its column compares (a stage's seq is a number). */
  readonly keyValue: (key: string) => string | number;
  /** Property holding the message id. */
  readonly messageId: 'id' | 'messageId';
  /** Only rows with a payload: a stage repeating an earlier one's (payload_of) holds none. */
  readonly storedOnly: boolean;
  /** The payload's additional authenticated data (row-mapping.ts). */
  readonly context: (messageId: string) => string;
  /** How an unreadable row is named: `<message id>` or `<message id>:<stage seq>`. */
  readonly ref: (row: { readonly key: string; readonly messageId: string }) => string;
}

const TABLES: readonly PayloadTable[] = [
  {
    usage: 'messages', entity: (e) => e.message, key: 'id', keyValue: String, messageId: 'id', storedOnly: false,
    context: messageContext, ref: (row) => row.messageId,
  },
  {
    usage: 'stages', entity: (e) => e.stage, key: 'seq', keyValue: Number, messageId: 'messageId', storedOnly: true,
    context: stageContext, ref: (row) => `${row.messageId}:${row.key}`,
  },
];

/** A query over `table` selecting each row's key, message id and `payload` (an SQL expression of t.payload). */
function selectRows(manager: EntityManager, entities: StoreEntities, table: PayloadTable, payload: string, as: string): SelectQueryBuilder<ObjectLiteral> {
  return manager.createQueryBuilder(table.entity(entities), 't')
    .select(`t.${table.key}`, 'key').addSelect(`t.${table.messageId}`, 'messageId').addSelect(payload, as);
}

/** One batch of one table after `after`, in key order: each row's key, message and payload head. */
async function headsAfter(manager: EntityManager, entities: StoreEntities, table: PayloadTable, after: string | undefined, limit: number): Promise<HeadRow[]> {
  const query = selectRows(manager, entities, table, `SUBSTR(t.payload, 1, ${HEAD_LENGTH})`, 'head');
  if (table.storedOnly) query.andWhere('t.payload IS NOT NULL');
  if (after !== undefined) query.andWhere(`t.${table.key} > :after`, { after: table.keyValue(after) });
  const rows = await query.orderBy(`t.${table.key}`, 'ASC').limit(limit).getRawMany<HeadRow>();
  return rows.map((r) => ({ key: String(r.key), messageId: String(r.messageId), head: r.head }));
}

/** Visits every row of both tables, a batch at a time (each batch its own unit of work). */
async function eachBatch(run: RunWork, batchSize: number, visit: (table: PayloadTable, rows: readonly HeadRow[]) => Promise<void>): Promise<void> {
  for (const table of TABLES) {
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
  const counts: Record<keyof PayloadKeyUsage, { plain: number; byKey: Record<string, number> }> = { messages: { plain: 0, byKey: {} }, stages: { plain: 0, byKey: {} } };
  await eachBatch(run, batchSize, async (table, rows) => {
    const count = counts[table.usage];
    for (const row of rows) {
      if (row.head === null || row.head === '') continue;
      const keyId = storedKeyId(row.head);
      if (keyId === undefined) count.plain += 1;
      else count.byKey[keyId] = (count.byKey[keyId] ?? 0) + 1;
    }
  });
  return counts;
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
  await eachBatch(run, options.batchSize ?? KEY_SCAN_BATCH, async (table, rows) => {
    scanned += rows.length;
    const chosen = rows.filter((r) => r.head !== null && needsRewrite(r.head, cipher.writingKeyId, encryptPlain));
    if (chosen.length > 0) {
      await run(true, async (manager, entities) => {
        const full = await selectRows(manager, entities, table, 't.payload', 'payload')
          .where(`t.${table.key} IN (:...keys)`, { keys: chosen.map((r) => table.keyValue(r.key)) })
          .getRawMany<{ key: string; messageId: string; payload: string }>();
        for (const row of full) {
          const key = String(row.key);
          let next: string | undefined;
          try {
            next = cipher.rewrap(row.payload, table.context(row.messageId), encryptPlain);
          } catch (error) {
            if (!(error instanceof JunctionError && error.code === 'JCT_PAYLOAD_UNREADABLE')) throw error;
            unreadable += 1;
            if (unreadableRows.length < MAX_LISTED) unreadableRows.push(table.ref({ key, messageId: row.messageId }));
            continue;
          }
          if (next === undefined) continue;
          const update = manager.createQueryBuilder().update(table.entity(entities)).set({ payload: next })
            .where(`${table.key} = :key`, { key: table.keyValue(key) });
          // A row deleted meanwhile (retention) was not rewritten: not counted.
          rewritten += (await update.execute()).affected ?? 0;
        }
      });
    }
    options.onProgress?.({ scanned, rewritten, unreadable, unreadableRows: [...unreadableRows] });
  });
  return { scanned, rewritten, unreadable, unreadableRows };
}
