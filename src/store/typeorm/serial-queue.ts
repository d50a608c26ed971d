/**
 * Runs async tasks one at a time, in call order. The SQLite driver shares one connection (and one
 * TypeORM QueryRunner) for everything, so two overlapping transactions would interleave on it;
 * the log passes every SQLite operation through one of these.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `task` after every task queued before it has settled; settles as `task` does. */
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
