import type { Broker } from '../core/broker';
import { describeError, JunctionError } from '../core/errors';
import type { TransactionLog } from '../core/transaction-log';

/** One dependency's state as the readiness probe saw it. */
export interface DependencyCheck {
  readonly status: 'up' | 'down';
  /** Why it is down, in words an operator can act on. */
  readonly reason?: string;
}

/** What `/readyz` answers. */
export interface Readiness {
  readonly ready: boolean;
  readonly broker: DependencyCheck;
  readonly store: DependencyCheck;
  /** Set while the process shuts down: it takes no new work, whatever its dependencies say. */
  readonly closing?: true;
}

/** What the readiness checks need. */
export interface ReadinessDeps {
  readonly broker: Broker;
  readonly log: TransactionLog;
  /** Longest a database ping may take before the store counts as down (default 2000 ms). */
  readonly timeoutMs?: number;
  /** True once the process has begun to shut down. */
  readonly closing?: () => boolean;
}

/** The broker's state: connected or not (no I/O). */
export function checkBroker(broker: Broker): DependencyCheck {
  return broker.isConnected() ? { status: 'up' } : { status: 'down', reason: 'not connected to the message broker (starting, reconnecting or closed)' };
}

/** The store's state: a trivial query answered within `timeoutMs`. */
export async function checkStore(log: TransactionLog, timeoutMs: number): Promise<DependencyCheck> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<DependencyCheck>((resolve) => {
    timer = setTimeout(() => resolve({ status: 'down', reason: `the transaction log did not answer within ${timeoutMs} ms` }), timeoutMs);
  });
  const ping = log.ping().then((): DependencyCheck => ({ status: 'up' }), (error: unknown): DependencyCheck => ({
    status: 'down', reason: error instanceof JunctionError ? `${error.code}: ${error.message}` : describeError(error),
  }));
  try {
    return await Promise.race([ping, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Ready when the broker is connected and the transaction log answers, and the process is not shutting down. */
export async function checkReadiness(deps: ReadinessDeps): Promise<Readiness> {
  const broker = checkBroker(deps.broker);
  const store = await checkStore(deps.log, deps.timeoutMs ?? 2000);
  const closing = deps.closing?.() === true;
  return {
    ready: !closing && broker.status === 'up' && store.status === 'up',
    broker,
    store,
    ...(closing ? { closing: true as const } : {}),
  };
}
