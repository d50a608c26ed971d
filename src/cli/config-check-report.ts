import type { CliIo } from './cli-io';
import type { ConfigCheckProblem, ConfigCheckResult } from './config-check';

function problemLine(problem: ConfigCheckProblem): string {
  return `  - ${problem.location ? `${problem.location}: ` : ''}${problem.message}`;
}

/** The problems, as `junction start` reports them: one line each, with file:line:column and path. */
export function renderConfigProblems(result: ConfigCheckResult): string {
  const n = result.problems.length;
  return `junction: Configuration ${result.file} has ${n} problem${n === 1 ? '' : 's'}:\n${result.problems.map(problemLine).join('\n')}\n`;
}

function column(text: string, width: number): string {
  return text.length >= width ? `${text} ` : text.padEnd(width);
}

/** The summary of a valid configuration: SOAP services, endpoints, routes with entries and chains. */
export function renderConfigSummary(result: ConfigCheckResult, io: CliIo): string {
  const summary = result.summary;
  if (!summary) return '';
  const out: string[] = [`${io.style('green', 'OK')}: configuration ${result.file} is valid.`, ''];
  const width = Math.max(12, ...[...summary.services, ...summary.endpoints, ...summary.routes.map((r) => ({ name: r.id }))].map((x) => x.name.length + 2));
  out.push(io.style('bold', `SOAP services (${summary.services.length})`));
  for (const s of summary.services) {
    out.push(`  ${column(s.name, width)}${s.path}  (WSDL ${s.wsdl}${s.idempotency === 'messageId' ? '; wsa:MessageID is the idempotency key when none is sent' : ''})`);
  }
  out.push(io.style('bold', `Endpoints (${summary.endpoints.length})`));
  for (const e of summary.endpoints) out.push(`  ${column(e.name, width)}${column(e.type, 6)}${e.target}`);
  out.push(io.style('bold', `Routes (${summary.routes.length})`));
  for (const r of summary.routes) {
    out.push(`  ${column(r.id, width)}${r.pattern}`);
    const pad = `  ${' '.repeat(width)}`;
    out.push(`${pad}entries:  ${r.entries.join(', ') || 'none'}`);
    if (r.steps.length > 0) out.push(`${pad}steps:    ${r.steps.join(' → ')}`);
    r.deliveries.forEach((d, i) => {
      const when = d.when ? ` when ${d.when}` : '';
      const steps = d.steps.length > 0 ? ` after ${d.steps.join(' → ')}` : '';
      out.push(`${pad}${i === 0 ? 'deliver:  ' : '          '}${d.endpoint}${when}${steps}`);
    });
    if (r.replySteps.length > 0) out.push(`${pad}reply:    ${r.replySteps.join(' → ')}`);
  }
  out.push('');
  out.push(`Store ${summary.store} and bus ${summary.bus} were not connected to.`);
  return `${out.join('\n')}\n`;
}
