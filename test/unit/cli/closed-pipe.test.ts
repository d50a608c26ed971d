import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { expect } from 'chai';
import { stopQuietlyOnClosedPipe } from '../../../src/cli/cli-io';
import { FakeAdminApi, type FakeAnswer, type SeenRequest } from './fake-admin-api';

const CLI = path.join(__dirname, '../../../src/cli/main.js');
const SUMMARY = { id: 'm-1', routeId: 'submit-order', status: 'FAILED', attempts: 1, businessKey: 'SO-1', receivedAt: '2026-12-03T04:05:13.000Z' };

/** A message m-1, and a list of three pages. */
function answer(request: SeenRequest): FakeAnswer | undefined {
  if (request.path === '/messages/m-1') return { body: { ...SUMMARY, correlationId: 'c-1', contentType: 'application/json', payload: '{}', stages: [], replays: [] } };
  if (request.path !== '/messages') return undefined;
  const page = Number(request.query.get('cursor') ?? '0');
  return { body: { items: Array.from({ length: 50 }, (_, i) => ({ ...SUMMARY, id: `m-${page}-${i}` })), next: page < 2 ? String(page + 1) : null } };
}

/** Runs `junction <args>` with its stdout's reader gone before it writes, as `| head -1` leaves it. */
function runIntoClosedPipe(args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('junction stops quietly when its output\'s reader goes away (src/cli/cli-io, main)', function () {
  let api: FakeAdminApi;

  before(async function () {
    api = await FakeAdminApi.start(answer);
  });
  after(async function () {
    await api.close();
  });

  for (const command of [['messages', 'show', 'm-1'], ['messages', 'list', '--all']]) {
    it(`junction ${command.join(' ')} | head -1: exit 0, no stack trace`, async function () {
      const { code, stderr } = await runIntoClosedPipe([...command, '--url', api.url, '--token', 't-ops']);
      expect(stderr).to.not.match(/EPIPE|Error|at /);
      expect(code, stderr).to.equal(0);
    });
  }

  it('exits 0 on EPIPE and leaves any other write error loud', function () {
    const stream = new EventEmitter();
    const exits: number[] = [];
    stopQuietlyOnClosedPipe(stream, (code) => exits.push(code));
    stream.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    expect(exits).to.deep.equal([0]);
    expect(() => stream.emit('error', Object.assign(new Error('write EIO'), { code: 'EIO' }))).to.throw('write EIO');
  });
});
