import { expect } from 'chai';
import { BufferedIo } from '../../../src/cli/cli-io';
import { runCli } from '../../../src/cli/program';
import { useFakeAdminApi, type FakeAnswer, type SeenRequest } from './fake-admin-api';

/** The admin API's resolve: m-1 is an unresolved failure, m-2 was replayed already, anything else is unknown; t-viewer may only read. */
function answer(request: SeenRequest): FakeAnswer | undefined {
  if (request.headers.authorization === 'Bearer t-viewer') return { status: 403, body: { code: 'JCT_ADMIN_FORBIDDEN', detail: 'Resolving needs the role operator.' } };
  if (request.method !== 'POST') return undefined;
  if (request.path === '/messages/m-1/resolve') return { body: { messageId: 'm-1', resolution: 'resolved' } };
  if (request.path === '/messages/m-2/resolve') return { status: 409, body: { code: 'JCT_REPLAY_REFUSED', detail: 'Message m-2 is not an unresolved FAILED message; only those can be resolved.' } };
  return undefined;
}

describe('junction resolve <message-id> --reason (src/cli/resolve-command)', function () {
  const fake = useFakeAdminApi(answer);

  const run = async (argv: string[], token = 't-ops'): Promise<{ code: number; io: BufferedIo }> => {
    const io = new BufferedIo();
    return { code: await runCli([...argv, '--url', fake.api.url, '--token', token], io), io };
  };

  it('resolves with the reason (trimmed) and says so; --json prints the API\'s answer', async function () {
    const text = await run(['resolve', 'm-1', '--reason', '  customer sent it again by hand ']);
    expect(text.code, text.io.stderr).to.equal(0);
    expect(text.io.stdout).to.contain('Resolved m-1').and.contain('junction audit --message m-1');
    expect(fake.api.only()).to.deep.include({ method: 'POST', path: '/messages/m-1/resolve', body: { reason: 'customer sent it again by hand' } });
    const json = await run(['resolve', 'm-1', '--reason', 'again', '--json']);
    expect(JSON.parse(json.io.stdout)).to.deep.equal({ messageId: 'm-1', resolution: 'resolved' });
  });

  it('needs a reason before anything is sent (exit 2, one JSON document with --json)', async function () {
    for (const reason of [[], ['--reason', '  ']]) {
      const { code, io } = await run(['resolve', 'm-1', ...reason, '--json']);
      expect(code).to.equal(2);
      expect(io.stderr).to.contain('needs --reason');
      expect(JSON.parse(io.stdout)).to.deep.include({ ok: false, exitCode: 2 });
    }
    expect(fake.api.requests).to.deep.equal([]);
  });

  it('exits as replay does: 4 unknown id, 1 refused (409), 3 role too weak', async function () {
    const unknown = await run(['resolve', 'm-9', '--reason', 'r']);
    expect(unknown.code).to.equal(4);
    const refused = await run(['resolve', 'm-2', '--reason', 'r']);
    expect(refused.code).to.equal(1);
    expect(refused.io.stderr).to.contain('JCT_REPLAY_REFUSED: Message m-2 is not an unresolved FAILED message');
    const viewer = await run(['resolve', 'm-1', '--reason', 'r'], 't-viewer');
    expect(viewer.code).to.equal(3);
  });
});
