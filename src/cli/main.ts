#!/usr/bin/env node
import { stopQuietlyOnClosedPipe } from './cli-io';
import { runCli } from './program';

/** The `junction` command (package.json "bin"): see docs/cli.md. */
if (require.main === module) {
  stopQuietlyOnClosedPipe(process.stdout);
  stopQuietlyOnClosedPipe(process.stderr);
  runCli(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (error: unknown) => {
      process.stderr.write(`junction: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
