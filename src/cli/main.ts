#!/usr/bin/env node
import { runCli } from './program';

/** The `junction` command (package.json "bin"): see docs/cli.md. */
if (require.main === module) {
  runCli(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (error: unknown) => {
      process.stderr.write(`junction: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
