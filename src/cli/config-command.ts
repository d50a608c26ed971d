import type { Command } from 'commander';
import type { CliIo } from './cli-io';
import { CliLogger } from './cli-logger';
import { runCommand } from './run-command';

/** Options of `junction config check`. */
interface ConfigCheckOptions {
  readonly config?: string;
  readonly json?: boolean;
  readonly verbose?: boolean;
}

/** `junction config check`: the configuration as a start would build it, connecting nothing. */
export function registerConfigCommands(program: Command, io: CliIo, finish: (code: number) => void): void {
  const group = program.command('config').description('work with configuration files');
  group.command('check')
    .description('load and compile a configuration exactly as a start would, without connecting to the database or the broker; print a summary or every problem')
    .option('-c, --config <file>', 'configuration file (default: $JUNCTION_CONFIG, else config/default.yaml)')
    .option('--json', 'print one JSON document instead of text')
    .option('--verbose', 'also log what the app does while it is built (stderr)')
    .action(async (options: ConfigCheckOptions) => {
      finish(await runCommand(io, options.json === true, async () => {
        // Loaded here, not at the top: it brings the whole app, which operator commands never need.
        const { checkConfig, configCheckExitCode } = await import('./config-check.js');
        const { renderConfigProblems, renderConfigSummary } = await import('./config-check-report.js');
        const logger = new CliLogger(io.err, { level: options.verbose ? 'debug' : 'warn', echoErrors: false });
        const result = await checkConfig(options.config, logger);
        if (options.json) io.out(`${JSON.stringify(result, null, 2)}\n`);
        else if (result.ok) io.out(renderConfigSummary(result, io));
        if (!result.ok) io.err(renderConfigProblems(result));
        return configCheckExitCode(result);
      }));
    });
}
