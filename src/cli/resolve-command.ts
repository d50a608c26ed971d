import type { Command } from 'commander';
import { AdminClient, adminTarget, type ConnectionOptions } from './admin-client';
import type { CliIo } from './cli-io';
import { CLI_EXIT, CliStop } from './exit-codes';
import { withConnection } from './messages-command';
import { runCommand } from './run-command';

interface ResolveOptions extends ConnectionOptions {
  readonly reason?: string;
  readonly json?: boolean;
}

/** What `POST /admin/api/messages/:id/resolve` answers. */
interface Resolution { messageId: string; resolution: string }

/**
 * The reason, trimmed; a usage error without one. Checked here as well as by the API so that an
 * operator learns it before anything is sent, in the words `replay` uses for its own reason.
 */
function reasonOf(options: ResolveOptions): string {
  const reason = options.reason?.trim();
  if (!reason) throw new CliStop(CLI_EXIT.USAGE, 'Resolving a message needs --reason "…" (it goes to the audit trail): say why it needs no replay.');
  return reason;
}

/**
 * `junction resolve <id> --reason …`: marks an unresolved FAILED message handled without replaying
 * it (the console's Resolve…, the API's `POST /messages/:id/resolve`), so the CLI can do what the
 * console and the API can. Exit codes as for `replay`: 4 no such message, 1 refused (409: not an
 * unresolved FAILED message), 3 credentials or role, 5 Junction not reachable.
 */
export function registerResolveCommand(program: Command, io: CliIo, finish: (code: number) => void): void {
  withConnection(program.command('resolve'))
    .description('mark an unresolved FAILED message handled without replaying it (e.g. the customer sent it again by hand); audited')
    .argument('<message-id>', 'the FAILED message')
    .option('--reason <text>', 'why it needs no replay, for the audit trail (required)')
    .option('--json', 'print one JSON document')
    .action(async (id: string, options: ResolveOptions) => {
      finish(await runCommand(io, options.json === true, async () => {
        const reason = reasonOf(options);
        const result = await new AdminClient(adminTarget(options)).post<Resolution>(`/messages/${encodeURIComponent(id)}/resolve`, { reason });
        io.out(options.json ? `${JSON.stringify(result, null, 2)}\n`
          : `Resolved ${result.messageId}: it leaves the failure list without a replay.\nSee it: junction audit --message ${result.messageId}\n`);
        return CLI_EXIT.OK;
      }));
    });
}
