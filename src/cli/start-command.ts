import type { Command } from 'commander';
import { CLI_EXIT } from './exit-codes';

/** Options of `junction start`. */
interface StartOptions {
  readonly config?: string;
  readonly role: string;
}

/**
 * `junction start`: runs Junction (src/main.ts's main(): build, connect, listen, stop cleanly on
 * SIGINT/SIGTERM). main() reports its own errors and sets the exit code (2 configuration, 1 could
 * not start); the process keeps running while Junction does.
 */
export function registerStartCommand(program: Command, finish: (code: number) => void): void {
  program.command('start')
    .description('start Junction: gateways, workers or both')
    .option('-c, --config <file>', 'configuration file (default: $JUNCTION_CONFIG, else config/default.yaml)')
    .option('--role <role>', 'all, gateway or worker', 'all')
    .action(async (options: StartOptions) => {
      // Loaded here, not at the top: the app takes a second to load, and operator commands never need it.
      const { main } = await import('../main.js');
      const app = await main([...(options.config !== undefined ? ['--config', options.config] : []), '--role', options.role]);
      finish(app ? CLI_EXIT.OK : Number(process.exitCode ?? CLI_EXIT.FAILED));
    });
}
