import type { PointResult } from './results';

/** One line of the chart: the points of one system at one payload, in concurrency order. */
interface Series {
  readonly label: string;
  readonly dashed: boolean;
  readonly points: readonly { readonly x: number; readonly y: number; readonly concurrency: number }[];
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];
const PANEL_W = 460;
const PANEL_H = 320;
const MARGIN = { left: 58, right: 16, top: 34, bottom: 44 };

function escape(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function logTicks(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (let decade = Math.floor(Math.log10(min)); decade <= Math.ceil(Math.log10(max)); decade += 1) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** decade;
      if (v >= min && v <= max) ticks.push(v);
    }
  }
  return ticks;
}

function label(v: number): string {
  return v >= 1000 ? `${v / 1000}k` : String(v);
}

/** Groups the run's points into panels (one per scenario and payload) of series (one per system). */
function panels(points: readonly PointResult[]): { title: string; series: Series[] }[] {
  const byPanel = new Map<string, Map<string, PointResult[]>>();
  for (const p of points) {
    if (!(p.msgPerSec > 0) || !(p.latencyMs.p50 > 0)) continue;
    const group = p.scenario.startsWith('esb') ? 'esb' : p.scenario;
    const kb = Math.max(1, Math.round(p.payloadBytes / 1024));
    const titles: Record<string, string> = { esb: 'ESB proxies (SOAP)', 'async-orders': 'async durable orders', 'store-writes': 'transaction log writes' };
    const panel = group === 'sync-rest-soap' ? 'sync REST→SOAP' : `${titles[group] ?? group}, ${kb} KB`;
    const series = p.variant === 'baseline' ? `${p.system} (baseline)`
      : p.scenario.startsWith('esb') ? `Junction ${p.scenario.slice(4)}` : p.scenario === 'store-writes' ? p.system : 'Junction';
    const inPanel = byPanel.get(panel) ?? new Map<string, PointResult[]>();
    inPanel.set(series, [...(inPanel.get(series) ?? []), p]);
    byPanel.set(panel, inPanel);
  }
  return [...byPanel].map(([title, series]) => ({
    title,
    series: [...series].map(([name, list]) => ({
      label: name, dashed: name.endsWith('(baseline)'),
      points: [...list].sort((a, b) => a.concurrency - b.concurrency).map((p) => ({ x: p.msgPerSec, y: p.latencyMs.p50, concurrency: p.concurrency })),
    })),
  }));
}

function renderPanel(title: string, series: readonly Series[], ox: number, oy: number): string {
  const all = series.flatMap((s) => s.points);
  const xMin = 10 ** Math.floor(Math.log10(Math.min(...all.map((p) => p.x))));
  const xMax = 10 ** Math.ceil(Math.log10(Math.max(...all.map((p) => p.x))));
  const yMin = 10 ** Math.floor(Math.log10(Math.min(...all.map((p) => p.y))));
  const yMax = 10 ** Math.ceil(Math.log10(Math.max(...all.map((p) => p.y))));
  const w = PANEL_W - MARGIN.left - MARGIN.right;
  const h = PANEL_H - MARGIN.top - MARGIN.bottom;
  const sx = (v: number): number => ox + MARGIN.left + ((Math.log10(v) - Math.log10(xMin)) / (Math.log10(xMax) - Math.log10(xMin) || 1)) * w;
  const sy = (v: number): number => oy + MARGIN.top + h - ((Math.log10(v) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin) || 1)) * h;
  const out: string[] = [];
  out.push(`<text x="${ox + PANEL_W / 2}" y="${oy + 18}" text-anchor="middle" font-weight="bold">${escape(title)}</text>`);
  out.push(`<rect x="${ox + MARGIN.left}" y="${oy + MARGIN.top}" width="${w}" height="${h}" fill="none" stroke="#999"/>`);
  for (const t of logTicks(xMin, xMax)) {
    out.push(`<line x1="${sx(t)}" y1="${oy + MARGIN.top}" x2="${sx(t)}" y2="${oy + MARGIN.top + h}" stroke="#eee"/>`);
    out.push(`<text x="${sx(t)}" y="${oy + MARGIN.top + h + 14}" text-anchor="middle" font-size="10">${label(t)}</text>`);
  }
  for (const t of logTicks(yMin, yMax)) {
    out.push(`<line x1="${ox + MARGIN.left}" y1="${sy(t)}" x2="${ox + MARGIN.left + w}" y2="${sy(t)}" stroke="#eee"/>`);
    out.push(`<text x="${ox + MARGIN.left - 4}" y="${sy(t) + 3}" text-anchor="end" font-size="10">${label(t)}</text>`);
  }
  out.push(`<text x="${ox + MARGIN.left + w / 2}" y="${oy + PANEL_H - 8}" text-anchor="middle" font-size="11">throughput, msg/s (log)</text>`);
  out.push(`<text transform="translate(${ox + 14},${oy + MARGIN.top + h / 2}) rotate(-90)" text-anchor="middle" font-size="11">p50 latency, ms (log)</text>`);
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const path = s.points.map((p, k) => `${k === 0 ? 'M' : 'L'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ');
    out.push(`<path d="${path}" fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5,3"' : ''}/>`);
    for (const p of s.points) {
      out.push(`<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="3" fill="${color}"><title>${escape(s.label)}: c=${p.concurrency}, ${p.x.toFixed(0)} msg/s, p50 ${p.y.toFixed(2)} ms</title></circle>`);
      out.push(`<text x="${(sx(p.x) + 4).toFixed(1)}" y="${(sy(p.y) - 4).toFixed(1)}" font-size="9" fill="${color}">${p.concurrency}</text>`);
    }
    out.push(`<line x1="${ox + MARGIN.left + 8}" y1="${oy + MARGIN.top + 12 + i * 14}" x2="${ox + MARGIN.left + 28}" y2="${oy + MARGIN.top + 12 + i * 14}" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5,3"' : ''}/>`);
    out.push(`<text x="${ox + MARGIN.left + 32}" y="${oy + MARGIN.top + 16 + i * 14}" font-size="10">${escape(s.label)}</text>`);
  });
  return out.join('\n');
}

/**
 * Throughput against latency, one panel per scenario and payload: each line is one system, its
 * points the concurrencies (labelled), log scales on both axes; baselines dashed. Plain SVG.
 */
export function renderChart(points: readonly PointResult[], subtitle: string): string {
  const list = panels(points);
  const columns = Math.min(2, Math.max(1, list.length));
  const rows = Math.ceil(list.length / columns);
  const width = columns * PANEL_W;
  const height = rows * PANEL_H + 40;
  const body = list.map((panel, i) => renderPanel(panel.title, panel.series, (i % columns) * PANEL_W, 40 + Math.floor(i / columns) * PANEL_H));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">Junction benchmark: throughput against p50 latency (labels: concurrency)</text>`,
    `<text x="${width / 2}" y="33" text-anchor="middle" font-size="10" fill="#555">${escape(subtitle)}</text>`,
    ...body,
    '</svg>',
  ].join('\n');
}
