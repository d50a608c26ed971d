/**
 * Micro-benchmark of the exact-number JSON parse (docs/performance.md, "Exact-number JSON"):
 * lossless-json 4.3.3's `parse` against `parseExactJson` (src/core/exact-json.ts) on the bodies the
 * benchmark sends (1 KB and 100 KB orders, bench/lib/payloads.ts) and a few others: orders whose
 * amounts are JSON numbers, text with escapes and non-ASCII characters, a small customer, and the
 * shapes that cost the JSON.parse shortcut (src/core/json-without-numbers.ts) something: a string
 * order with one number at its very end (a whole scan for nothing) and one whose lines have arrays
 * with a number after a string (the scan cannot tell: JSON.parse is paid for, then thrown away).
 *
 *   npm run build && node dist/bench/json-parse.js [rounds]
 *
 * Each round times each parser alone for about 200 ms (alternating, so both see the same machine);
 * prints the median ms per parse over the rounds and the ratio. Not part of `npm test`.
 */
import { performance } from 'node:perf_hooks';
import { parse as parseLossless } from 'lossless-json';
import { parseExactJson } from '../src/core/exact-json';
import { customerBody, orderBody } from './lib/payloads';

type Parser = (text: string) => unknown;

/** An order like bench's, with its amounts, quantities and prices as JSON numbers (exact decimals). */
function numericOrder(lines: number): string {
  const line = (n: number): string => `{"sku":"SKU-${String(n).padStart(6, '0')}","qty":${(n % 7) + 1},"price":${(n * 37) % 1000}.${String(n % 100).padStart(2, '0')},"discount":-0.5e-2}`;
  return `{"orderId":"SO-1","customerId":"C-42","amount":12345678901234567890.10,"currency":"EUR","lines":[${Array.from({ length: lines }, (_, n) => line(n)).join(',')}]}`;
}

/** Notes with escapes (quotes, newlines, \u escapes, a surrogate pair) and plain non-ASCII text, pretty-printed. */
function textHeavy(items: number): string {
  const item = (n: number): string => `{\n  "id": ${n},\n  "note": "Line \\"${n}\\"\\n\\tZürich – São Paulo \\u00e9\\ud83d\\ude00 fin",\n  "plain": "Grüße aus Köln, ${'é'.repeat(20)}"\n}`;
  return `[\n${Array.from({ length: items }, (_, n) => item(n)).join(',\n')}\n]`;
}

/** The 100 KB order with something added to each line or at the end. */
function orderWith(lineExtra: string, end: string): string {
  return orderBody('SO-1', 100 * 1024).replace(/"price":"125\.00"\}/g, `"price":"125.00"${lineExtra}}`).replace(/\]\}$/, `]${end}}`);
}

const bodies: ReadonlyArray<readonly [string, string]> = [
  ['customer', customerBody()],
  ['order 1 KB', orderBody('SO-1', 1024)],
  ['order 100 KB', orderBody('SO-1', 100 * 1024)],
  ['numeric order 10 lines', numericOrder(10)],
  ['numeric order 1,000 lines', numericOrder(1000)],
  ['escapes + unicode, 500 items', textHeavy(500)],
  ['order 100 KB + one number at the end', orderWith('', ',"version":1')],
  ['order ~120 KB, lines with ["x",1]', orderWith(',"tags":["x",1]', '')],
];

/** ms per parse over about `budgetMs` of repeated parses. */
function msPerParse(parse: Parser, text: string, budgetMs: number): number {
  let n = 0;
  let sink = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    for (let i = 0; i < 10; i += 1) sink += parse(text) === undefined ? 0 : 1;
    n += 10;
    elapsed = performance.now() - start;
  } while (elapsed < budgetMs);
  if (sink !== n) throw new Error('a parse gave undefined');
  return elapsed / n;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function main(): void {
  const rounds = Number(process.argv[2] ?? 7);
  const parsers: ReadonlyArray<readonly [string, Parser]> = [['lossless-json', (t) => parseLossless(t)], ['exact-json', parseExactJson]];
  console.log(`node ${process.version}, ${rounds} rounds of ~200 ms per parser and body; median ms per parse (min–max)\n`);
  console.log(['body', 'bytes', ...parsers.map(([name]) => name), 'speed-up'].join(' | '));
  for (const [name, text] of bodies) {
    for (const [, parse] of parsers) msPerParse(parse, text, 100); // warm up
    const times = parsers.map(() => [] as number[]);
    for (let round = 0; round < rounds; round += 1) {
      parsers.forEach(([, parse], p) => times[p]!.push(msPerParse(parse, text, 200)));
    }
    const cells = times.map((t) => `${median(t).toFixed(4)} (${Math.min(...t).toFixed(4)}–${Math.max(...t).toFixed(4)})`);
    const ratio = median(times[0]!) / median(times[1]!);
    console.log([name, text.length, ...cells, `${ratio.toFixed(1)}×`].join(' | '));
  }
}

main();
