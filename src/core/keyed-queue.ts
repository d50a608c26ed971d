/**
 * Runs the tasks of one key (a message id) one after another, in call order, while tasks of
 * different keys run side by side. Used by the worker — after a lost AMQP channel RabbitMQ
 * redelivers a message whose first handling is still running here; queued behind it, the second
 * finds the outcome in the transaction log and does nothing — and by the transaction log without
 * group commit, so one message's writes are applied in the order they were made.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** How many keys have a task running or waiting. */
  get size(): number {
    return this.tails.size;
  }

  /** Runs `task` once every earlier task of `key` has settled; settles as `task` does. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const earlier = this.tails.get(key);
    const result = earlier === undefined ? task() : earlier.then(task);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => { if (this.tails.get(key) === tail) this.tails.delete(key); });
    return result;
  }
}
