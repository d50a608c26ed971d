import path from 'node:path';
import { createEnvelope, type Envelope } from '../core/envelope';
import { JunctionError } from '../core/errors';
import { getByPointer } from '../core/json-pointer';
import { isJsonContentType } from '../core/pretty-body';
import { REST_BASE } from '../gateway/rest/rest-gateway';
import type { CompiledRoute } from '../routes/compiled-route';
import { assertValid } from '../validators/json-schema-validator';
import { CLI_EXIT, CliStop } from './exit-codes';

/** Content types picked from a sample file's extension; `--content-type` overrides. */
export const CONTENT_TYPES: Readonly<Record<string, string>> = Object.freeze({
  '.json': 'application/json',
  '.xml': 'application/xml',
});

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** The sample's content type: `override`, else from the extension; a CliStop (exit 2) when neither says. */
export function sampleContentType(file: string, override?: string): string {
  if (override !== undefined) {
    if (!/^[\w.+-]+\/[\w.+-]+/.test(override)) throw new CliStop(CLI_EXIT.USAGE, `--content-type "${override}" is not a media type (e.g. application/json).`);
    return override;
  }
  const type = CONTENT_TYPES[path.extname(file).toLowerCase()];
  if (type === undefined) {
    throw new CliStop(CLI_EXIT.USAGE, `Cannot tell the content type of ${file} from its extension (.json and .xml are known); give --content-type.`);
  }
  return type;
}

/** `--header name=value` options as envelope headers (names lower-cased); a CliStop (exit 2) on a malformed one. */
export function parseHeaders(values: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const value of values) {
    const at = value.indexOf('=');
    const name = at < 0 ? '' : value.slice(0, at).trim();
    if (!HEADER_NAME.test(name)) throw new CliStop(CLI_EXIT.USAGE, `--header "${value}" must be name=value (e.g. --header x-channel=web).`);
    headers[name.toLowerCase()] = value.slice(at + 1);
  }
  return headers;
}

/** Where the route's messages come in, as the gateway writes it in `source`. */
function sourceOf(route: CompiledRoute): string {
  if (route.rest) return `rest:${route.rest.method} ${REST_BASE}${route.rest.path}`;
  if (route.soap) return `soap:${route.soap.service}/${route.soap.operation}`;
  return 'cli:routes-test';
}

/** What the entry did with the sample. */
export interface EntryResult {
  readonly message: Envelope;
  /** What was checked, for the report (e.g. "JSON Schema of PUT /customers/:customerId"). */
  readonly checked: string;
}

/**
 * Wraps a sample body in an envelope as the route's entry would: the entry's `source` and
 * business key, a new message id, attempt 1. For a REST entry and a JSON sample, also does what
 * the gateway does before it accepts a message (unless `check` is false): the body must parse as
 * JSON and satisfy the entry's JSON Schema — a failure throws the same JunctionError
 * (JCT_REQUEST_MALFORMED, JCT_VALIDATION_FAILED with every violation) the caller would get.
 * The sample is the body after path parameters are merged, or a SOAP request's JSON form.
 */
export function enterSample(route: CompiledRoute, body: string, contentType: string, headers: Readonly<Record<string, string>>, check: boolean): EntryResult {
  let parsed: unknown;
  let checked = 'nothing (not JSON)';
  if (isJsonContentType(contentType)) {
    try {
      parsed = JSON.parse(body);
    } catch (error) {
      if (check) throw new JunctionError('JCT_REQUEST_MALFORMED', `Request body is not valid JSON: ${(error as Error).message}.`);
    }
    if (!check) {
      checked = 'nothing (--no-entry-check)';
    } else if (route.rest?.check) {
      assertValid(route.rest.check(parsed), 'Request body');
      checked = `JSON syntax and the JSON Schema of ${route.rest.method} ${REST_BASE}${route.rest.path}`;
    } else {
      checked = 'JSON syntax';
    }
  }
  const pointer = route.rest?.businessKey ?? route.soap?.businessKey;
  const key = parsed !== undefined && pointer ? getByPointer(parsed, pointer) : undefined;
  const message = createEnvelope({
    routeId: route.id,
    pattern: route.pattern,
    source: sourceOf(route),
    contentType,
    body,
    headers,
    ...(typeof key === 'string' || typeof key === 'number' ? { businessKey: String(key).slice(0, 128) } : {}),
  });
  return { message, checked };
}
