import type { Command } from 'commander';
import type { CliIo } from './cli-io';
import { CliLogger } from './cli-logger';
import { runCommand } from './run-command';

/** Options of `junction routes test`, as commander parses them. */
interface RoutesTestOptions {
  readonly config?: string;
  readonly contentType?: string;
  readonly header: string[];
  readonly entryCheck: boolean;
  readonly json?: boolean;
  readonly verbose?: boolean;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** `junction routes test`: one route, one sample, offline; shows every stage and the requests it would make. */
export function registerRoutesCommands(program: Command, io: CliIo, finish: (code: number) => void): void {
  const group = program.command('routes').description('work with routes');
  group.command('test')
    .description('run a route for a sample message without delivering it: every step\'s output, the recipients chosen, and the exact request each endpoint would make')
    .argument('<route-id>', 'the route, as its id in the configuration')
    .argument('<sample-file>', 'the message body (.json → application/json, .xml → application/xml)')
    .option('-c, --config <file>', 'configuration file (default: $JUNCTION_CONFIG, else config/default.yaml)')
    .option('--content-type <type>', 'content type of the sample, instead of the one its extension gives')
    .option('-H, --header <name=value>', 'a message header (conditions may read it); repeatable', collect, [])
    .option('--no-entry-check', 'skip what the entry checks before accepting a message (JSON syntax, the REST entry\'s JSON Schema)')
    .option('--json', 'print one JSON document instead of text')
    .option('--verbose', 'also log what steps and endpoints do (stderr)')
    .action(async (routeId: string, sampleFile: string, options: RoutesTestOptions) => {
      finish(await runCommand(io, options.json === true, async () => {
        // Loaded here, not at the top: it brings the whole app, which operator commands never need.
        const { routeTestExitCode, runRouteTest } = await import('./route-test.js');
        const { renderRouteTest } = await import('./route-test-report.js');
        const logger = new CliLogger(io.err, { level: options.verbose ? 'debug' : 'warn' });
        const report = await runRouteTest({
          routeId, sampleFile, headers: options.header, entryCheck: options.entryCheck,
          ...(options.config !== undefined ? { config: options.config } : {}),
          ...(options.contentType !== undefined ? { contentType: options.contentType } : {}),
        }, logger);
        io.out(options.json ? `${JSON.stringify(report, null, 2)}\n` : renderRouteTest(report, io));
        if (report.failure) io.err(`junction: routes test failed at ${report.failure.stage}: ${report.failure.error.code}: ${report.failure.error.message}\n`);
        return routeTestExitCode(report);
      }));
    });
}
