import { expect } from 'chai';
import { BufferedIo } from '../../../src/cli/cli-io';
import { runCli } from '../../../src/cli/program';

describe('junction command line (src/cli/program)', function () {
  it('answers --help and --version with exit 0', async function () {
    const help = new BufferedIo();
    expect(await runCli(['--help'], help)).to.equal(0);
    expect(help.stdout).to.contain('Usage: junction');
    expect(help.stdout).to.contain('routes');
    const version = new BufferedIo();
    expect(await runCli(['--version'], version)).to.equal(0);
    expect(version.stdout.trim()).to.match(/^\d+\.\d+\.\d+$/);
  });

  it('exits 2 on usage errors: unknown command or option, missing argument', async function () {
    for (const argv of [['bogus'], ['config', 'check', '--nope'], ['routes', 'test', 'upsert-customer'], []]) {
      const io = new BufferedIo();
      expect(await runCli(argv, io), argv.join(' ')).to.equal(2);
      expect(io.stderr, argv.join(' ')).to.not.equal('');
    }
  });

  it('with --json, prints one JSON document even when the command stops on a usage error', async function () {
    const io = new BufferedIo();
    expect(await runCli(['routes', 'test', 'upsert-customer', 'missing.json', '--json'], io)).to.equal(2);
    expect(JSON.parse(io.stdout)).to.deep.include({ ok: false, exitCode: 2 });
    expect(io.stderr).to.contain('missing.json cannot be loaded');
  });

  it('with --json, prints that document for commander\'s own usage errors too, the message still on stderr', async function () {
    const cases: [string[], RegExp][] = [
      [['messages', 'list', '--bogus', '--json'], /^unknown option '--bogus'/],
      [['audit', '--bogus', '--json'], /^unknown option '--bogus'/],
      [['config', 'check', '--bogus', '--json'], /^unknown option '--bogus'/],
      [['replay', 'jobs', '--bogus', '--json'], /^unknown option '--bogus'/],
      [['messages', 'show', '--json'], /^missing required argument 'message-id'/],
    ];
    for (const [argv, message] of cases) {
      const io = new BufferedIo();
      expect(await runCli(argv, io), argv.join(' ')).to.equal(2);
      const document = JSON.parse(io.stdout) as { ok: boolean; exitCode: number; error: string };
      expect(document, argv.join(' ')).to.deep.include({ ok: false, exitCode: 2 });
      expect(document.error, argv.join(' ')).to.match(message);
      expect(io.stderr, argv.join(' ')).to.match(/^error: /);
    }
    const plain = new BufferedIo();
    expect(await runCli(['audit', '--bogus'], plain)).to.equal(2);
    expect(plain.stdout).to.equal('');
    const help = new BufferedIo();
    expect(await runCli(['audit', '--help', '--json'], help)).to.equal(0);
    expect(help.stdout).to.match(/^Usage: junction audit/);
  });

  it('runs config check on the demo configuration', async function () {
    const io = new BufferedIo();
    expect(await runCli(['config', 'check', '--config', 'config/default.yaml'], io)).to.equal(0);
    expect(io.stdout).to.contain('upsert-customer');
    expect(io.stderr).to.equal('');
  });
});
