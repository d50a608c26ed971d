import { execFile, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { EXIT } from '../../../src/main';
import { runJunction } from '../../support/cli-process';
import { eventually } from '../../support/http';
import { MINIMAL_CONFIG, TempConfigDir } from '../../support/temp-config';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../../../..');
const UNIT = path.join(ROOT, 'deploy/systemd/junction@.service');
const ENV_EXAMPLE = path.join(ROOT, 'deploy/systemd/junction.env.example');
const PRODUCTION_EXAMPLE = path.join(ROOT, 'config/production.example.yaml');
/** Where the unit expects Junction, its configuration and Node; the test puts this checkout and its own files there. */
const INSTALLED = { root: '/opt/junction', config: '/etc/junction/junction.yaml', node: '/usr/bin/node' };
/** server.shutdownTimeoutMs's default (src/config/config-schema.ts). */
const SHUTDOWN_TIMEOUT_SECONDS = 30;

/** The [Service] settings of the unit (the last value of a key given twice). */
function serviceSettings(text: string): Map<string, string> {
  const settings = new Map<string, string>();
  let section = '';
  for (const line of text.split('\n')) {
    const header = /^\[(\w+)\]$/.exec(line.trim());
    if (header) section = header[1]!;
    const setting = /^(\w+)=(.*)$/.exec(line);
    if (setting && section === 'Service') settings.set(setting[1]!, setting[2]!);
  }
  return settings;
}

/** The unit's ExecStart for an instance, with this checkout, `config` and this Node in place of the installed paths. */
function commandLine(unit: string, instance: string, config: string): string[] {
  const exec = serviceSettings(unit).get('ExecStart') ?? '';
  for (const installed of Object.values(INSTALLED)) expect(exec, `ExecStart names ${installed}`).to.contain(installed);
  return exec.replaceAll('%i', instance).split(/\s+/).map((word) => word
    .replace(INSTALLED.node, process.execPath).replace(INSTALLED.config, config).replace(INSTALLED.root, ROOT));
}

/** Runs a command line, collecting its output lines; `exited` resolves with its exit code. */
function start(argv: readonly string[]): { readonly exited: Promise<number | null>; readonly lines: string[]; stop(): void } {
  const [command, ...args] = argv;
  const child = spawn(command!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const collect = (chunk: Buffer): void => { lines.push(...chunk.toString('utf8').split('\n')); };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { exited, lines, stop: () => child.kill('SIGTERM') };
}

/**
 * deploy/systemd/junction@.service: what a team installs to run Junction under systemd. systemd's
 * own checker reads it, and its ExecStart is run for real: the command line starts Junction, a
 * SIGTERM (systemd's stop) ends it cleanly well within TimeoutStopSec, and a configuration error
 * exits with a code the unit does not restart on.
 */
describe('the systemd unit (deploy/systemd)', function () {
  this.timeout(60_000);
  const unit = readFileSync(UNIT, 'utf8');
  let dir: TempConfigDir;

  beforeEach(() => {
    dir = new TempConfigDir();
  });
  afterEach(() => dir.remove());

  it('passes systemd-analyze verify without a warning, for each role', async () => {
    const work = mkdtempSync(path.join(os.tmpdir(), 'junction-unit-'));
    try {
      // The ExecStart binary must exist for the checker; Node may live elsewhere on this machine.
      const local = unit.replace(INSTALLED.node, process.execPath);
      for (const role of ['gateway', 'worker', 'all']) {
        const file = path.join(work, `junction@${role}.service`);
        writeFileSync(file, local);
        const { stdout, stderr } = await run('systemd-analyze', ['verify', file]);
        expect(`${stdout}${stderr}`.trim(), role).to.equal('');
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('gives a stopping Junction longer than its shutdown timeout, and never restarts a configuration error', () => {
    const settings = serviceSettings(unit);
    expect(Number(settings.get('TimeoutStopSec'))).to.be.greaterThan(SHUTDOWN_TIMEOUT_SECONDS);
    expect(settings.get('KillSignal')).to.equal('SIGTERM');
    expect(settings.get('Restart')).to.equal('on-failure');
    expect(settings.get('RestartPreventExitStatus')?.split(/\s+/)).to.include(String(EXIT.CONFIG));
  });

  it('its ExecStart starts Junction in the role of the instance, and SIGTERM stops it cleanly (exit 0)', async () => {
    const config = dir.write('junction.yaml', `server: { port: 0, host: 127.0.0.1 }
store: { url: "sqlite:${path.join(dir.dir, 'junction.db')}" }
bus: { url: "memory:" }
${MINIMAL_CONFIG}`);
    const junction = start(commandLine(unit, 'all', config));
    await eventually(async () => (junction.lines.some((l) => l.includes('junction started')) ? true : undefined), 30_000, 50);
    expect(junction.lines.join('\n')).to.contain('"role":"all"');
    junction.stop();
    expect(await junction.exited).to.equal(EXIT.OK);
  });

  it('a configuration error exits with the code RestartPreventExitStatus names', async () => {
    const config = dir.write('junction.yaml', 'routes: [ { id: broken } ]\n');
    const junction = start(commandLine(unit, 'worker', config));
    expect(await junction.exited).to.equal(EXIT.CONFIG);
    expect(junction.lines.join('\n')).to.contain('junction.yaml');
  });

  it('the install steps of docs/production.md give a configuration that passes `junction config check`, with junction.env.example\'s variables', async () => {
    const example = readFileSync(PRODUCTION_EXAMPLE, 'utf8');
    const required = new Set([...example.matchAll(/\$\{([A-Z_]+)\}|\{ env: ([A-Z_]+) \}/g)].map((m) => m[1] ?? m[2]));
    const listed = new Set([...readFileSync(ENV_EXAMPLE, 'utf8').matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]));
    expect([...listed].sort()).to.deep.equal([...required].sort());

    // cp -r config/schemas config/mappings wsdl /etc/junction/; sed 's#\.\./wsdl/#wsdl/#' … > /etc/junction/junction.yaml
    const etc = dir.dir;
    for (const from of ['config/schemas', 'config/mappings', 'wsdl']) cpSync(path.join(ROOT, from), path.join(etc, path.basename(from)), { recursive: true });
    writeFileSync(path.join(etc, 'junction.yaml'), example.replaceAll('../wsdl/', 'wsdl/'));
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const env = {
      JUNCTION_DB_URL: 'mysql://j:p@db.invalid:3306/junction', JUNCTION_AMQP_URL: 'amqp://j:p@mq.invalid:5672/%2F',
      ERP_SOAP_URL: 'https://erp.invalid/erp/soap', OA_REST_URL: 'https://oa.invalid/oa/approvals',
      JUNCTION_PAYLOAD_KEYS: `2026-12:${randomBytes(32).toString('base64')}`, CRM_API_KEY: randomBytes(16).toString('hex'), ERP_BATCH_PASSWORD: 'pw-1234',
      JWT_PUBLIC_KEY_FILE: dir.write('idp-public.pem', pem), // optional: its default is /etc/junction/idp-public.pem
    };
    expect(Object.keys(env)).to.include.members([...listed]);
    const check = await runJunction(['config', 'check', '--config', path.join(etc, 'junction.yaml')], env);
    expect(check.code, `${check.stdout}${check.stderr}`).to.equal(0);
  });
});
