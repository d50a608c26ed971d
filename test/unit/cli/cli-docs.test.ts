import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { BufferedIo } from '../../../src/cli/cli-io';
import { runCli } from '../../../src/cli/program';

describe('docs/cli.md shows what the CLI prints', function () {
  const docs = readFileSync('docs/cli.md', 'utf8');

  it('a failing routes test: the error line and the stderr summary as printed', async function () {
    const io = new BufferedIo();
    expect(await runCli(['routes', 'test', 'upsert-customer', 'test/fixtures/cli/customer-unknown-status.json', '--no-entry-check'], io)).to.equal(1);
    const error = io.stdout.split('\n').find((line) => line.includes('JCT_TRANSFORM_FAILED: '));
    expect(error, io.stdout).to.not.equal(undefined);
    expect(docs).to.contain(`${error}\n`);
    expect(docs).to.contain(io.stderr.trim());
  });
});
