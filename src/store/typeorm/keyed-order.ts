/**
 * Runs the tasks of one key (a message id) one at a time, in call order, while tasks of different
 * keys run side by side. The log passes each message's writes through it when it does not batch
 * them, so a caller may fire several writes of one message without awaiting each (the worker's
 * captured stages) and still find them in the history in the order it made them.
 */
export class KeyedOrder {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key);
    const result = previous === undefined ? task() : previous.then(task, task);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => { if (this.tails.get(key) === tail) this.tails.delete(key); });
    return result;
  }
}
