import { isLosslessNumber, isNumber, LosslessNumber, stringify as stringifyLossless } from 'lossless-json';
import type { Envelope } from '../../core/envelope';
import { JunctionError } from '../../core/errors';
import { losslessBodyOf } from '../../core/parsed-body';

/**
 * How node-soap turns response text into values, per XSD type name. Without this it runs
 * xsd:decimal, double and float through Number() and int/long/integer through parseInt() (its
 * issue #1299): "250.00" would come back as 250 and a long beyond 2^53 rounded. Here numbers
 * keep their exact text (as a LosslessNumber, written back as a JSON number with the same digits;
 * text that is not a JSON number, such as "INF" or "+5", stays a string) and dates stay text.
 */
export const EXACT_DESERIALIZERS: Readonly<Record<string, (text: string) => unknown>> = Object.freeze({
  ...Object.fromEntries(['int', 'integer', 'short', 'long', 'decimal', 'double', 'float'].map((type) => [
    type, (text: string): unknown => (isNumber(text) ? new LosslessNumber(text) : text),
  ])),
  dateTime: (text: string): unknown => text,
  date: (text: string): unknown => text,
});

const XML_TYPE = /^(application|text)\/([\w.+-]+\+)?xml\s*(;|$)/i;

/** What node-soap is given to write the request element: field values, or `_xml` to send as is. */
export type SoapArguments = Record<string, unknown>;

/**
 * Turns a message body into the operation's arguments. A JSON object's keys become the request
 * element's children (arrays repeat an element, nulls are left out); numbers keep their exact
 * text, so "250.00" is written as 250.00. An XML body (application/xml, text/xml, +xml) is sent
 * verbatim as the Body's content. Anything else cannot be sent: JCT_TRANSFORM_FAILED.
 */
export function toSoapArguments(message: Envelope, endpoint: string): SoapArguments {
  if (XML_TYPE.test(message.contentType)) {
    return { _xml: message.body.replace(/^\uFEFF?\s*<\?xml[^>]*\?>\s*/, '') };
  }
  let parsed: unknown;
  try {
    parsed = losslessBodyOf(message); // once per body: the route's steps may have parsed it already
  } catch (error) {
    throw new JunctionError('JCT_TRANSFORM_FAILED', `Endpoint "${endpoint}": the message body is not valid JSON (${(error as Error).message}).`, { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || isLosslessNumber(parsed)) {
    throw new JunctionError('JCT_TRANSFORM_FAILED', `Endpoint "${endpoint}": the message body must be a JSON object whose keys are the operation's fields.`);
  }
  return toSoapValue(parsed) as SoapArguments;
}

function toSoapValue(value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  if (isLosslessNumber(value)) return value.toString();
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map(toSoapValue).filter((item) => item !== undefined);
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) {
      const converted = toSoapValue(child);
      if (converted !== undefined) Object.defineProperty(out, key, { value: converted, enumerable: true });
    }
    return out;
  }
  return value;
}

/** The JSON text of an operation's result, numbers with their exact digits (see EXACT_DESERIALIZERS). */
export function resultToJson(result: unknown): string {
  return stringifyLossless(result ?? {}) ?? '{}';
}
