import { parseExactJson } from './exact-json';
import type { Envelope } from './envelope';

/**
 * One parse of a message body per body version, shared by the stages of a route that read the
 * body as exact-number JSON: the map step, the json-to-xml step, content-based conditions, the
 * rules validator and the SOAP endpoint each parsed the same text again, the largest part of the
 * work with big orders. (The SOAP gateway's reply conversion and the jsonata step still parse on
 * their own: the one reads a reply, not a message body; the other needs jsonata's numbers.)
 *
 * The document is kept beside the (immutable) envelope, weakly: it goes with the envelope. A stage
 * that changes the body makes a new envelope (`withChanges`), which has no document yet, so a
 * reader can never get the parse of an earlier body; the body text the document was made from is
 * kept with it and compared too, so even an envelope that is not frozen cannot be given a stale one.
 *
 * A document is only ever what `lossless-json`'s `parse(envelope.body)` gives (objects, arrays,
 * strings, booleans, null, LosslessNumber; duplicate keys with different values refused), parsed
 * by core/exact-json's faster parse that gives exactly that. It is shared: a reader must not
 * change it.
 */
interface Known {
  /** The body text the document is the parse of. */
  readonly body: string;
  /** True when a step built the body from the document (it was never parsed from the text). */
  readonly built: boolean;
  readonly document?: unknown;
  /** Why the text is not JSON: every reader gets the same error without parsing again. */
  readonly failure?: SyntaxError;
}

const known = new WeakMap<Envelope, Known>();

function knownFor(envelope: Envelope): Known | undefined {
  const entry = known.get(envelope);
  return entry !== undefined && entry.body === envelope.body ? entry : undefined;
}

/** Remembers that `document` is `envelope.body` parsed (lossless): a step built the body from it. */
export function rememberParsedBody(envelope: Envelope, document: unknown): Envelope {
  known.set(envelope, { body: envelope.body, built: true, document });
  return envelope;
}

/**
 * The body as a lossless JSON document: the one remembered for this body, or parsed now and
 * remembered. Throws what `lossless-json`'s parse throws (a SyntaxError, for text that is not JSON
 * or that repeats a key with another value; the same error object to every reader of the body);
 * each caller turns that into its own error.
 */
export function losslessBodyOf(envelope: Envelope): unknown {
  const entry = knownFor(envelope);
  if (entry !== undefined) {
    if (entry.failure !== undefined) throw entry.failure;
    return entry.document;
  }
  const { body } = envelope;
  let document: unknown;
  try {
    document = parseExactJson(body);
  } catch (error) {
    // Only a verdict on the text is kept; anything else (a stack overflow) may not happen again.
    if (error instanceof SyntaxError) known.set(envelope, { body, built: false, failure: error });
    throw error;
  }
  known.set(envelope, { body, built: false, document });
  return document;
}

/**
 * True when a step built this body from a document it remembered (see {@link rememberParsedBody}),
 * so nothing outside has had a say in its shape: json-to-xml then skips its depth pre-check.
 */
export function isBuiltBody(envelope: Envelope): boolean {
  return knownFor(envelope)?.built === true;
}
