import { setTimeout as sleep } from 'node:timers/promises';

/** One order a client sends: with an idempotency key it retries until accepted; without one it sends once. */
export interface OrderToSend {
  readonly orderId: string;
  readonly body: string;
  /** The caller's Idempotency-Key; absent = an impatient caller that sends once and takes a 503 as "no". */
  readonly key?: string;
}

/** What the callers were told, order by order. */
export interface ClientRun {
  /** Orders answered 202: orderId → the message id Junction gave. */
  readonly accepted: Map<string, string>;
  /** Orders the caller gave up on after a refusal (503 / 409): Junction must never deliver them. */
  readonly refused: Set<string>;
  /** Orders whose last try got no answer (connection refused or reset, timeout): the caller cannot know. */
  readonly unknown: Set<string>;
  /** Refusals seen (503 or 409 answers), including those later retried successfully. */
  readonly refusals: number;
  /** Tries that got no HTTP answer at all. */
  readonly noAnswer: number;
  /** Of those, tries cut off after the connection was made (reset, closed mid-request, timed out); the rest were refused connections. */
  readonly cutOff: number;
  /** Why tries got no answer: error code → count (ECONNREFUSED, UND_ERR_SOCKET, ...). */
  readonly noAnswerCodes: Map<string, number>;
  /** 202 answers marked Idempotent-Replayed (a retry answered by the first request's message). */
  readonly replayed: number;
  /** Answers no caller should ever get during an outage (anything but 202, 503, 409), as "status body". */
  readonly odd: string[];
}

/** Options of {@link sendOrders}. */
export interface SendOptions {
  /** Orders in flight at once (default 24). */
  readonly width?: number;
  /** How long a keyed caller keeps retrying one order before it gives up (default 60 s). */
  readonly patienceMs?: number;
  /** How long one HTTP try may take before the caller abandons it (default 15 s). */
  readonly tryTimeoutMs?: number;
}

type TryResult = { kind: 'accepted'; messageId: string; replayed: boolean } | { kind: 'refused' } | { kind: 'no-answer'; code: string } | { kind: 'odd'; text: string };

/** The system error code under fetch's TypeError ('fetch failed'), e.g. ECONNREFUSED. */
function causeCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

async function tryOnce(url: string, order: OrderToSend, timeoutMs: number): Promise<TryResult> {
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(order.key === undefined ? {} : { 'idempotency-key': order.key }) },
      body: order.body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await response.text();
  } catch (error) {
    return { kind: 'no-answer', code: causeCode(error) ?? (error instanceof Error ? error.name : 'unknown') };
  }
  if (response.status === 202) {
    const messageId = String((JSON.parse(text) as { messageId?: unknown }).messageId);
    return { kind: 'accepted', messageId, replayed: response.headers.get('idempotent-replayed') === 'true' };
  }
  if (response.status === 503 || response.status === 409) return { kind: 'refused' };
  return { kind: 'odd', text: `${response.status} ${text.slice(0, 300)}` };
}

/**
 * Sends orders to a REST entry the way real callers do during an outage, `width` at a time.
 * Keyed callers retry refusals (503, 409) and tries without an answer with backoff and jitter,
 * always with the same Idempotency-Key, until they get 202 or run out of patience. Unkeyed callers
 * send once. Only a 202 counts as accepted.
 */
export function sendOrders(url: string, orders: readonly OrderToSend[], options: SendOptions = {}): Promise<ClientRun> {
  return startOrders(url, orders, options).done;
}

/** {@link sendOrders}, with the callers' view visible while they are still sending (to time a fault). */
export function startOrders(url: string, orders: readonly OrderToSend[], options: SendOptions = {}): { readonly run: ClientRun; readonly done: Promise<ClientRun> } {
  const width = options.width ?? 24;
  const patienceMs = options.patienceMs ?? 60_000;
  const tryTimeoutMs = options.tryTimeoutMs ?? 15_000;
  const run = {
    accepted: new Map<string, string>(), refused: new Set<string>(), unknown: new Set<string>(),
    refusals: 0, noAnswer: 0, cutOff: 0, noAnswerCodes: new Map<string, number>(), replayed: 0, odd: [] as string[],
  };
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let index = next++; index < orders.length; index = next++) {
      const order = orders[index] as OrderToSend;
      const giveUpAt = Date.now() + patienceMs;
      for (let attempt = 1; ; attempt += 1) {
        const result = await tryOnce(url, order, tryTimeoutMs);
        if (result.kind === 'accepted') {
          run.accepted.set(order.orderId, result.messageId);
          if (result.replayed) run.replayed += 1;
          break;
        }
        if (result.kind === 'odd') {
          run.odd.push(`${order.orderId}: ${result.text}`);
          break;
        }
        if (result.kind === 'refused') run.refusals += 1;
        else {
          run.noAnswer += 1;
          run.noAnswerCodes.set(result.code, (run.noAnswerCodes.get(result.code) ?? 0) + 1);
          if (result.code !== 'ECONNREFUSED') run.cutOff += 1;
        }
        if (order.key === undefined || Date.now() >= giveUpAt) {
          (result.kind === 'refused' ? run.refused : run.unknown).add(order.orderId);
          break;
        }
        const ceiling = Math.min(1000, 50 * 2 ** Math.min(attempt, 5));
        await sleep(ceiling / 2 + Math.random() * ceiling / 2);
      }
    }
  };
  return { run, done: Promise.all(Array.from({ length: width }, lane)).then(() => run) };
}
