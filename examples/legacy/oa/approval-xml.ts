import { XMLParser, XMLValidator } from 'fast-xml-parser';

export const REQUIRED_FIELDS = ['orderId', 'customerId', 'amount', 'currency'] as const;
export type ApprovalField = (typeof REQUIRED_FIELDS)[number];
/** The required fields of an `<approvalRequest>`, as exact strings (entities decoded, "250.00" stays "250.00"). */
export type ApprovalFields = Readonly<Record<ApprovalField, string>>;

export interface XmlProblem {
  code: string;
  message: string;
  fields?: readonly string[];
}

export type ParsedApproval = { ok: true; fields: ApprovalFields } | { ok: false; problem: XmlProblem };

// Values stay strings; entities are not expanded by the parser (decodeText handles the predefined ones).
const parser = new XMLParser({
  processEntities: false,
  parseTagValue: false,
  ignoreAttributes: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

const ROOT = 'approvalRequest';

export function parseApprovalRequest(body: string): ParsedApproval {
  const valid = XMLValidator.validate(body);
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    const where = col === undefined ? `line ${line}` : `line ${line}, col ${col}`;
    return fail('MALFORMED_XML', `${msg} (${where})`);
  }
  if (/<!DOCTYPE/i.test(body)) return fail('DOCTYPE_NOT_ALLOWED', 'DOCTYPE declarations are not accepted');

  let doc: unknown;
  try {
    doc = parser.parse(body);
  } catch (err) {
    return fail('MALFORMED_XML', err instanceof Error ? err.message : String(err));
  }
  const roots = isRecord(doc) ? Object.keys(doc) : [];
  const root = isRecord(doc) ? doc[ROOT] : undefined;
  if (roots.length !== 1 || roots[0] !== ROOT || Array.isArray(root)) {
    return fail('UNEXPECTED_ROOT', `expected a single <${ROOT}> root element, got ${roots.map((r) => `<${r}>`).join(', ') || 'none'}`);
  }
  return readFields(isRecord(root) ? root : {});
}

function readFields(root: Record<string, unknown>): ParsedApproval {
  const missing: string[] = [];
  const invalid: string[] = [];
  const fields: Partial<Record<ApprovalField, string>> = {};
  for (const name of REQUIRED_FIELDS) {
    const value = root[name];
    if (value === undefined || value === '') missing.push(name);
    else if (typeof value !== 'string') invalid.push(name); // nested elements or repeated
    else fields[name] = decodeText(value);
  }
  if (missing.length > 0) {
    return fail('MISSING_FIELDS', `missing or empty required fields: ${missing.join(', ')}`, missing);
  }
  if (invalid.length > 0) {
    return fail('INVALID_FIELDS', `fields must hold a single text value: ${invalid.join(', ')}`, invalid);
  }
  return { ok: true, fields: fields as ApprovalFields };
}

function fail(code: string, message: string, fields?: readonly string[]): ParsedApproval {
  return { ok: false, problem: fields ? { code, message, fields } : { code, message } };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const NAMED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Decodes the five predefined XML entities and character references; anything else is left as is. */
export function decodeText(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g, (whole, ref: string) => {
    if (ref[0] !== '#') return NAMED[ref] ?? whole;
    const code = ref[1] === 'x' ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
    return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

export function errorXml(problem: XmlProblem): string {
  const fields = problem.fields
    ? `<fields>${problem.fields.map((f) => `<field>${escapeXml(f)}</field>`).join('')}</fields>`
    : '';
  return `<error><code>${escapeXml(problem.code)}</code><message>${escapeXml(problem.message)}</message>${fields}</error>`;
}

export function approvalResponseXml(approvalId: string, orderId: string): string {
  return `<approvalResponse><approvalId>${escapeXml(approvalId)}</approvalId>`
    + `<orderId>${escapeXml(orderId)}</orderId><status>PENDING</status></approvalResponse>`;
}
