import type { Command } from 'commander';
import type { StoreMaintenance } from '../app';
import { JunctionError } from '../core/errors';
import type { KeyCounts, PayloadKeyUsage, RekeyProgress } from '../store/typeorm/payload-keys';
import type { CliIo } from './cli-io';
import { CliLogger } from './cli-logger';
import { CLI_EXIT, CliStop, stopWith } from './exit-codes';
import { runCommand } from './run-command';
import { renderTable } from './table';

/** Options every `junction store` command takes. */
interface StoreOptions {
  readonly config?: string;
  readonly json?: boolean;
  readonly verbose?: boolean;
}

interface RekeyCommandOptions extends StoreOptions {
  readonly encryptPlain?: boolean;
  readonly batch?: string;
}

/** The configured log (started) and cipher; the caller closes the log. */
async function openStore(options: StoreOptions, io: CliIo): Promise<StoreMaintenance> {
  // Loaded here, not at the top: the app takes a second to load, and the other commands never need it.
  const { loadConfig } = await import('../config/load-config.js');
  const { configFile } = await import('./offline-build.js');
  const { buildStoreMaintenance } = await import('../app.js');
  const logger = new CliLogger(io.err, { level: options.verbose ? 'debug' : 'warn' });
  let maintenance;
  try {
    maintenance = buildStoreMaintenance(loadConfig(configFile(options.config)), logger);
  } catch (error) {
    throw stopWith(CLI_EXIT.USAGE, error);
  }
  try {
    await maintenance.log.start();
  } catch (error) {
    throw stopWith(CLI_EXIT.UNAVAILABLE, error);
  }
  return maintenance;
}

/** Runs `body` on the opened store, closing it after; store errors become exit codes. */
async function withStore<T>(options: StoreOptions, io: CliIo, body: (store: StoreMaintenance) => Promise<T>): Promise<T> {
  const store = await openStore(options, io);
  try {
    return await body(store);
  } catch (error) {
    if (error instanceof JunctionError && error.code === 'JCT_STORE_UNAVAILABLE') throw new CliStop(CLI_EXIT.UNAVAILABLE, error.message);
    if (error instanceof JunctionError && error.code.startsWith('JCT_CONFIG')) throw new CliStop(CLI_EXIT.USAGE, error.message);
    throw error;
  } finally {
    await store.log.close().catch(() => undefined);
  }
}

/** Key ids in a stable order: the writing key first, then the others by name. */
function keyIds(usage: PayloadKeyUsage, writing: string | undefined): string[] {
  const ids = new Set([...Object.keys(usage.messages.byKey), ...Object.keys(usage.stages.byKey)]);
  if (writing !== undefined) ids.delete(writing);
  return [...(writing !== undefined ? [writing] : []), ...[...ids].sort()];
}

const total = (counts: KeyCounts, id: string): number => counts.byKey[id] ?? 0;

/** The usage table and what to do next, for people. */
function renderUsage(usage: PayloadKeyUsage, writing: string | undefined, configured: readonly string[]): string {
  const ids = keyIds(usage, writing);
  const label = (id: string): string => `${id}${id === writing ? ' (writes)' : configured.includes(id) ? '' : ' (not configured)'}`;
  const row = (name: string, counts: KeyCounts): string[] => [name, String(counts.plain), ...ids.map((id) => String(total(counts, id)))];
  let text = renderTable(['PAYLOADS', 'IN CLEAR', ...ids.map(label)], [row('messages', usage.messages), row('stages', usage.stages)]);
  const older = ids.filter((id) => id !== writing && total(usage.messages, id) + total(usage.stages, id) > 0);
  const unused = configured.filter((id) => id !== writing && !older.includes(id));
  if (older.length > 0) text += `\nPayloads of ${older.join(', ')} remain: run "junction store rekey" to rewrite them with ${writing ?? 'the writing key'} before removing ${older.length > 1 ? 'those keys' : 'that key'}.\n`;
  if (unused.length > 0) text += `\nNo stored payload uses ${unused.join(', ')}: ${unused.length > 1 ? 'they' : 'it'} can be removed from security.payloadEncryption.keys.\n`;
  if (usage.messages.plain + usage.stages.plain > 0 && writing !== undefined) text += '\nPayloads stored in clear (before encryption was on) stay so; "junction store rekey --encrypt-plain" encrypts them too.\n';
  return text;
}

function renderProgress(progress: RekeyProgress): string {
  return `scanned ${progress.scanned}, rewritten ${progress.rewritten}${progress.unreadable > 0 ? `, unreadable ${progress.unreadable}` : ''}`;
}

/**
 * `junction store keys` and `junction store rekey`: which key encrypted the stored payloads, and
 * rewriting them with the current key after a rotation (docs/security.md, "Key rotation"). They
 * work on the database named by the configuration, next to a running Junction or without one.
 */
export function registerStoreCommands(program: Command, io: CliIo, finish: (code: number) => void): void {
  const group = program.command('store').description('maintain the transaction log: payload encryption keys');
  const common = (command: Command): Command => command
    .option('-c, --config <file>', 'configuration file (default: $JUNCTION_CONFIG, else config/default.yaml)')
    .option('--json', 'print one JSON document')
    .option('--verbose', 'log what the store does (stderr)');

  common(group.command('keys'))
    .description('count the stored payloads each encryption key wrote, and those in clear')
    .action(async (options: StoreOptions) => {
      finish(await runCommand(io, options.json === true, () => withStore(options, io, async ({ log, cipher }) => {
        const usage = await log.payloadKeyUsage();
        const writing = cipher?.encryptsNew ? cipher.writingKeyId : undefined;
        const configured = cipher?.keyIds ?? [];
        if (options.json) io.out(`${JSON.stringify({ ok: true, writingKey: writing ?? null, configuredKeys: configured, ...usage }, null, 2)}\n`);
        else io.out(renderUsage(usage, writing, configured));
        return CLI_EXIT.OK;
      })));
    });

  common(group.command('rekey'))
    .description('rewrite every stored payload of an older key with the writing key (the first of security.payloadEncryption.keys)')
    .option('--encrypt-plain', 'also encrypt payloads stored in clear')
    .option('--batch <rows>', 'rows per batch (1-5000, default 500)')
    .action(async (options: RekeyCommandOptions) => {
      const batchSize = options.batch === undefined ? undefined : Number(options.batch);
      finish(await runCommand(io, options.json === true, async () => {
        if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 5000)) {
          throw new CliStop(CLI_EXIT.USAGE, '--batch must be a whole number from 1 to 5000.');
        }
        return withStore(options, io, async ({ log, cipher }) => {
          if (!cipher) throw new CliStop(CLI_EXIT.USAGE, 'Payload encryption is not configured (security.payloadEncryption): there is no key to rewrite payloads with.');
          const result = await log.rekeyPayloads(cipher, {
            encryptPlain: options.encryptPlain === true, ...(batchSize !== undefined ? { batchSize } : {}),
            ...(options.json ? {} : { onProgress: (p: RekeyProgress) => io.err(`${renderProgress(p)}\n`) }),
          });
          const ok = result.unreadable === 0;
          if (options.json) io.out(`${JSON.stringify({ ok, writingKey: cipher.writingKeyId, ...result }, null, 2)}\n`);
          else {
            io.out(`Rewrote ${result.rewritten} of ${result.scanned} stored payloads with key ${cipher.writingKeyId}.\n`);
            if (!ok) {
              io.out(`${result.unreadable} could not be decrypted and were left as they are (key not configured, or the row was changed): ${result.unreadableRows.join(', ')}${result.unreadable > result.unreadableRows.length ? ', …' : ''}\n`
                + 'Add the missing key to security.payloadEncryption.keys and run again, or leave them to retention.\n');
            }
          }
          return ok ? CLI_EXIT.OK : CLI_EXIT.FAILED;
        });
      }));
    });
}
