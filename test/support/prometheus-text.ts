/**
 * The value of one series in a Prometheus text page (`name` or `name{labels}`, spelled as the page
 * spells it); when the page has no such line, `absent` (undefined unless given).
 */
export function sampleValue(text: string, series: string): number | undefined;
export function sampleValue(text: string, series: string, absent: number): number;
export function sampleValue(text: string, series: string, absent?: number): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? absent : Number(line.slice(series.length + 1));
}
