/**
 * Runs the handlings of one message id one after another within a process. After a lost AMQP
 * channel RabbitMQ redelivers a message whose first handling is still running here (its ack
 * could not be sent); running the two at once would deliver it twice. Queued behind the first,
 * the second finds the outcome in the transaction log and does nothing.
 */
export class PerMessageQueue {
  private readonly tails = new Map<string, Promise<void>>();

  /** How many message ids have a handling running or waiting. */
  get size(): number {
    return this.tails.size;
  }

  /** Runs `work` once every earlier handling of `id` in this process has settled; settles as `work` does. */
  run(id: string, work: () => Promise<void>): Promise<void> {
    const earlier = this.tails.get(id);
    const result = earlier === undefined ? work() : earlier.then(work);
    const tail = result.catch(() => undefined);
    this.tails.set(id, tail);
    void tail.then(() => { if (this.tails.get(id) === tail) this.tails.delete(id); });
    return result;
  }
}
