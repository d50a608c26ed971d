import { Command, CommanderError } from 'commander';
import { JUNCTION_VERSION } from '../core/version';
import { processIo, type CliIo } from './cli-io';
import { registerAuditCommand } from './audit-command';
import { registerConfigCommands } from './config-command';
import { CLI_EXIT } from './exit-codes';
import { registerMessagesCommands } from './messages-command';
import { registerReplayCommands } from './replay-command';
import { registerResolveCommand } from './resolve-command';
import { registerRoutesCommands } from './routes-command';
import { failureDocument } from './run-command';
import { registerStartCommand } from './start-command';
import { registerStoreCommands } from './store-command';

/**
 * Parses the command line and runs one command; resolves its exit code (docs/cli.md): 0 done,
 * 1 the check or test failed, 2 a configuration or usage error (including commander's own:
 * unknown option, missing argument).
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let code: number = CLI_EXIT.OK;
  const finish = (result: number): void => { code = result; };
  const program = new Command('junction')
    .description('Junction, the enterprise service bus: check a configuration, test a route offline, start; find, inspect and replay messages of a running Junction.')
    .version(JUNCTION_VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.out(text), writeErr: (text) => io.err(text) })
    .showSuggestionAfterError();
  registerConfigCommands(program, io, finish);
  registerRoutesCommands(program, io, finish);
  registerStartCommand(program, finish);
  registerMessagesCommands(program, io, finish);
  registerReplayCommands(program, io, finish);
  registerResolveCommand(program, io, finish);
  registerAuditCommand(program, io, finish);
  registerStoreCommands(program, io, finish);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return commanderExit(error, argv, io);
    throw error;
  }
  return code;
}

/**
 * The exit code of commander's own stop: 0 after help or the version, else 2 (unknown option,
 * missing argument). Commander has put its message on stderr; with `--json` among the options
 * stdout also gets the failure document, since a script was promised one JSON document there.
 */
function commanderExit(error: CommanderError, argv: readonly string[], io: CliIo): number {
  if (error.exitCode === 0) return CLI_EXIT.OK;
  const end = argv.indexOf('--');
  // Without commander's `error: ` prefix, as the other stops' messages read.
  if ((end === -1 ? argv : argv.slice(0, end)).includes('--json')) io.out(failureDocument(CLI_EXIT.USAGE, error.message.replace(/^error: /, '')));
  return CLI_EXIT.USAGE;
}
