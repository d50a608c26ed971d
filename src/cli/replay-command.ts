import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { AdminClient, adminTarget, type ConnectionOptions } from './admin-client';
import type { CliIo } from './cli-io';
import { CLI_EXIT, CliStop } from './exit-codes';
import { filterOf, withConnection, withFilter, type FilterOptions } from './messages-command';
import { runCommand } from './run-command';
import { renderTable } from './table';

interface ReplayOptions extends FilterOptions, ConnectionOptions {
  readonly fromStep?: boolean;
  readonly payloadFile?: string;
  readonly contentType?: string;
  readonly reason?: string;
  readonly force?: boolean;
  readonly dryRun?: boolean;
  readonly rate?: string;
  readonly limit?: string;
  readonly wait: boolean;
  readonly json?: boolean;
}

interface DiffLine { op: string; text: string }
interface DryStage { stage: string; change: string; diff?: { lines: DiffLine[] }; dryRun?: { error?: { code: string; message: string } }; original?: { error?: { code: string; message: string } } }
interface DryReport { verdict: string; from: string; resumeAt?: string; failure?: { stage: string; error: { code: string; message: string } }; stages: DryStage[]; deliveries: { endpoint: string; skipped: boolean; request?: { method: string; url: string } }[] }
interface Job { id: string; status: string; total: number; replayed: number; skipped: number; failed: number; ratePerSecond: number; createdBy: string; reason: string; lastError?: { code: string; message: string } }

const MARK: Readonly<Record<string, string>> = {
  same: '=', changed: '~', fixed: '✔', untried: '…', 'still-failing': '✘', 'now-failing': '✘', new: '+', 'not-run': '-', 'not-captured': '?', skipped: '↷',
};

/**
 * Changes after which the original run's error is worth showing as `was: …`: `fixed` (it passes
 * now) and `untried` (a delivery built but not sent, so the operator sees what the backend said
 * last time and that nobody has asked it again).
 */
const SHOWS_ORIGINAL_ERROR: ReadonlySet<string> = new Set(['fixed', 'untried']);

/** The verdict line of a dry-run that would deliver: it says what was not tried, so nobody reads it as "the backend is fixed". */
const WOULD_DELIVER = 'Would deliver, as far as Junction can tell: the steps pass and the requests are built; a dry-run does not call the backend.';

/** Prints a dry-run: each stage against the original run, with the changed lines. */
export function renderDryRun(report: DryReport, io: CliIo): string {
  const out: string[] = [`Dry-run from ${report.from}${report.resumeAt ? ` (starting at ${report.resumeAt})` : ''}: nothing was sent or recorded.`, ''];
  for (const s of report.stages) {
    const error = s.dryRun?.error ?? (s.change === 'still-failing' ? s.original?.error : undefined);
    out.push(`${MARK[s.change] ?? ' '} ${s.stage.padEnd(40)} ${s.change}${error ? `  ${error.code}: ${error.message}` : ''}`);
    if (SHOWS_ORIGINAL_ERROR.has(s.change) && s.original?.error) out.push(`    was: ${s.original.error.code}: ${s.original.error.message}`);
    for (const line of (s.diff?.lines ?? []).filter((l) => l.op !== ' ').slice(0, 40)) out.push(`    ${line.op === '+' ? io.style('green', `+ ${line.text}`) : io.style('red', `- ${line.text}`)}`);
  }
  for (const d of report.deliveries) out.push(`→ ${d.endpoint}: ${d.skipped ? 'skipped (the original reached it)' : d.request ? `would send ${d.request.method} ${d.request.url}` : 'request could not be built'}`);
  out.push('', report.verdict === 'would-deliver' ? io.style('green', WOULD_DELIVER) : io.style('red', `Would fail at ${report.failure?.stage}: ${report.failure?.error.code}: ${report.failure?.error.message}`));
  return `${out.join('\n')}\n`;
}

/** What `replay jobs|watch|pause|resume|cancel` read from their options. */
interface JobOptions extends ConnectionOptions {
  readonly reason?: string;
  readonly json?: boolean;
}

/**
 * A job subcommand's options, over those given to `replay` before its name (`replay --json jobs`),
 * so an option is honoured on either side of the subcommand and the one after it wins.
 */
function jobOptions(command: Command): JobOptions {
  return command.optsWithGlobals<JobOptions>();
}

function progressLine(job: Job): string {
  const done = job.replayed + job.skipped + job.failed;
  const pct = job.total > 0 ? Math.floor((done / job.total) * 100) : 100;
  return `job ${job.id}: ${job.status}  ${done}/${job.total} (${pct}%)  replayed ${job.replayed}, skipped ${job.skipped}, failed ${job.failed}`;
}

/** Follows a job until it stops running, printing progress on stderr; exit 0 only when it completed cleanly. */
async function follow(client: AdminClient, id: string, io: CliIo, json: boolean): Promise<number> {
  let job = await client.get<Job>(`/replay-jobs/${id}`);
  let shown = '';
  while (job.status === 'running') {
    const line = progressLine(job);
    if (line !== shown) io.err(`${line}\n`);
    shown = line;
    await sleep(1000);
    job = await client.get<Job>(`/replay-jobs/${id}`);
  }
  io.err(`${progressLine(job)}${job.lastError ? `  last error ${job.lastError.code}: ${job.lastError.message}` : ''}\n`);
  if (json) io.out(`${JSON.stringify(job, null, 2)}\n`);
  return job.status === 'completed' && job.failed === 0 ? CLI_EXIT.OK : CLI_EXIT.FAILED;
}

/** `junction replay`: one message by id, or every unresolved failure matching a filter as a paced job; `--dry-run` first. */
export function registerReplayCommands(program: Command, io: CliIo, finish: (code: number) => void): void {
  const replay = withConnection(withFilter(program.command('replay')))
    .description('replay one failed message (by id) or, with filters, every unresolved failure matching them as a bulk job; --dry-run shows what would happen')
    .argument('[message-id]', 'one message to replay; without it, the filters pick the messages')
    .option('--from-step', 'start at the failed step with its input (needs the route to capture steps), instead of the original payload')
    .option('--payload-file <file>', 'replay with this (edited) payload instead; checked against the route; needs --reason')
    .option('--content-type <type>', 'content type of --payload-file')
    .option('--reason <text>', 'why, for the audit trail (needed for bulk, edited and forced replays)')
    .option('--force', 'admin only: replay a DELIVERED or already replayed message, to every recipient')
    .option('--dry-run', 'run through the current route without delivering: per-step diff against the original run (bulk: a sample)')
    .option('--rate <n>', 'bulk: messages per second (default: the server\'s admin.replay.ratePerSecond)')
    .option('--limit <n>', 'bulk --dry-run: how many messages to try (default 20)')
    .option('--no-wait', 'bulk: print the job and return instead of following its progress')
    .option('--json', 'print one JSON document')
    // `replay jobs --json`: options after a subcommand's name are the subcommand's (commander would
    // otherwise hand --url, --token, --json, --reason to `replay`, which defines them too).
    .enablePositionalOptions();
  replay.action(async (id: string | undefined, options: ReplayOptions) => {
    finish(await runCommand(io, options.json === true, async () => {
      const client = new AdminClient(adminTarget(options));
      const from = options.fromStep ? 'failed-step' : 'original';
      if (id !== undefined) {
        let payload: string | undefined;
        if (options.payloadFile) {
          try {
            payload = readFileSync(options.payloadFile, 'utf8');
          } catch {
            throw new CliStop(CLI_EXIT.USAGE, `Payload file ${options.payloadFile} cannot be read.`);
          }
        }
        const body = { from, ...(payload !== undefined ? { payload } : {}), ...(options.contentType ? { contentType: options.contentType } : {}),
          ...(options.reason ? { reason: options.reason } : {}), ...(options.force ? { force: true } : {}) };
        if (options.dryRun) {
          const report = await client.post<DryReport>(`/messages/${encodeURIComponent(id)}/dry-run`, body);
          io.out(options.json ? `${JSON.stringify(report, null, 2)}\n` : renderDryRun(report, io));
          return report.verdict === 'would-deliver' ? CLI_EXIT.OK : CLI_EXIT.FAILED;
        }
        const result = await client.post<{ replayId: string; skipped: string[]; resumeAt?: string }>(`/messages/${encodeURIComponent(id)}/replay`, body);
        io.out(options.json ? `${JSON.stringify(result, null, 2)}\n`
          : `Replayed ${id} as ${result.replayId}${result.resumeAt ? ` (from ${result.resumeAt})` : ''}${result.skipped.length ? `; skipping ${result.skipped.join(', ')} (already reached)` : ''}.\nFollow it: junction messages show ${result.replayId}\n`);
        return CLI_EXIT.OK;
      }
      const filter = filterOf(options);
      if (Object.values(filter).every((v) => v === undefined)) {
        throw new CliStop(CLI_EXIT.USAGE, 'Give a message id, or filters (--route, --group, --error-code, …) to replay in bulk.');
      }
      if (options.dryRun) {
        const summary = await client.post<{ matched: number; tried: number; wouldDeliver: number; wouldFail: number; failures: { stage: string; code: string; message: string; count: number; sampleId: string }[] }>(
          '/dry-runs', { filter, from, ...(options.limit ? { limit: Number(options.limit) } : {}) });
        if (options.json) io.out(`${JSON.stringify(summary, null, 2)}\n`);
        else {
          io.out(`Dry-run of ${summary.tried} of ${summary.matched} matching failures: ${summary.wouldDeliver} would deliver, ${summary.wouldFail} would fail. Nothing was sent.\n`);
          if (summary.failures.length > 0) io.out(renderTable(['COUNT', 'STAGE', 'CODE', 'MESSAGE', 'SAMPLE'], summary.failures.map((f) => [String(f.count), f.stage, f.code, f.message, f.sampleId]), 60));
        }
        return summary.wouldFail === 0 ? CLI_EXIT.OK : CLI_EXIT.FAILED;
      }
      if (!options.reason) throw new CliStop(CLI_EXIT.USAGE, 'A bulk replay needs --reason (it goes to the audit trail).');
      const job = await client.post<Job>('/replay-jobs', { filter, from, reason: options.reason, ...(options.rate ? { ratePerSecond: Number(options.rate) } : {}) });
      io.err(`Started replay job ${job.id}: ${job.total} message(s) at ${job.ratePerSecond}/s. Pause: junction replay pause ${job.id}\n`);
      if (!options.wait) {
        if (options.json) io.out(`${JSON.stringify(job, null, 2)}\n`);
        else io.out(`${job.id}\n`);
        return CLI_EXIT.OK;
      }
      return follow(client, job.id, io, options.json === true);
    }));
  });

  withConnection(replay.command('jobs'))
    .description('bulk replay jobs, newest first')
    .option('--json', 'print one JSON document')
    .action(async (_options: unknown, command: Command) => {
      const options = jobOptions(command);
      finish(await runCommand(io, options.json === true, async () => {
        const { items } = await new AdminClient(adminTarget(options)).get<{ items: (Job & { createdAt: string })[] }>('/replay-jobs');
        io.out(options.json ? `${JSON.stringify({ items }, null, 2)}\n` : renderTable(['ID', 'STATUS', 'DONE', 'REPLAYED', 'SKIPPED', 'FAILED', 'RATE', 'BY', 'REASON'], items.map((j) => [
          j.id, j.status, `${j.replayed + j.skipped + j.failed}/${j.total}`, String(j.replayed), String(j.skipped), String(j.failed), `${j.ratePerSecond}/s`, j.createdBy, j.reason,
        ])));
        return CLI_EXIT.OK;
      }));
    });

  for (const action of ['pause', 'resume', 'cancel', 'watch'] as const) {
    const control = withConnection(replay.command(action))
      .description(action === 'watch' ? 'follow a bulk replay job\'s progress until it stops' : `${action} a bulk replay job`)
      .argument('<job-id>', 'the job id');
    if (action !== 'watch') control.option('--reason <text>', 'why, for the audit trail'); // watching changes nothing, so nothing to audit
    control
      .option('--json', 'print one JSON document')
      .action(async (jobId: string, _options: unknown, command: Command) => {
        const options = jobOptions(command);
        finish(await runCommand(io, options.json === true, async () => {
          const client = new AdminClient(adminTarget(options));
          if (action === 'watch') return follow(client, jobId, io, options.json === true);
          const job = await client.post<Job>(`/replay-jobs/${encodeURIComponent(jobId)}/${action}`, options.reason ? { reason: options.reason } : {});
          io.out(options.json ? `${JSON.stringify(job, null, 2)}\n` : `${progressLine(job)}\n`);
          return CLI_EXIT.OK;
        }));
      });
  }
}
