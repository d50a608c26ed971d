import { isLosslessNumber, stringify as stringifyLossless } from 'lossless-json';
import type { SerializedError } from '../../core/errors';
import { parseExactJson } from '../../core/exact-json';
import { parseXml, XmlSyntaxError } from '../../core/xml';
import { isCardNumber } from './card-number';
import { FieldPattern } from './field-pattern';

/** Masking settings (`security.masking`). */
export interface MaskingOptions {
  /** Paths of sensitive fields (see FieldPattern), for JSON and XML alike. */
  readonly fields: readonly string[];
  /** What a masked value is replaced with. */
  readonly mask?: string;
  /** Also mask anything that looks like a payment card number (a scheme's prefix and length, and the Luhn check), keeping the last 4. */
  readonly cardNumbers?: boolean;
}

/** A UUID (kept whole), or a run of 13–19 digits with optional single spaces or dashes between them (a card candidate). */
const UUID_OR_CARD = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})|(?<![\w.])\d(?:[ -]?\d){12,18}(?![\w.])/gi;

/** Values shorter than this are not scrubbed from free text (they would match everywhere). */
const MIN_SCRUB_LENGTH = 3;
const ELEMENT_NODE = 1;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

type XmlNode = { nodeType: number; localName?: string | null; firstChild: XmlNode | null; nextSibling: XmlNode | null; nodeValue: string | null;
  attributes?: { length: number; item(i: number): { localName?: string | null; name: string; value: string } | null }; textContent: string | null };

/**
 * Masks sensitive fields wherever Junction shows or writes data: payloads (JSON and XML, by
 * path), free text such as log lines and error messages (by field name and by card-number
 * shape), and — given the values a message holds at sensitive paths — any text that quotes them.
 * One masker is compiled at boot from `security.masking` and shared by the logger, the gateways,
 * the worker, the transaction log and the admin API.
 */
export class Masker {
  private readonly patterns: readonly FieldPattern[];
  readonly mask: string;
  private readonly cardNumbers: boolean;
  private readonly namePattern: RegExp | undefined;
  private readonly jsonField: RegExp | undefined;
  private readonly xmlField: RegExp | undefined;

  constructor(options: MaskingOptions) {
    this.patterns = options.fields.map((f) => new FieldPattern(f));
    this.mask = options.mask ?? '****';
    this.cardNumbers = options.cardNumbers ?? true;
    const names = [...new Set(this.patterns.map((p) => p.fieldName).filter((n): n is string => n !== undefined))];
    if (names.length > 0) {
      const alternatives = names.map(escapeRegExp).join('|');
      this.namePattern = new RegExp(`^(?:${alternatives})$`, 'i');
      this.jsonField = new RegExp(`("(?:${alternatives})"\\s*:\\s*)("(?:[^"\\\\]|\\\\.)*"|[^,}\\]\\s]+)`, 'gi');
      this.xmlField = new RegExp(`(<(?:[\\w.-]+:)?(?:${alternatives})(?:\\s[^>]*)?>)([^<]*)(<)|((?:^|\\s)(?:[\\w.-]+:)?(?:${alternatives})\\s*=\\s*)("[^"]*"|'[^']*')`, 'gi');
    }
  }

  /** True when a path (segments from the root) names a sensitive field. */
  isSensitivePath(path: readonly string[]): boolean {
    return this.patterns.some((p) => p.matches(path));
  }

  /** True when a field name (a log field, a header) is one of the sensitive names. */
  isSensitiveName(name: string): boolean {
    return this.namePattern?.test(name) ?? false;
  }

  /** A payload with its sensitive fields masked: JSON and XML by path, anything else as free text. */
  maskPayload(text: string, contentType = ''): string {
    const kind = payloadKind(text, contentType);
    if (kind === 'json') return this.maskJson(text);
    if (kind === 'xml') return this.maskXml(text);
    return this.maskText(text);
  }

  /** The values a payload holds at sensitive paths (at least 3 characters), for {@link scrub}. */
  sensitiveValues(text: string, contentType = ''): string[] {
    const values = new Set<string>();
    this.visitSensitive(text, contentType, (value) => collectLeaves(value, values));
    return [...values].filter((v) => v.length >= MIN_SCRUB_LENGTH);
  }

  /**
   * The sensitive fields a payload holds: each one's path from the root (`/payment/cardNumber`,
   * `/lines/0/price`, XML `/order/card/@number`) and its value as text (a JSON object or array as
   * JSON). Empty for a payload that is neither JSON nor XML.
   */
  sensitiveFields(text: string, contentType = ''): { path: string; value: string }[] {
    const fields: { path: string; value: string }[] = [];
    this.visitSensitive(text, contentType, (value, path) => fields.push({ path: `/${path.join('/')}`, value: leafText(value) }));
    return fields;
  }

  /**
   * Calls `found` with each sensitive field of a payload: its value (a JSON value as parsed, an
   * XML element's text or an attribute's value) and its path. Nothing for a payload that is
   * neither JSON nor XML, or does not parse.
   */
  private visitSensitive(text: string, contentType: string, found: (value: unknown, path: readonly string[]) => void): void {
    const kind = payloadKind(text, contentType);
    if (kind === 'json') {
      const document = tryJson(text);
      if (document !== undefined) this.walkJson(document, found);
    } else if (kind === 'xml') {
      const root = tryXml(text);
      if (root) this.walkXml(root, [], (_node, value, _attribute, path) => found(value, path));
    }
  }

  /** `text` with every occurrence of `values` masked, then {@link maskText}. */
  scrub(text: string, values: readonly string[] = []): string {
    let out = text;
    for (const value of [...values].sort((a, b) => b.length - a.length)) {
      if (out.includes(value)) out = out.split(value).join(this.mask);
    }
    return this.maskText(out);
  }

  /**
   * Free text (a log line, an error message, a payload that does not parse) with sensitive fields
   * masked by name — `"password": "x"`, `<password>x</password>`, `password="x"` — and card numbers
   * masked but for their last four digits.
   */
  maskText(text: string): string {
    let out = text;
    if (this.jsonField) out = out.replace(this.jsonField, (_m, key: string) => `${key}"${this.mask}"`);
    if (this.xmlField) {
      out = out.replace(this.xmlField, (_m, open?: string, _v?: string, close?: string, attr?: string, quoted?: string) => (
        open !== undefined ? `${open}${this.mask}${close}` : `${attr}${quoted!.charAt(0)}${this.mask}${quoted!.charAt(0)}`));
    }
    if (this.cardNumbers) {
      // Digits inside a longer word are not a card number: a UUID such as a message id
      // (fc400e1e-1ad8-4331-9879-964257b36668) holds Luhn-valid runs and must stay whole in logs.
      // A UUID is matched first and kept, so one whose first groups are all digits
      // (60402052-8821-4962-…) is not read as a card number written with dashes.
      out = out.replace(UUID_OR_CARD, (candidate, uuid?: string) => {
        if (uuid !== undefined) return candidate;
        const digits = candidate.replace(/[ -]/g, '');
        return isCardNumber(digits) ? `${this.mask}${digits.slice(-4)}` : candidate;
      });
    }
    return out;
  }

  /** A serialised error with `values` and sensitive fields masked in its message, violations and details. */
  redactError(error: SerializedError, values: readonly string[] = []): SerializedError {
    const scrub = (t: string): string => this.scrub(t, values);
    return {
      ...error,
      message: scrub(error.message),
      ...(error.violations ? { violations: error.violations.map((v) => ({ path: v.path, message: scrub(v.message) })) } : {}),
      ...(error.details ? { details: Object.fromEntries(Object.entries(error.details).map(([k, v]) => [k, typeof v === 'string' ? scrub(v) : v])) } : {}),
    };
  }

  private maskJson(text: string): string {
    const document = tryJson(text);
    if (document === undefined) return this.maskText(text);
    let changed = false;
    const masked = this.mapJson(document, [], () => {
      changed = true;
      return this.mask;
    });
    return changed ? String(stringifyLossless(masked)) : text;
  }

  private mapJson(value: unknown, path: string[], replace: () => unknown): unknown {
    if (path.length > 0 && this.isSensitivePath(path)) return replace();
    if (Array.isArray(value)) return value.map((item, i) => this.mapJson(item, [...path, String(i)], replace));
    if (value !== null && typeof value === 'object' && !isLosslessNumber(value)) {
      const out: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(value)) {
        Object.defineProperty(out, key, { value: this.mapJson(child, [...path, key], replace), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    return value;
  }

  private walkJson(value: unknown, found: (value: unknown, path: readonly string[]) => void): void {
    const visit = (v: unknown, p: string[]): void => {
      if (p.length > 0 && this.isSensitivePath(p)) {
        found(v, p);
        return;
      }
      if (Array.isArray(v)) v.forEach((item, i) => visit(item, [...p, String(i)]));
      else if (v !== null && typeof v === 'object' && !isLosslessNumber(v)) for (const [k, c] of Object.entries(v)) visit(c, [...p, k]);
    };
    visit(value, []);
  }

  private maskXml(text: string): string {
    const root = tryXml(text);
    if (!root) return this.maskText(text);
    let changed = false;
    this.walkXml(root, [], (node, _value, attribute) => {
      changed = true;
      if (attribute) attribute.value = this.mask;
      else {
        const element = node as unknown as { removeChild(n: XmlNode): void; appendChild(n: unknown): void; ownerDocument: { createTextNode(t: string): unknown } };
        while (node.firstChild) element.removeChild(node.firstChild);
        element.appendChild(element.ownerDocument.createTextNode(this.mask));
      }
    });
    if (!changed) return text;
    const prolog = /^\s*<\?xml[^>]*\?>\s*/.exec(text)?.[0] ?? '';
    return `${prolog}${String(root)}`;
  }

  private walkXml(element: XmlNode, parent: string[], found: (node: XmlNode, value: string, attribute: { value: string } | undefined, path: readonly string[]) => void): void {
    const path = [...parent, element.localName ?? ''];
    if (this.isSensitivePath(path)) {
      found(element, element.textContent ?? '', undefined, path);
      return;
    }
    const attributes = element.attributes;
    for (let i = 0; attributes && i < attributes.length; i += 1) {
      const attribute = attributes.item(i);
      const attributePath = attribute ? [...path, `@${attribute.localName ?? attribute.name}`] : [];
      if (attribute && !attribute.name.startsWith('xmlns') && this.isSensitivePath(attributePath)) {
        found(element, attribute.value, attribute, attributePath);
      }
    }
    for (let child = element.firstChild; child; child = child.nextSibling) {
      if (child.nodeType === ELEMENT_NODE) this.walkXml(child, path, found);
    }
  }
}

function payloadKind(text: string, contentType: string): 'json' | 'xml' | 'text' {
  const type = contentType.toLowerCase();
  if (type.includes('json')) return 'json';
  if (type.includes('xml')) return 'xml';
  const first = text.trimStart().charAt(0);
  if (first === '{' || first === '[') return 'json';
  if (first === '<') return 'xml';
  return 'text';
}

function tryJson(text: string): unknown {
  try {
    return parseExactJson(text);
  } catch {
    return undefined;
  }
}

function tryXml(text: string): XmlNode | undefined {
  try {
    return (parseXml(text).documentElement as unknown as XmlNode | null) ?? undefined;
  } catch (error) {
    if (error instanceof XmlSyntaxError) return undefined;
    throw error;
  }
}

function leafText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (isLosslessNumber(value)) return value.value;
  return String(stringifyLossless(value));
}

function collectLeaves(value: unknown, into: Set<string>): void {
  if (typeof value === 'string') into.add(value);
  else if (isLosslessNumber(value)) into.add(value.value);
  else if (typeof value === 'number' || typeof value === 'boolean') into.add(String(value));
  else if (Array.isArray(value)) value.forEach((v) => collectLeaves(v, into));
  else if (value !== null && typeof value === 'object') Object.values(value).forEach((v) => collectLeaves(v, into));
}
