/**
 * Deliveries a worker made that the transaction log failed to record (the database went away
 * right after the backend answered). The handling then fails and the bus gives the message back;
 * when it comes back to this process, the worker records these deliveries instead of calling the
 * backends again. One-way messages only (a request-reply message needs the backend's answer, which
 * is not kept). Bounded: beyond `limit` ids the oldest is forgotten (that message is then
 * delivered again under the same id, as it would be by another process).
 */
export class UnrecordedDeliveries {
  private readonly byMessage = new Map<string, Set<string>>();

  constructor(private readonly limit = 10_000) {}

  get size(): number {
    return this.byMessage.size;
  }

  /** Remembers that `endpoint` received `messageId` although the log does not say so. */
  remember(messageId: string, endpoint: string): void {
    const endpoints = this.byMessage.get(messageId) ?? new Set<string>();
    endpoints.add(endpoint);
    this.byMessage.delete(messageId);
    this.byMessage.set(messageId, endpoints);
    if (this.byMessage.size > this.limit) {
      const [oldest] = this.byMessage.keys();
      if (oldest !== undefined) this.byMessage.delete(oldest);
    }
  }

  /** The endpoints remembered for `messageId` (empty when none). */
  of(messageId: string): ReadonlySet<string> {
    return this.byMessage.get(messageId) ?? new Set<string>();
  }

  /** Forgets `messageId` (its deliveries are recorded now, or another handling settled it). */
  forget(messageId: string): void {
    this.byMessage.delete(messageId);
  }
}
