import type { Command } from 'commander';
import { AdminClient, adminTarget, type ConnectionOptions } from './admin-client';
import type { CliIo } from './cli-io';
import { CLI_EXIT } from './exit-codes';
import { withConnection } from './messages-command';
import { runCommand } from './run-command';
import { pageFooter, renderTable, shortTime } from './table';

interface AuditEntry { seq: number; at: string; actor: string; role: string; method?: string; action: string; messageId?: string; replayId?: string; jobId?: string; reason?: string; detail?: Record<string, unknown> }

/** `alice (operator)`; how the actor signed in is added unless it was an admin token: `crm-ops (operator, jwt)`. */
function who(a: AuditEntry): string {
  return `${a.actor} (${a.role}${a.method && a.method !== 'admin-token' ? `, ${a.method}` : ''})`;
}

/** `junction audit`: who replayed, resolved, paused what, when and why. */
export function registerAuditCommand(program: Command, io: CliIo, finish: (code: number) => void): void {
  withConnection(program.command('audit'))
    .description('the audit trail of operators\' actions (replays, resolutions, bulk jobs), newest first')
    .option('--message <id>', 'entries about this message (as original or as replay)')
    .option('--job <id>', 'entries of this bulk replay job')
    .option('--actor <name>', 'entries by this principal')
    .option('--action <action>', 'replay, resolve, replay-job.create|pause|resume|cancel')
    .option('--limit <n>', 'entries per page (1-1000, default 50)')
    .option('--cursor <cursor>', 'continue after a previous page (the "more: --cursor" it printed)')
    .option('--json', 'print one JSON document')
    .action(async (options: ConnectionOptions & { message?: string; job?: string; actor?: string; action?: string; limit?: string; cursor?: string; json?: boolean }) => {
      finish(await runCommand(io, options.json === true, async () => {
        const page = await new AdminClient(adminTarget(options)).get<{ items: AuditEntry[]; next: number | null }>('/audit', {
          messageId: options.message, jobId: options.job, actor: options.actor, action: options.action, limit: options.limit, cursor: options.cursor,
        });
        if (options.json) {
          io.out(`${JSON.stringify(page, null, 2)}\n`);
          return CLI_EXIT.OK;
        }
        io.out(renderTable(['AT', 'WHO', 'ACTION', 'MESSAGE', 'REPLAY / JOB', 'REASON', 'WHAT'], page.items.map((a) => [
          shortTime(a.at), who(a), a.action, a.messageId ?? '', a.replayId ?? a.jobId ?? '', a.reason ?? '',
          a.detail ? Object.entries(a.detail).filter(([k]) => k !== 'payloadDiff').map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ') : '',
        ]), 60));
        io.out(pageFooter(page.items.length, { one: 'entry', many: 'entries' }, page.next ?? null));
        return CLI_EXIT.OK;
      }));
    });
}
