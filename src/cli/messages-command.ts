import type { Command } from 'commander';
import { prettyBody } from '../core/pretty-body';
import { AdminClient, adminTarget, type ConnectionOptions } from './admin-client';
import type { CliIo } from './cli-io';
import { CLI_EXIT } from './exit-codes';
import { runCommand } from './run-command';
import { pageFooter, renderTable, shortTime } from './table';

/** Filter options shared by `messages list` and bulk `replay`. */
export interface FilterOptions {
  readonly status?: string;
  readonly route?: string;
  readonly endpoint?: string;
  readonly errorCode?: string;
  readonly group?: string;
  readonly businessKey?: string;
  readonly correlationId?: string;
  readonly from?: string;
  readonly to?: string;
  readonly unresolved?: boolean;
}

/** Adds the connection options (--url, --token, --api-key, --cert/--key/--ca) to a command. */
export function withConnection(command: Command): Command {
  return command
    .option('--url <url>', 'Junction\'s base URL (default: $JUNCTION_URL, else http://127.0.0.1:8080)')
    .option('--token <token>', 'admin token or bearer JWT (default: $JUNCTION_TOKEN)')
    .option('--api-key <key>', 'a client\'s API key instead (default: $JUNCTION_API_KEY; header $JUNCTION_API_KEY_HEADER, else X-Api-Key)')
    .option('--cert <file>', 'TLS client certificate (PEM) that names a client, for mutual TLS (default: $JUNCTION_CERT)')
    .option('--key <file>', 'its private key (PEM) (default: $JUNCTION_KEY)')
    .option('--ca <file>', 'CA (PEM) that signs Junction\'s server certificate, if not a public one (default: $JUNCTION_CA)');
}

/** Adds the message filter options to a command. */
export function withFilter(command: Command): Command {
  return command
    .option('--status <list>', 'status, or a comma-separated list (FAILED, DELIVERED, RETRYING, ...)')
    .option('--route <id>', 'route id')
    .option('--endpoint <name>', 'endpoint of the last error')
    .option('--error-code <code>', 'code of the last error, e.g. JCT_ENDPOINT_REJECTED')
    .option('--group <key>', 'failure group (the key `messages groups` shows)')
    .option('--business-key <key>', 'business key, e.g. an order id')
    .option('--correlation-id <id>', 'correlation id')
    .option('--from <time>', 'received at or after (ISO 8601)')
    .option('--to <time>', 'received before (ISO 8601)')
    .option('--unresolved', 'only FAILED messages nobody has replayed or resolved');
}

/** The API's filter fields from the options. */
export function filterOf(o: FilterOptions): Record<string, string | boolean | undefined> {
  return {
    status: o.status, route: o.route, endpoint: o.endpoint, errorCode: o.errorCode, errorGroup: o.group,
    businessKey: o.businessKey, correlationId: o.correlationId, from: o.from, to: o.to, ...(o.unresolved ? { unresolved: true } : {}),
  };
}

interface Summary { id: string; routeId: string; status: string; attempts: number; businessKey?: string; receivedAt: string; lastError?: { code: string; message: string }; resolution?: string; replayOf?: string }
interface Stage { seq: number; stage: string; status: string; attempt: number; at: string; durationMs?: number; endpoint?: string; detail?: string; error?: { code: string; message: string; violations?: { path: string; message: string }[] }; payload?: string; prettyPayload?: string }
interface Group { routeId: string; endpoint?: string; errorCode: string; message: string; count: number; errorGroup: string; lastReceivedAt: string }

/** `junction messages list|show|groups`: find failed messages and look at them, over the admin API. */
export function registerMessagesCommands(program: Command, io: CliIo, finish: (code: number) => void): void {
  const group = program.command('messages').description('find and inspect messages in a running Junction (admin API)');

  withConnection(withFilter(group.command('list')))
    .description('list messages, newest first, with filters; --all follows every page')
    .option('--limit <n>', 'messages per page (1-1000, default 50)')
    .option('--cursor <cursor>', 'continue after a previous page (the "next" it printed)')
    .option('--all', 'fetch every page (progress on stderr)')
    .option('--json', 'print one JSON document instead of a table')
    .action(async (options: FilterOptions & ConnectionOptions & { limit?: string; cursor?: string; all?: boolean; json?: boolean }) => {
      finish(await runCommand(io, options.json === true, async () => {
        const client = new AdminClient(adminTarget(options));
        const items: Summary[] = [];
        let cursor = options.cursor;
        let next: string | null = null;
        do {
          const page = await client.get<{ items: Summary[]; next: string | null }>('/messages', { ...filterOf(options), limit: options.limit, cursor });
          items.push(...page.items);
          next = page.next;
          cursor = next ?? undefined;
          if (options.all && next) io.err(`… ${items.length} messages so far\n`);
        } while (options.all && next);
        if (options.json) {
          io.out(`${JSON.stringify({ items, next }, null, 2)}\n`);
          return CLI_EXIT.OK;
        }
        io.out(renderTable(['ID', 'RECEIVED', 'ROUTE', 'STATUS', 'TRIES', 'KEY', 'LAST ERROR'], items.map((m) => [
          m.id, shortTime(m.receivedAt), m.routeId, m.resolution ? `${m.status} (${m.resolution})` : m.status, String(m.attempts),
          m.businessKey ?? '', m.lastError ? `${m.lastError.code}: ${m.lastError.message}` : '',
        ])));
        io.out(pageFooter(items.length, { one: 'message', many: 'messages' }, next || null));
        return CLI_EXIT.OK;
      }));
    });

  withConnection(group.command('show'))
    .description('a message\'s details and full stage timeline, with each step\'s payload (--payloads) and errors')
    .argument('<message-id>', 'the message id')
    .option('--payloads', 'print every stage\'s payload, pretty-printed')
    .option('--json', 'print the API\'s JSON')
    .action(async (id: string, options: ConnectionOptions & { payloads?: boolean; json?: boolean }) => {
      finish(await runCommand(io, options.json === true, async () => {
        const client = new AdminClient(adminTarget(options));
        const m = await client.get<Summary & { correlationId: string; contentType: string; payload: string; prettyPayload?: string; stages: Stage[]; replays: Summary[]; replayedBy?: string; failedStage?: string }>(`/messages/${encodeURIComponent(id)}`, { pretty: true });
        if (options.json) {
          io.out(`${JSON.stringify(m, null, 2)}\n`);
          return CLI_EXIT.OK;
        }
        io.out(`${io.style('bold', `Message ${m.id}`)}  ${m.status}${m.resolution ? ` (${m.resolution}${m.replayedBy ? ` by ${m.replayedBy}` : ''})` : ''}\n`);
        io.out(`  route ${m.routeId}, business key ${m.businessKey ?? '-'}, correlation ${m.correlationId}, ${m.attempts} attempt(s), received ${shortTime(m.receivedAt)}\n`);
        if (m.replayOf) io.out(`  replay of ${m.replayOf}\n`);
        if (m.lastError) io.out(`  last error ${io.style('red', m.lastError.code)}: ${m.lastError.message}\n`);
        io.out(`\nTimeline\n`);
        io.out(renderTable(['#', 'AT', 'STAGE', 'STATUS', 'TRY', 'MS', 'DETAIL / ERROR'], m.stages.map((s) => [
          String(s.seq), shortTime(s.at), s.stage, s.status, String(s.attempt), s.durationMs === undefined ? '' : String(s.durationMs),
          s.error ? `${s.error.code}: ${s.error.message}` : s.detail ?? '',
        ]), 80));
        if (options.payloads) {
          io.out(`\nPayload as received (${m.contentType})\n${indent(m.prettyPayload ?? m.payload)}\n`);
          for (const s of m.stages.filter((x) => x.payload !== undefined)) io.out(`\n${s.stage} (#${s.seq})\n${indent(s.prettyPayload ?? prettyBody(s.payload ?? '', ''))}\n`);
        }
        if (m.replays.length > 0) io.out(`\nReplays\n${renderTable(['ID', 'RECEIVED', 'STATUS'], m.replays.map((r) => [r.id, shortTime(r.receivedAt), r.status]))}`);
        return CLI_EXIT.OK;
      }));
    });

  withConnection(group.command('groups'))
    .description('unresolved failures grouped by cause (route, endpoint, error code, message), largest first')
    .option('--route <id>', 'one route')
    .option('--json', 'print one JSON document instead of a table')
    .action(async (options: ConnectionOptions & { route?: string; json?: boolean }) => {
      finish(await runCommand(io, options.json === true, async () => {
        const client = new AdminClient(adminTarget(options));
        const { items } = await client.get<{ items: Group[] }>('/failure-groups', { route: options.route });
        if (options.json) io.out(`${JSON.stringify({ items }, null, 2)}\n`);
        else {
          io.out(renderTable(['COUNT', 'ROUTE', 'ENDPOINT', 'CODE', 'MESSAGE', 'GROUP', 'LATEST'], items.map((g) => [
            String(g.count), g.routeId, g.endpoint ?? '', g.errorCode, g.message, g.errorGroup, shortTime(g.lastReceivedAt),
          ]), 60));
          io.out(`Replay a group: junction replay --group <GROUP> --route <ROUTE> --reason "…" (add --dry-run first)\n`);
        }
        return CLI_EXIT.OK;
      }));
    });
}

function indent(text: string): string {
  return text.split('\n').map((line) => `    ${line}`).join('\n');
}
