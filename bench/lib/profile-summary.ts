import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The parts of a V8 .cpuprofile this summary reads. */
interface CpuProfile {
  readonly nodes: readonly { readonly id: number; readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number } }[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/**
 * Where a function lives, coarsely: an npm package (`typeorm`, `mysql2`, `amqplib`, `winston`…),
 * one of Junction's folders (`junction/src/gateway`…), Node's internals, or V8's pseudo-frames
 * (`(garbage collector)`, `(idle)`, `(program)`).
 */
export function areaOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const npm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (npm) return npm[1]!;
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0] === 'internal' ? url.slice(5).split('/').slice(0, 2).join('/') : url.slice(5)}`;
  const own = /\/dist\/((?:src|bench|examples)\/[^/]+)/.exec(url);
  if (own) return `junction/${own[1]}`;
  return url;
}

function table(title: string, totals: Map<string, number>, all: number, top: number): string {
  const rows = [...totals].sort((a, b) => b[1] - a[1]).slice(0, top);
  return [title, ...rows.map(([name, us]) => `  ${((us / all) * 100).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(7)} ms  ${name}`)].join('\n');
}

/** Self time by area and by function for one profile. */
export function summariseProfile(profile: CpuProfile, top = 20): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  let all = 0;
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id);
    const us = profile.timeDeltas[i] ?? 0;
    if (!frame) return;
    all += us;
    const area = areaOf(frame.url, frame.functionName);
    areas.set(area, (areas.get(area) ?? 0) + us);
    const name = `${frame.functionName || '(anonymous)'} ${frame.url ? `${path.basename(frame.url)}:${frame.lineNumber + 1}` : ''} [${area}]`;
    functions.set(name, (functions.get(name) ?? 0) + us);
  });
  const busy = all - (areas.get('(idle)') ?? 0);
  return [
    `sampled ${(all / 1e6).toFixed(1)} s, busy ${(busy / 1e6).toFixed(1)} s`,
    table('self time by area (share of all samples):', areas, all, top),
    table('self time by function:', functions, all, top),
  ].join('\n');
}

/** Summaries of every .cpuprofile in `dir` (one per Junction process). */
export function summariseProfiles(dir: string): string {
  if (!existsSync(dir)) return `no profiles in ${dir}`;
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort();
  return files.map((file) => `== ${file}\n${summariseProfile(JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile)}`).join('\n\n');
}
