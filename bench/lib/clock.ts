/**
 * Epoch milliseconds at the resolution of performance.now(): comparable between processes on one
 * machine (each adds its own performance.timeOrigin), so a send time taken by the benchmark and an
 * arrival time taken by the backend process can be subtracted.
 */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}
