import type { SerializedError } from '../core/errors';
import { isSecretName } from '../core/logger';
import type { MessageRecord } from '../core/transaction-log';
import type { Masker } from '../security/masking/masker';

/** A body and its content type. */
export interface TypedBody {
  readonly text: string;
  readonly contentType: string;
}

const MIME = /^[\w!#$&^.+-]+\/[\w!#$&^.+-]+/;

/** A stage payload's content type: kept in its detail by the worker, else the message's. */
export function stageContentType(record: MessageRecord, detail: string | undefined): string {
  return detail !== undefined && MIME.test(detail) ? detail : record.contentType;
}

/** Every body a message holds: as received, and each stage's captured payload. */
export function bodiesOf(record: MessageRecord): TypedBody[] {
  return [{ text: record.payload, contentType: record.contentType },
    ...record.stages.flatMap((s) => (s.payload === undefined ? [] : [{ text: s.payload, contentType: stageContentType(record, s.detail) }]))];
}

/**
 * What the admin API (and so the console and the CLI) shows of messages, masked with the one
 * {@link Masker} of `security.masking`: payloads by path (JSON and XML), and every value the
 * given bodies hold at a masked path wherever else it appears — in another stage's payload (a
 * mapping may have renamed the field: `cardNumber` → `CARD_NO`), an error, a diff, a request
 * preview — plus sensitive names and card-number shapes in free text.
 */
export class ViewMasking {
  private constructor(private readonly masker: Masker, private readonly values: readonly string[]) {}

  /** Masking for views of `bodies` (a message's, a pair's, a dry-run's): their sensitive values are scrubbed everywhere. */
  static of(masker: Masker, bodies: Iterable<TypedBody> = []): ViewMasking {
    return new ViewMasking(masker, []).with(bodies);
  }

  /** The same masking, also scrubbing what `bodies` hold at masked paths. */
  with(bodies: Iterable<TypedBody>): ViewMasking {
    const values = new Set(this.values);
    for (const body of bodies) for (const value of this.masker.sensitiveValues(body.text, body.contentType)) values.add(value);
    return new ViewMasking(this.masker, [...values]);
  }

  /** The values of the sensitive fields seen, for callers that mask an error themselves. */
  get sensitiveValues(): readonly string[] {
    return this.values;
  }

  /** A payload as operators may see it. */
  payload(text: string, contentType: string): string {
    return this.masker.scrub(this.masker.maskPayload(text, contentType), this.values);
  }

  /** Free text (a stage detail, a reason, a diff line). */
  text(text: string): string {
    return this.masker.scrub(text, this.values);
  }

  /** An error: message, violations and details. */
  error(error: SerializedError): SerializedError {
    return this.masker.redactError(error, this.values);
  }

  /** Headers: secret names (authorization, cookie, masked field names) masked whole, the rest scrubbed. */
  headers(headers: Readonly<Record<string, string>>): Record<string, string> {
    return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name,
      isSecretName(name) || this.masker.isSensitiveName(name) ? this.masker.mask : this.text(value)]));
  }
}
