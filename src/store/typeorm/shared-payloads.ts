import type { StageEvent } from '../../core/transaction-log';
import type { StageRow } from './entities';

/**
 * Stage payloads written once. With `capture: steps` a handling's stages often carry the same body:
 * the delivery stage repeats the last step's output, a validator step repeats its input. Such a
 * stage is stored without its payload and names, in `payload_of`, what it repeats: the nearest
 * earlier stage of the same message and attempt with that name that has a payload, or
 * {@link RECEIVED_PAYLOAD} — the message's own payload as received, written by the gateway at
 * RECEIVED in an earlier write (the caller hands the log that body: TransitionOptions.received).
 * The log gives readers the payload back (the TransactionLog contract is unchanged): for a 100 KB
 * order routed through a map and json-to-xml this writes, encrypts and quotes one body of four
 * less, and one more when a first step leaves the body as it came.
 *
 * Stage references only point back into the same write (its rows go in together, in order), so the
 * rows in between carry no payload of that name. The received payload lives in the message row,
 * which is written before any stage of it and deleted with all of them (purge).
 */

/** `payload_of` of a stage that repeats the message's own payload as received (never a stage's name here). */
export const RECEIVED_PAYLOAD = '@received';

/** One stage to write, and what its payload repeats (then its own is not written). */
export interface SharedStage {
  readonly event: StageEvent;
  readonly payloadOf?: string;
}

/**
 * The events of one write, in order, each repeating payload replaced by a reference: to the
 * message's payload as received when it equals `received` (a non-empty one: an empty payload costs
 * nothing), else to the earlier stage of this write whose payload it repeats.
 */
export function sharePayloads(events: readonly StageEvent[], received?: string): SharedStage[] {
  const shared: SharedStage[] = [];
  let previous: StageEvent | undefined;
  for (const event of events) {
    if (event.payload === undefined) {
      shared.push({ event });
      continue;
    }
    const payloadOf = received !== undefined && received !== '' && event.payload === received ? RECEIVED_PAYLOAD
      : previous !== undefined && previous.attempt === event.attempt && previous.payload === event.payload && previous.stage !== RECEIVED_PAYLOAD ? previous.stage
        : undefined;
    if (payloadOf === undefined) {
      shared.push({ event });
    } else {
      const { payload: _repeated, ...rest } = event;
      shared.push({ event: rest, payloadOf });
    }
    previous = event;
  }
  return shared;
}

/** Where a stage's payload is stored: a stage row's `payload` (this one's or the one it repeats), or the message's own. */
export type StoredPayload = { readonly stage: string } | 'received';

/**
 * The stored payload of each stage row of one message (rows in `seq` order), references resolved:
 * the result's entry `i` is row `i`'s payload in its stored form (still encrypted if it was),
 * `'received'` for the message's own payload, or null. A reference names the nearest earlier stage
 * of that name and attempt; should the database ever have numbered one write's rows out of order
 * (SQL does not promise the order of an `INSERT … SELECT … UNION ALL`), the nearest later one with
 * its own payload is taken instead. A reference found neither way (rows deleted by hand) gives null.
 */
export function storedPayloads(rows: readonly Pick<StageRow, 'stage' | 'attempt' | 'payload' | 'payloadOf'>[]): (StoredPayload | null)[] {
  const latest = new Map<string, StoredPayload>();
  const payloads = rows.map((row): StoredPayload | null => {
    const payload: StoredPayload | null = row.payload !== null ? { stage: row.payload }
      : row.payloadOf === RECEIVED_PAYLOAD ? 'received'
        : row.payloadOf !== null ? latest.get(keyOf(row.attempt, row.payloadOf)) ?? null : null;
    if (payload !== null) latest.set(keyOf(row.attempt, row.stage), payload);
    return payload;
  });
  rows.forEach((row, i) => {
    if (payloads[i] !== null || row.payloadOf === null) return;
    const later = rows.slice(i + 1).find((r) => r.attempt === row.attempt && r.stage === row.payloadOf && r.payload !== null);
    if (later?.payload != null) payloads[i] = { stage: later.payload };
  });
  return payloads;
}

function keyOf(attempt: number, stage: string): string {
  return `${attempt}\u0000${stage}`;
}
