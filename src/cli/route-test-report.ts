import type { CliIo } from './cli-io';
import { prettyBody } from './pretty-body';
import type { ReportedError, ReportStage, RouteTestReport } from './route-test';

const INDENT = '    ';

function indented(text: string, indent = INDENT): string {
  return text.split('\n').map((line) => (line === '' ? line : indent + line)).join('\n');
}

/** An error as lines: `CODE: message`, each violation, the cause of an unexpected one. */
export function errorLines(error: ReportedError): string[] {
  const lines = [`${error.code}: ${error.message}`];
  for (const v of error.violations ?? []) lines.push(`  - ${v.path || '(root)'}: ${v.message}`);
  if (error.cause) lines.push(`  cause: ${error.cause}`);
  return lines;
}

function stageBlock(stage: ReportStage, io: CliIo): string {
  const mark = stage.error ? io.style('red', '✘') : io.style('green', '✔');
  const facts = [`${stage.durationMs} ms`, stage.contentType, stage.detail].filter((f) => f !== undefined && f !== '');
  const lines = [`${mark} ${io.style('bold', stage.stage)}  ${io.style('dim', facts.join('  '))}`];
  if (stage.error) lines.push(indented(errorLines(stage.error).join('\n')));
  else if (stage.output !== undefined) lines.push(indented(prettyBody(stage.output, stage.contentType)));
  return lines.join('\n');
}

/**
 * The human form of a route test: the message, every stage with its output (JSON and XML
 * indented, numbers as written) and time, then each recipient's request exactly as the endpoint
 * would send it (headers and body bytes as they are, only indented), then the verdict.
 */
export function renderRouteTest(report: RouteTestReport, io: CliIo): string {
  const out: string[] = [];
  out.push(`Route ${io.style('bold', report.route)} (${report.pattern}) from ${report.config}`);
  out.push(`Sample ${report.sample.file} as ${report.sample.contentType}`);
  if (report.message) {
    const key = report.message.businessKey === undefined ? '' : `, business key ${report.message.businessKey}`;
    out.push(`Message ${report.message.id} from ${report.message.source}${key}`);
  }
  out.push('');
  for (const stage of report.stages) out.push(stageBlock(stage, io));
  for (const delivery of report.deliveries) {
    out.push('');
    if (!delivery.request) {
      out.push(`${io.style('red', '✘')} ${io.style('bold', delivery.endpoint)}: no request could be built`);
      continue;
    }
    const { request } = delivery;
    out.push(`${io.style('cyan', '→')} ${io.style('bold', delivery.endpoint)} would receive (not sent):`);
    out.push(indented(`${request.method} ${request.url}`));
    for (const [name, value] of Object.entries(request.headers)) out.push(indented(`${name}: ${value}`));
    out.push('');
    out.push(indented(request.body));
  }
  out.push('');
  if (!report.failure && report.notRun.length > 0) out.push(`Not run offline: ${report.notRun.join('; ')}.`);
  const steps = report.stages.filter((s) => s.stage.startsWith('step:') && !s.error).length;
  if (report.failure) {
    out.push(`${io.style('red', 'FAILED')} at ${report.failure.stage}: ${report.failure.error.code}. Nothing was delivered.`);
  } else {
    const n = report.deliveries.length;
    out.push(`${io.style('green', 'OK')}: ${steps} step${steps === 1 ? '' : 's'} run, ${n} deliver${n === 1 ? 'y' : 'ies'} previewed. Nothing was delivered.`);
  }
  return `${out.join('\n')}\n`;
}
