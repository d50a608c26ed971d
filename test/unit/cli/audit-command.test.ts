import { expect } from 'chai';
import { BufferedIo } from '../../../src/cli/cli-io';
import { runCli } from '../../../src/cli/program';
import { useFakeAdminApi } from './fake-admin-api';

const ENTRY = { seq: 41, at: '2026-12-03T04:05:28.000Z', actor: 'alice', role: 'operator', method: 'admin-token', action: 'resolve', messageId: 'm-1', reason: 'sent again' };

describe('junction audit pages like messages list (src/cli/audit-command)', function () {
  // Page one ends at seq 41 and has more; the page after it (cursor 41) is the last.
  const fake = useFakeAdminApi((request) => (request.path === '/audit'
    ? { body: request.query.get('cursor') === '41' ? { items: [{ ...ENTRY, seq: 40 }], next: null } : { items: [ENTRY], next: 41 } } : undefined));

  const run = async (argv: string[]): Promise<{ code: number; io: BufferedIo }> => {
    const io = new BufferedIo();
    return { code: await runCli([...argv, '--url', fake.api.url, '--token', 't-ops'], io), io };
  };

  it('prints the "more: --cursor" hint, and --cursor asks for the page after it', async function () {
    const first = await run(['audit', '--limit', '1']);
    expect(first.code, first.io.stderr).to.equal(0);
    expect(first.io.stdout).to.contain('alice (operator)').and.match(/\n1 entry; more: --cursor 41\n$/);
    const second = await run(['audit', '--limit', '1', '--cursor', '41']);
    expect(second.io.stdout).to.match(/\n1 entry\n$/);
    expect(fake.api.requests.map((r) => r.query.toString())).to.deep.equal(['limit=1', 'limit=1&cursor=41']);
  });

  it('--json prints the page with its next cursor', async function () {
    const { io } = await run(['audit', '--json']);
    expect(JSON.parse(io.stdout)).to.deep.equal({ items: [ENTRY], next: 41 });
  });
});
