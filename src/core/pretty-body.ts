import { stringify as stringifyLossless } from 'lossless-json';
import { parseExactJson } from './exact-json';

const JSON_TYPE = /^application\/([\w.+-]+\+)?json\s*(;|$)/i;

/** True for a JSON content type: `application/json`, `application/*+json`, with or without parameters. */
export function isJsonContentType(contentType: string | undefined): boolean {
  return JSON_TYPE.test(contentType ?? '');
}
const XML_TYPE = /^(application|text)\/([\w.+-]+\+)?xml\s*(;|$)/i;

/** XML tokens: CDATA, comments, processing instructions, DOCTYPE, tags (quoted `>` allowed), text. */
const XML_TOKEN = /<!\[CDATA\[[\s\S]*?\]\]>|<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!DOCTYPE[^>]*>|<\/?[A-Za-z_][^"'>]*(?:(?:"[^"]*"|'[^']*')[^"'>]*)*>|[^<]+/g;

const isOpenTag = (token: string): boolean => /^<[A-Za-z_]/.test(token) && !token.endsWith('/>');
const isCloseTag = (token: string): boolean => token.startsWith('</');
const isText = (token: string): boolean => !token.startsWith('<');

/**
 * Indents XML for people: one element per line, an element holding only text stays on one
 * line. Only whitespace between tags changes; names, attributes, text and entities are kept as
 * written. Text that is not XML-like (unbalanced, stray `<`) is returned unchanged.
 */
export function prettyXml(text: string, indent = '  '): string {
  const tokens = text.match(XML_TOKEN) ?? [];
  if (tokens.join('') !== text) return text;
  const lines: string[] = [];
  let depth = 0;
  for (let i = 0; i < tokens.length; i += 1) {
    const token = tokens[i] ?? '';
    if (isText(token) && token.trim() === '') continue;
    if (isCloseTag(token)) {
      depth -= 1;
      if (depth < 0) return text;
      lines.push(indent.repeat(depth) + token);
      continue;
    }
    const pad = indent.repeat(depth);
    if (isOpenTag(token)) {
      const next = tokens[i + 1] ?? '';
      const after = tokens[i + 2] ?? '';
      if (isCloseTag(next)) {
        lines.push(pad + token + next);
        i += 1;
      } else if (isText(next) && isCloseTag(after)) {
        lines.push(pad + token + next + after);
        i += 2;
      } else {
        lines.push(pad + token);
        depth += 1;
      }
      continue;
    }
    lines.push(pad + (isText(token) ? token.trim() : token));
  }
  return depth === 0 ? lines.join('\n') : text;
}

/** JSON indented by two spaces with every number's digits kept (`250.00` stays `250.00`); unchanged if not JSON. */
export function prettyJson(text: string): string {
  try {
    return stringifyLossless(parseExactJson(text), undefined, 2) ?? text;
  } catch {
    return text;
  }
}

/** A body made readable according to its content type (JSON, XML); other types as they are. */
export function prettyBody(body: string, contentType: string | undefined): string {
  const type = contentType ?? '';
  if (isJsonContentType(type)) return prettyJson(body);
  if (XML_TYPE.test(type)) return prettyXml(body);
  return body;
}
