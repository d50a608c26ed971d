import { expect } from 'chai';
import type { Delivery } from '../../src/core/broker';
import { createEnvelope, type Envelope } from '../../src/core/envelope';
import { JunctionError } from '../../src/core/errors';

/** A one-way test envelope for `routeId` with `body` (JSON text). */
export function testEnvelope(routeId: string, body = '{"orderId":"o-1","amount":"250.00"}'): Envelope {
  return createEnvelope({ routeId, pattern: 'one-way', source: 'test:broker', contentType: 'application/json', body });
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** True when `promise` settles (either way) within `ms` milliseconds. */
export async function settledWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const settled = promise.then(() => true, () => true);
  return Promise.race([settled, sleep(ms).then(() => false)]);
}

/** Polls `condition` every 10 ms; fails with `what` after `timeoutMs`. */
export async function waitUntil(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** A promise with its resolve function outside, to hold handlers until a test releases them. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => { open = resolve; });
  return { promise, open };
}

/** One delivery as a test handler saw it. */
export interface Received {
  readonly envelope: Envelope;
  readonly delivery: Delivery;
}

/** Collects deliveries; `handler` acks everything (or runs `behaviour` first). */
export class Inbox {
  readonly received: Received[] = [];

  constructor(private readonly behaviour: (received: Received) => Promise<void> = async () => undefined) {}

  /** A MessageHandler that records, then behaves. */
  readonly handler = async (envelope: Envelope, delivery: Delivery): Promise<void> => {
    const received = { envelope, delivery };
    this.received.push(received);
    await this.behaviour(received);
  };

  /** Waits until at least `count` deliveries arrived. */
  async waitFor(count: number, timeoutMs = 10_000): Promise<Received[]> {
    await waitUntil(() => this.received.length >= count, `${count} deliveries (got ${this.received.length})`, timeoutMs);
    return this.received;
  }

  /** The ids received, in order. */
  ids(): string[] {
    return this.received.map((r) => r.envelope.id);
  }
}

/** Asserts that `promise` rejects with a JunctionError of `code` and returns it. */
export async function expectJunctionError(promise: Promise<unknown>, code: JunctionError['code']): Promise<JunctionError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(JunctionError);
    const junctionError = error as JunctionError;
    expect(junctionError.code, junctionError.message).to.equal(code);
    return junctionError;
  }
  throw new Error(`Expected a rejection with ${code}, but the promise resolved`);
}
