import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { SerialQueue } from './serial-queue';

/** One database operation: gets a manager bound to one connection (inside a transaction when asked). */
export type Work<T> = (manager: EntityManager) => Promise<T>;

/** Runs units of work against a connected DataSource. */
export interface UnitOfWorkRunner {
  run<T>(transactional: boolean, work: Work<T>): Promise<T>;
  /** Disconnects the DataSource once the work already started has settled. */
  close(): Promise<void>;
}

/**
 * SQLite: one connection (and one TypeORM QueryRunner) serves everything, so overlapping
 * transactions would interleave on it; every unit runs alone, in call order.
 */
export class SerialRunner implements UnitOfWorkRunner {
  private readonly queue = new SerialQueue();
  constructor(private readonly dataSource: DataSource) {}

  run<T>(transactional: boolean, work: Work<T>): Promise<T> {
    return this.queue.run(() => (transactional ? this.dataSource.transaction(work) : work(this.dataSource.manager)));
  }

  close(): Promise<void> {
    return this.queue.run(() => this.dataSource.destroy());
  }
}

/** The error a unit of work fails with when it exceeds its deadline (mapped to JCT_STORE_UNAVAILABLE). */
export class OperationTimeoutError extends Error {
  readonly code = 'OPERATION_TIMEOUT';
  constructor(timeoutMs: number) {
    super(`Transaction log operation did not finish within ${timeoutMs} ms.`);
    this.name = 'OperationTimeoutError';
  }
}

/** The part of a mysql2 (callback-style, core) connection that {@link killMysqlConnection} uses. */
export interface Mysql2Connection {
  destroy(): void;
  stream?: { destroy(error?: Error): void };
}

/**
 * Hard-closes a mysql2 connection. mysql2's own query timeout only fails the query: the connection
 * stays busy behind it (a ROLLBACK then waits forever on a frozen server), and `destroy()` alone
 * ends the socket politely without failing queued commands. Destroying the socket with an error
 * fails them all and drops the connection from its pool.
 */
export function killMysqlConnection(connection: Mysql2Connection, error: Error): void {
  connection.stream?.destroy(error);
  connection.destroy();
}

/** {@link killMysqlConnection} on the connection under a QueryRunner, if it has one. */
function killConnection(runner: QueryRunner, error: Error): void {
  const connection = (runner as unknown as { databaseConnection?: Mysql2Connection }).databaseConnection;
  if (connection) killMysqlConnection(connection, error);
}

/**
 * MySQL: each unit takes a pooled connection for itself and must finish (waiting for a connection
 * included) within `timeoutMs`; past that its connection is killed and it fails, so a frozen or
 * unreachable server never hangs a caller.
 */
export class BoundedRunner implements UnitOfWorkRunner {
  constructor(private readonly dataSource: DataSource, private readonly timeoutMs: number) {}

  close(): Promise<void> {
    return this.dataSource.destroy();
  }

  async run<T>(transactional: boolean, work: Work<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner('master');
    let expired = false;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // Made only when needed: an Error captures a stack trace, which costs more than the query.
        const timeout = new OperationTimeoutError(this.timeoutMs);
        expired = true;
        killConnection(runner, timeout);
        reject(timeout);
      }, this.timeoutMs);
    });
    const running = this.execute(runner, transactional, work, () => expired);
    running.catch(() => undefined);
    try {
      return await Promise.race([running, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async execute<T>(runner: QueryRunner, transactional: boolean, work: Work<T>, expired: () => boolean): Promise<T> {
    try {
      await runner.connect();
      // A connection that arrives after the deadline must not do work the caller was told failed.
      if (expired()) throw new OperationTimeoutError(this.timeoutMs);
      if (!transactional) return await work(runner.manager);
      await runner.startTransaction();
      try {
        const result = await work(runner.manager);
        await runner.commitTransaction();
        return result;
      } catch (error) {
        await runner.rollbackTransaction().catch(() => undefined);
        throw error;
      }
    } finally {
      await runner.release().catch(() => undefined);
    }
  }
}
