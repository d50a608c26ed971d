/**
 * Bookkeeping shared by the broker implementations for one subscription: the handler runs in
 * flight (so `cancel` can wait for them) and the requeue delays after a failure (so `cancel` can
 * cut them short instead of waiting out the delay).
 */
export class InFlight {
  private readonly running = new Set<Promise<void>>();
  private readonly sleepers = new Set<() => void>();
  private stopping = false;

  /** How many tracked runs have not settled yet. */
  get size(): number {
    return this.running.size;
  }

  /** True once {@link settle} has been called: no new work should start. */
  get stopped(): boolean {
    return this.stopping;
  }

  /** Tracks `work` until it settles; `work` must never reject (callers handle their own errors). */
  track(work: Promise<void>): void {
    const tracked = work.finally(() => { this.running.delete(tracked); });
    this.running.add(tracked);
  }

  /**
   * Waits `ms` (the requeue delay after a failed handler). Resolves early once the subscription
   * stops, so a cancel never waits out the delay: the message is requeued at once instead.
   */
  delay(ms: number): Promise<void> {
    if (this.stopping || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  /** Stops new work, wakes every delay and resolves once every tracked run has settled. */
  async settle(): Promise<void> {
    this.stopping = true;
    for (const wake of [...this.sleepers]) wake();
    while (this.running.size > 0) {
      await Promise.allSettled([...this.running]);
    }
  }
}
