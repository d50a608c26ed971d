import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { gunzip, inflate, inflateRaw } from 'node:zlib';
import { JunctionError } from '../../core/errors';

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);
const inflateRawAsync = promisify(inflateRaw);

/** Content-Encodings a request body may have (PHP's SoapClient, CXF's GZIP feature, curl --compressed). */
const ENCODINGS = new Set(['identity', 'gzip', 'x-gzip', 'deflate']);

/**
 * Reads a request body as bytes, enforcing `limitBytes` while reading: a declared
 * Content-Length over the limit is refused before any byte is read, and a body that grows past
 * the limit stops being read at once (the caller answers and closes the connection). A body
 * compressed with gzip or deflate is decompressed, and the limit holds for it decompressed too
 * (decompression stops at the limit: a small "zip bomb" never takes more memory than a large
 * plain body). Throws JCT_REQUEST_TOO_LARGE, JCT_REQUEST_MEDIA_TYPE (another Content-Encoding) or
 * JCT_REQUEST_MALFORMED (cut short, not valid compressed data).
 */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase() || 'identity';
  if (!ENCODINGS.has(encoding)) {
    return Promise.reject(new JunctionError('JCT_REQUEST_MEDIA_TYPE',
      `Content-Encoding "${encoding.slice(0, 40)}" is not accepted; send the body uncompressed, or compressed with gzip or deflate.`));
  }
  const raw = readRaw(req, limitBytes);
  return encoding === 'identity' ? raw : raw.then((bytes) => decompress(bytes, encoding, limitBytes));
}

/** A compressed body, decompressed up to `limitBytes`. */
async function decompress(bytes: Buffer, encoding: string, limitBytes: number): Promise<Buffer> {
  const options = { maxOutputLength: limitBytes };
  try {
    if (encoding !== 'deflate') return await gunzipAsync(bytes, options);
    // HTTP's "deflate" is zlib-wrapped (RFC 9110); some clients send raw deflate: both are taken.
    return await inflateAsync(bytes, options).catch((error: unknown) => {
      if (isTooLarge(error)) throw error;
      return inflateRawAsync(bytes, options);
    });
  } catch (error) {
    if (isTooLarge(error)) throw new JunctionError('JCT_REQUEST_TOO_LARGE', `Request body is larger than the limit of ${limitBytes} bytes once decompressed.`);
    throw new JunctionError('JCT_REQUEST_MALFORMED', `The body is not valid ${encoding === 'deflate' ? 'deflate' : 'gzip'} data, as its Content-Encoding says; send it uncompressed or compress it again.`);
  }
}

function isTooLarge(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ERR_BUFFER_TOO_LARGE';
}

/** The body's bytes as sent, within `limitBytes`. */
function readRaw(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const tooLarge = (): JunctionError => new JunctionError('JCT_REQUEST_TOO_LARGE', `Request body is larger than the limit of ${limitBytes} bytes.`);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) return Promise.reject(tooLarge());
  if (req.readableEnded) {
    return Promise.reject(new JunctionError('JCT_INTERNAL', 'The request body was already read by another middleware; mount the SOAP gateway before any body parser.'));
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (error?: JunctionError): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
      if (error) {
        req.pause();
        reject(error);
      } else {
        resolve(Buffer.concat(chunks, size));
      }
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limitBytes) finish(tooLarge());
      else chunks.push(chunk);
    };
    const onEnd = (): void => finish();
    const onError = (): void => finish(new JunctionError('JCT_REQUEST_MALFORMED', 'The request body could not be read to its end.'));
    const onAborted = (): void => finish(new JunctionError('JCT_REQUEST_MALFORMED', 'The request body was cut short.'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}

const UTF8 = new Set(['utf-8', 'utf8']);
const LATIN1 = new Set(['iso-8859-1', 'iso8859-1', 'iso_8859-1', 'latin1', 'l1', 'iso-ir-100', 'cp819', 'ibm819']);
const ASCII = new Set(['us-ascii', 'ascii']);
const WINDOWS_1252 = new Set(['windows-1252', 'cp1252']);

/** Charsets a request may use; any other is refused. */
export const SUPPORTED_CHARSETS = 'UTF-8, ISO-8859-1 (latin1), US-ASCII, windows-1252';

/**
 * windows-1252's characters at 0x80–0x9F (the rest is ISO-8859-1). Decoded by hand: Node 20's
 * TextDecoder('windows-1252') decodes as ISO-8859-1. Unassigned bytes stay C1 controls (WHATWG).
 */
const CP1252_HIGH = '\u20AC\u0081\u201A\u0192\u201E\u2026\u2020\u2021\u02C6\u2030\u0160\u2039\u0152\u008D\u017D\u008F'
  + '\u0090\u2018\u2019\u201C\u201D\u2022\u2013\u2014\u02DC\u2122\u0161\u203A\u0153\u009D\u017E\u0178';

function decodeWindows1252(bytes: Buffer): string {
  return bytes.toString('latin1').replace(/[\u0080-\u009F]/g, (c) => CP1252_HIGH.charAt(c.charCodeAt(0) - 0x80));
}

/** The encoding an XML declaration names, read from the first bytes (ASCII-compatible encodings only). */
function declaredEncoding(bytes: Buffer): string | undefined {
  const head = bytes.subarray(0, 200).toString('latin1');
  return /^(?:\uFEFF|\u00EF\u00BB\u00BF)?<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head)?.[1];
}

/**
 * Decodes a body to text: the Content-Type charset when given (it wins over the XML
 * declaration, RFC 7303), else the XML declaration's encoding, else UTF-8. UTF-8 must be valid;
 * ISO-8859-1 is decoded byte for byte. A UTF-16 body or another charset is refused with
 * JCT_REQUEST_MEDIA_TYPE naming the ones accepted.
 */
export function decodeBody(bytes: Buffer, charset: string | undefined): string {
  if ((bytes[0] === 0xfe && bytes[1] === 0xff) || (bytes[0] === 0xff && bytes[1] === 0xfe)) {
    throw new JunctionError('JCT_REQUEST_MEDIA_TYPE', `The body is UTF-16; send it in one of ${SUPPORTED_CHARSETS}.`);
  }
  const name = (charset ?? declaredEncoding(bytes) ?? 'utf-8').toLowerCase();
  if (UTF8.has(name)) {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new JunctionError('JCT_REQUEST_MALFORMED', 'The body is not valid UTF-8; send UTF-8 or declare the charset it is in (charset=... in Content-Type).');
    }
  }
  if (LATIN1.has(name)) return bytes.toString('latin1');
  if (WINDOWS_1252.has(name)) return decodeWindows1252(bytes);
  if (ASCII.has(name)) {
    if (bytes.some((b) => b > 0x7f)) throw new JunctionError('JCT_REQUEST_MALFORMED', 'The body declared US-ASCII holds bytes above 127; declare its real charset.');
    return bytes.toString('latin1');
  }
  throw new JunctionError('JCT_REQUEST_MEDIA_TYPE', `The charset "${name.slice(0, 40)}" is not supported; send one of ${SUPPORTED_CHARSETS}.`);
}
