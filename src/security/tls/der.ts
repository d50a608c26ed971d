/**
 * The few DER reading steps Junction needs to look inside a CRL and a CA certificate (Node's
 * crypto parses certificates but not CRLs). Not a general ASN.1 decoder: it reads one
 * tag-length-value at a time, definite lengths only (DER has no others), and throws an Error on
 * anything truncated or malformed.
 */

/** One DER element: its tag byte and where its encoding and its content lie in the buffer. */
export interface DerElement {
  readonly tag: number;
  /** Offset of the tag byte (the element's whole encoding is `start`..`end`). */
  readonly start: number;
  /** Offset of the first content byte. */
  readonly contentStart: number;
  /** Offset just past the element. */
  readonly end: number;
}

export const DER_TAG = Object.freeze({
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  OBJECT_IDENTIFIER: 0x06,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  /** `[0]` constructed, context-specific (explicit tags: a certificate's version, a CRL's extensions). */
  CONTEXT_0: 0xa0,
});

/** Reads the element that starts at `offset`, which must end at or before `limit`. */
export function readElement(buffer: Buffer, offset: number, limit: number = buffer.length): DerElement {
  if (offset + 2 > limit) throw new Error(`truncated element at byte ${offset}`);
  const tag = buffer[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new Error(`multi-byte tag at byte ${offset}`);
  const first = buffer[offset + 1]!;
  let length = first;
  let contentStart = offset + 2;
  if (first & 0x80) {
    const bytes = first & 0x7f;
    if (bytes === 0 || bytes > 4) throw new Error(`unsupported length encoding at byte ${offset}`);
    if (contentStart + bytes > limit) throw new Error(`truncated length at byte ${offset}`);
    length = 0;
    for (let i = 0; i < bytes; i += 1) length = length * 256 + buffer[contentStart + i]!;
    contentStart += bytes;
  }
  const end = contentStart + length;
  if (end > limit) throw new Error(`element at byte ${offset} runs past its container`);
  return { tag, start: offset, contentStart, end };
}

/** The elements directly inside a constructed element (a SEQUENCE's fields). */
export function children(buffer: Buffer, parent: DerElement): DerElement[] {
  const out: DerElement[] = [];
  for (let at = parent.contentStart; at < parent.end;) {
    const element = readElement(buffer, at, parent.end);
    out.push(element);
    at = element.end;
  }
  return out;
}

/** The element's whole encoding (tag, length and content). */
export function encodingOf(buffer: Buffer, element: DerElement): Buffer {
  return buffer.subarray(element.start, element.end);
}

/** An X.509 UTCTime (`YYMMDDHHMMSSZ`, 1950–2049) or GeneralizedTime (`YYYYMMDDHHMMSSZ`) as a Date. */
export function readTime(buffer: Buffer, element: DerElement): Date {
  const text = buffer.toString('latin1', element.contentStart, element.end);
  let match: RegExpExecArray | null;
  let year: number;
  if (element.tag === DER_TAG.UTC_TIME && (match = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text))) {
    const yy = Number(match[1]);
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
  } else if (element.tag === DER_TAG.GENERALIZED_TIME && (match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text))) {
    year = Number(match[1]);
  } else {
    throw new Error(`"${text}" is not a UTC time`);
  }
  const [, , month, day, hour, minute, second] = match.map(Number) as number[];
  return new Date(Date.UTC(year, month! - 1, day!, hour!, minute!, second!));
}

/** An OBJECT IDENTIFIER in dotted form (`1.2.840.113549.1.1.11`). */
export function readOid(buffer: Buffer, element: DerElement): string {
  if (element.tag !== DER_TAG.OBJECT_IDENTIFIER || element.contentStart === element.end) throw new Error(`no OBJECT IDENTIFIER at byte ${element.start}`);
  const first = buffer[element.contentStart]!;
  const arcs = [Math.min(2, Math.floor(first / 40)), first - Math.min(2, Math.floor(first / 40)) * 40];
  let value = 0;
  for (let i = element.contentStart + 1; i < element.end; i += 1) {
    value = value * 128 + (buffer[i]! & 0x7f);
    if ((buffer[i]! & 0x80) === 0) {
      arcs.push(value);
      value = 0;
    }
  }
  return arcs.join('.');
}

/** A non-negative INTEGER's value (a CRL number: up to 20 octets, beyond a JavaScript number). */
export function readBigInt(buffer: Buffer, element: DerElement): bigint {
  const hex = readIntegerHex(buffer, element);
  if (element.contentStart === element.end || buffer[element.contentStart]! & 0x80) throw new Error(`no non-negative INTEGER at byte ${element.start}`);
  return BigInt(`0x${hex}`);
}

/** An INTEGER's value in upper-case hex without leading zeros (a serial number, as compared with Node's `X509Certificate.serialNumber`). */
export function readIntegerHex(buffer: Buffer, element: DerElement): string {
  if (element.tag !== DER_TAG.INTEGER) throw new Error(`no INTEGER at byte ${element.start}`);
  return buffer.toString('hex', element.contentStart, element.end).toUpperCase().replace(/^0+(?=.)/, '');
}
