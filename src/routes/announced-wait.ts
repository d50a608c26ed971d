/**
 * The detail a worker records with RETRYING and HELD: when the message's copy on the bus comes back.
 * Written here and read back here only, so the recovery sweep (gateway/overdue-tries.ts) can tell a
 * message whose copy is late from one whose copy was lost.
 */

/** The detail of a `retry` stage (status RETRYING). */
export function retryDetail(next: number, attempts: number, delayMs: number, after: string): string {
  return `attempt ${next} of ${attempts} in ${delayMs} ms (after ${after} failed)`;
}

/** The detail of a `held` stage (status HELD). */
export function holdDetail(endpoint: string, delayMs: number): string {
  return `endpoint ${endpoint} is down; waiting ${delayMs} ms`;
}

/**
 * The detail of a `recovered` stage (the status stays RETRYING or HELD): the recovery sweep found
 * the copy of `attempt` due at `dueAt` lost and publishes the message again. It announces no wait:
 * the new copy is on the route's queue at once.
 */
export function recoveredDetail(dueAt: Date, attempt: number): string {
  return `its copy on the bus (attempt ${attempt}, due ${dueAt.toISOString()}) was lost; published again by the recovery sweep`;
}

const ANNOUNCED = /^(?:attempt \d+ of \d+ in (\d+) ms \(after |endpoint .* is down; waiting (\d+) ms$)/;
const RECOVERED = /^its copy on the bus \((?:attempt \d+, )?due [^)]*\) was lost; published again by the recovery sweep$/;

/** The wait (milliseconds) a `retry`, `held` or `recovered` stage's detail announced; undefined for any other text. */
export function announcedWaitMs(detail: string | undefined): number | undefined {
  if (detail === undefined) return undefined;
  if (RECOVERED.test(detail)) return 0;
  const match = ANNOUNCED.exec(detail);
  const digits = match?.[1] ?? match?.[2];
  return digits === undefined ? undefined : Number(digits);
}
