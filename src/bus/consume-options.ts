/** The largest prefetch AMQP can carry (a 16-bit field); both brokers accept the same range. */
export const MAX_PREFETCH = 65535;

/** Throws a RangeError naming the value unless `prefetch` is an integer from 1 to {@link MAX_PREFETCH}. */
export function checkPrefetch(prefetch: number): void {
  if (!Number.isInteger(prefetch) || prefetch < 1 || prefetch > MAX_PREFETCH) {
    // 0 would mean "unlimited" to RabbitMQ: never what a worker wants, so it is refused too.
    throw new RangeError(`ConsumeOptions.prefetch must be an integer from 1 to ${MAX_PREFETCH} (got ${prefetch}).`);
  }
}
