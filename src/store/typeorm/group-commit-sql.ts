import type { EntitySchema } from 'typeorm';
import type { MessageStatus } from '../../core/message-status';
import { HELD_STAGE, type BusCopy, type StageEvent, type TransitionResult } from '../../core/transaction-log';
import type { MessageRow, StageRow, StoreEntities } from './entities';
import { errorColumns } from './message-search';

/**
 * One write of a batch: a new message, or a status change with its stage. `single` applies it
 * alone, the way the log does without group commit (used when its batch cannot take it).
 */
export type BatchWrite = (
  | { readonly kind: 'receive'; readonly message: MessageRow; readonly stage: Omit<StageRow, 'seq'> }
  | { readonly kind: 'transition'; readonly messageId: string; readonly event: StageEvent; readonly from?: readonly MessageStatus[];
    /** TransitionOptions.copy: skipped while the message waits for a later copy. */
    readonly copy?: BusCopy;
    /** TransitionOptions.handling: skipped once a later copy's handling has begun. */
    readonly handling?: BusCopy;
    /** The stage rows appended if it applies: its preceding stages, then its own. */
    readonly stages: readonly Omit<StageRow, 'seq'>[]; readonly now: Date }
) & { readonly single: () => Promise<TransitionResult | undefined> };

/**
 * A statement with its values, formatted by the driver (mysql2 escapes client-side; with the
 * pools' time zone 'Z' a Date becomes `YYYY-MM-DD HH:MM:SS.mmm` in UTC, as `datetime(3)` wants).
 */
export interface Statement {
  readonly sql: string;
  readonly values: unknown[];
}

/** Column names of an entity, property → column, without generated columns (the stage's `seq`). */
function columnsOf<T>(schema: EntitySchema<T>): [keyof T & string, string][] {
  const columns = schema.options.columns as Record<string, { name?: string; generated?: unknown }>;
  return Object.entries(columns)
    .filter(([, column]) => column.generated === undefined)
    .map(([property, column]) => [property as keyof T & string, column.name ?? property]);
}

/**
 * The SQL of a group commit on MySQL/MariaDB, built from the entity schemas so its column names
 * always match entities.ts. Tables and columns are quoted identifiers from our own schema; every
 * value is a placeholder.
 */
export class GroupCommitSql {
  private readonly messageTable: string;
  private readonly stageTable: string;
  private readonly messageColumns: [keyof MessageRow & string, string][];
  private readonly stageColumns: [keyof Omit<StageRow, 'seq'> & string, string][];
  private readonly column: (property: keyof MessageRow) => string;

  constructor(entities: StoreEntities) {
    this.messageTable = `\`${entities.message.options.tableName ?? entities.message.options.name}\``;
    this.stageTable = `\`${entities.stage.options.tableName ?? entities.stage.options.name}\``;
    this.messageColumns = columnsOf(entities.message);
    this.stageColumns = columnsOf(entities.stage) as [keyof Omit<StageRow, 'seq'> & string, string][];
    const byProperty = new Map(this.messageColumns);
    this.column = (property) => `\`${byProperty.get(property) ?? String(property)}\``;
  }

  /** One multi-row INSERT of new messages. */
  insertMessages(rows: readonly MessageRow[]): Statement {
    const names = this.messageColumns.map(([, name]) => `\`${name}\``).join(', ');
    return { sql: `INSERT INTO ${this.messageTable} (${names}) VALUES ?`, values: [rows.map((row) => this.messageColumns.map(([p]) => row[p]))] };
  }

  /** One multi-row INSERT of stages; the auto-increment `seq` keeps their order. */
  insertStages(rows: readonly Omit<StageRow, 'seq'>[]): Statement {
    const names = this.stageColumns.map(([, name]) => `\`${name}\``).join(', ');
    return { sql: `INSERT INTO ${this.stageTable} (${names}) VALUES ?`, values: [rows.map((row) => this.stageColumns.map(([p]) => row[p]))] };
  }

  /**
   * The status change of one transition, exactly as TypeOrmTransactionLog.transition writes it:
   * attempts raised to the event's, status, updated_at, the error when there is one; only from the
   * `from` statuses when given. Its affected rows (found rows: the pool sets CLIENT_FOUND_ROWS) tell
   * whether it applied.
   */
  updateStatus(write: Extract<BatchWrite, { kind: 'transition' }>): Statement {
    const c = this.column;
    const { event } = write;
    const sets = [`${c('attempts')} = CASE WHEN ${c('attempts')} < ? THEN ? ELSE ${c('attempts')} END`,
      ...(event.stage === HELD_STAGE ? [`${c('holds')} = ${c('holds')} + 1`] : []), `${c('status')} = ?`, `${c('updatedAt')} = ?`];
    const values: unknown[] = [event.attempt, event.attempt, event.status, write.now];
    if (event.error) {
      sets.push(`${c('lastError')} = ?`, `${c('lastErrorCode')} = ?`);
      values.push(JSON.stringify(event.error), event.error.code);
      // The failure's endpoint and group, for operators' searches (message-search.ts), as the single path writes them.
      for (const [property, value] of Object.entries(errorColumns(event))) {
        sets.push(`${c(property as keyof MessageRow)} = ?`);
        values.push(value);
      }
    }
    values.push(write.messageId);
    let where = `${c('id')} = ?`;
    if (write.from !== undefined) {
      where += ` AND ${c('status')} IN (?)`;
      values.push([...write.from]);
    }
    if (write.copy !== undefined) {
      where += ` AND NOT ((${c('status')} = 'RETRYING' AND ${c('attempts')} >= ?) OR (${c('status')} = 'HELD' AND (${c('attempts')} > ? OR ${c('holds')} > ?)))`;
      values.push(write.copy.attempt, write.copy.attempt, write.copy.held);
    }
    if (write.handling !== undefined) {
      where += ` AND ${c('attempts')} <= ? AND ${c('holds')} <= ?`;
      values.push(write.handling.attempt, write.handling.held);
    }
    return { sql: `UPDATE ${this.messageTable} SET ${sets.join(', ')} WHERE ${where}`, values };
  }

  /**
   * Stage rows written only when the statement just before — a transition's UPDATE — matched its
   * message: `INSERT … SELECT … WHERE ROW_COUNT() > 0` (one SELECT per row, joined by UNION ALL), so
   * a lone transition learns whether it applied without a second round trip.
   */
  insertStagesIfUpdated(rows: readonly Omit<StageRow, 'seq'>[]): Statement {
    const names = this.stageColumns.map(([, name]) => `\`${name}\``).join(', ');
    const select = `SELECT ${this.stageColumns.map(() => '?').join(', ')} FROM DUAL WHERE ROW_COUNT() > 0`;
    return {
      sql: `INSERT INTO ${this.stageTable} (${names}) ${rows.map(() => select).join(' UNION ALL ')}`,
      values: rows.flatMap((row) => this.stageColumns.map(([p]) => row[p])),
    };
  }

  /** Which of these message ids exist (to tell `skipped` from `missing`). */
  existing(ids: readonly string[]): Statement {
    return { sql: `SELECT ${this.column('id')} AS id FROM ${this.messageTable} WHERE ${this.column('id')} IN (?)`, values: [[...ids]] };
  }
}
