import type { StageEvent } from '../../core/transaction-log';
import type { StageRow } from './entities';

/**
 * Stage payloads written once. With `capture: steps` a handling's stages often carry the same body:
 * the delivery stage repeats the last step's output, a validator step repeats its input. Such a
 * stage is stored without its payload and names, in `payload_of`, the stage it repeats — the
 * nearest earlier stage of the same message and attempt with that name that has a payload. The
 * log gives readers the payload back (the TransactionLog contract is unchanged): for a 100 KB
 * order routed through a map and json-to-xml this writes, encrypts and quotes one body of four
 * less.
 *
 * Only stages of one write are compared (their rows go in together, in order), so a reference
 * always points back into the same write, and the rows in between carry no payload of that name.
 */

/** One stage to write, and the name of the earlier stage whose payload it repeats (then its own is not written). */
export interface SharedStage {
  readonly event: StageEvent;
  readonly payloadOf?: string;
}

/** The events of one write, in order, each repeating payload replaced by a reference to an earlier one. */
export function sharePayloads(events: readonly StageEvent[]): SharedStage[] {
  const shared: SharedStage[] = [];
  let previous: StageEvent | undefined;
  for (const event of events) {
    if (event.payload === undefined) {
      shared.push({ event });
      continue;
    }
    if (previous !== undefined && previous.attempt === event.attempt && previous.payload === event.payload) {
      const { payload: _repeated, ...rest } = event;
      shared.push({ event: rest, payloadOf: previous.stage });
    } else {
      shared.push({ event });
    }
    previous = event;
  }
  return shared;
}

/**
 * The stored payload of each stage row of one message (rows in `seq` order), references resolved:
 * the result's entry `i` is row `i`'s payload in its stored form (still encrypted if it was), or
 * null. A reference names the nearest earlier stage of that name and attempt; should the database
 * ever have numbered one write's rows out of order (SQL does not promise the order of an
 * `INSERT … SELECT … UNION ALL`), the nearest later one with its own payload is taken instead. A
 * reference found neither way (rows deleted by hand) gives null.
 */
export function storedPayloads(rows: readonly Pick<StageRow, 'stage' | 'attempt' | 'payload' | 'payloadOf'>[]): (string | null)[] {
  const latest = new Map<string, string>();
  const payloads = rows.map((row) => {
    let payload = row.payload;
    if (payload === null && row.payloadOf !== null) payload = latest.get(keyOf(row.attempt, row.payloadOf)) ?? null;
    if (payload !== null) latest.set(keyOf(row.attempt, row.stage), payload);
    return payload;
  });
  rows.forEach((row, i) => {
    if (payloads[i] !== null || row.payloadOf === null) return;
    const later = rows.slice(i + 1).find((r) => r.attempt === row.attempt && r.stage === row.payloadOf && r.payload !== null);
    if (later) payloads[i] = later.payload;
  });
  return payloads;
}

function keyOf(attempt: number, stage: string): string {
  return `${attempt}\u0000${stage}`;
}
