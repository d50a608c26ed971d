import type { Envelope } from './envelope';

/**
 * The lossless JSON document a step built a message's body from, kept beside the (immutable)
 * envelope so that the next step reads it instead of parsing the body again: a map step followed by
 * json-to-xml parsed the mapped body twice, the largest part of the work with big orders. Only
 * ever what `lossless-json`'s `parse(envelope.body)` would give (objects, arrays, strings,
 * booleans, null, LosslessNumber); a reader must not change it. Weakly held: it goes with the
 * envelope.
 */
const documents = new WeakMap<Envelope, unknown>();

/** Remembers that `document` is `envelope.body` parsed (lossless). */
export function rememberParsedBody(envelope: Envelope, document: unknown): Envelope {
  documents.set(envelope, document);
  return envelope;
}

/** The document remembered for this envelope, or undefined (then parse its body). */
export function parsedBodyOf(envelope: Envelope): unknown {
  return documents.get(envelope);
}
