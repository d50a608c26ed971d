import { MemoryBroker } from '../../src/bus/memory/memory-broker';
import type { Envelope } from '../../src/core/envelope';

/**
 * An in-process bus whose `consumed` routes are read by a consumer that only keeps what it gets
 * (in `received`), for tests of what is published; `declaredOnly` routes are declared, not consumed.
 */
export async function consumingBus(consumed: readonly string[], declaredOnly: readonly string[] = []): Promise<{ broker: MemoryBroker; received: Envelope[] }> {
  const broker = new MemoryBroker({ requeueDelayMs: 10 });
  const received: Envelope[] = [];
  await broker.start();
  await broker.declare([...consumed, ...declaredOnly]);
  for (const route of consumed) await broker.consume(route, async (m) => { received.push(m); }, { prefetch: 10 });
  return { broker, received };
}
