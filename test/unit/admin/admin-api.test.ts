import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import express from 'express';
import { BULK_FILTER_KEYS, parseBulkFilter } from '../../../src/admin/admin-request';
import { buildApp, type JunctionApp } from '../../../src/app';
import { MemoryBroker } from '../../../src/bus/memory/memory-broker';
import { loadConfig } from '../../../src/config/load-config';
import { createConsoleRouter } from '../../../src/console/console-router';
import { createEnvelope } from '../../../src/core/envelope';
import { JunctionError } from '../../../src/core/errors';
import { silentLogger } from '../../../src/core/logger';
import { FakeTransactionLog } from '../../support/fake-transaction-log';
import { request, sampleOrder, type TestResponse } from '../../support/http';
import { MINIMAL_CONFIG, TempConfigDir } from '../../support/temp-config';

const TOKENS = { operator: 'alice-token-0123456789', viewer: 'vic-token-0123456789' };
const sha = (token: string): string => createHash('sha256').update(token).digest('hex');

/** The error `run` throws. */
function thrown(run: () => unknown): JunctionError {
  try {
    run();
  } catch (error) {
    if (error instanceof JunctionError) return error;
    throw error;
  }
  throw new Error('expected a JunctionError');
}

describe('the filter of bulk replays and dry-runs (src/admin/admin-request parseBulkFilter)', () => {
  it('takes the keys of the message search, and routeId for route', () => {
    expect(parseBulkFilter({ route: 'submit-order' })).to.deep.equal({ routeId: 'submit-order' });
    expect(parseBulkFilter({ routeId: 'submit-order' })).to.deep.equal({ routeId: 'submit-order' });
    expect(parseBulkFilter({ route: 'submit-order', routeId: 'submit-order' })).to.deep.equal({ routeId: 'submit-order' });
    // What the CLI sends (filterOf, undefined values dropped by JSON) and the console (groups-view).
    expect(parseBulkFilter({
      status: 'FAILED', route: 'r', endpoint: 'oa', errorCode: 'JCT_ENDPOINT_REJECTED', errorGroup: 'g', businessKey: 'SO-1', correlationId: 'c',
      from: '2026-11-03T02:00:00Z', to: '2026-11-04T02:00:00Z', unresolved: true,
    })).to.deep.equal({
      statuses: ['FAILED'], routeId: 'r', endpoint: 'oa', errorCode: 'JCT_ENDPOINT_REJECTED', errorGroup: 'g', businessKey: 'SO-1', correlationId: 'c',
      receivedFrom: new Date('2026-11-03T02:00:00Z'), receivedTo: new Date('2026-11-04T02:00:00Z'), unresolved: true,
    });
    expect(parseBulkFilter(undefined)).to.deep.equal({});
    expect(parseBulkFilter({})).to.deep.equal({});
  });

  it('refuses an unknown key, naming it and the keys it takes; a stored filter\'s names point to the ones to send', () => {
    const typo = thrown(() => parseBulkFilter({ rout: 'submit-order' }));
    expect(typo.code).to.equal('JCT_REQUEST_MALFORMED');
    expect(typo.message).to.contain('"rout"').and.contain(BULK_FILTER_KEYS.join(', ')).and.contain('routeId for route');
    const stored = thrown(() => parseBulkFilter({ routeId: 'r', receivedTo: '2026-11-04T02:00:00Z', bogus: 1 }));
    expect(stored.message).to.contain('unknown keys "receivedTo" (send "to"), "bogus"');
    expect(thrown(() => parseBulkFilter({ constructor: 'x' })).message, 'no key of Object.prototype slips through').to.contain('"constructor"');
  });

  it('refuses a filter that is not an object, an empty value, route and routeId that differ, and unresolved other than true', () => {
    for (const [filter, text] of [
      ['route=submit-order', '"filter" must be a JSON object'], [['submit-order'], '"filter" must be a JSON object'], [null, '"filter" must be a JSON object'],
      [{ route: '' }, '"filter.route" is empty'], [{ status: [] }, '"filter.status" is empty'], [{ errorCode: null }, '"filter.errorCode" is empty'],
      [{ route: 'a', routeId: 'b' }, 'both "route" and "routeId"'], [{ unresolved: false }, '"filter.unresolved" can only be true'],
    ] as const) {
      const error = thrown(() => parseBulkFilter(filter));
      expect([error.code, error.message], JSON.stringify(filter)).to.satisfy(([code, message]: [string, string]) => code === 'JCT_REQUEST_MALFORMED' && message.includes(text));
    }
  });
});

describe('admin API refusals (src/admin/admin-api with src/app, a fake transaction log)', () => {
  const temp = new TempConfigDir();
  const log = new FakeTransactionLog();
  let app: JunctionApp;
  let base: string;
  const failed: string[] = [];

  const call = (route: string, role: keyof typeof TOKENS = 'operator', body?: unknown): Promise<TestResponse> =>
    request(`${base}/admin/api${route}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${TOKENS[role]}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  /** A message of submit-order that the OA system refused: FAILED, unresolved. */
  async function failedOrder(orderId: string): Promise<string> {
    const envelope = createEnvelope({ routeId: 'submit-order', pattern: 'one-way', source: 'rest:POST /api/v1/orders', contentType: 'application/json', body: sampleOrder(orderId) });
    await log.recordReceived(envelope);
    await log.transition(envelope.id, {
      stage: 'deliver:oa', status: 'FAILED', attempt: 1, endpoint: 'oa',
      error: { code: 'JCT_ENDPOINT_REJECTED', message: `Endpoint "oa" refused the message with HTTP 400`, retryable: false },
    });
    return envelope.id;
  }

  before(async () => {
    const file = temp.write('junction.yaml', `${MINIMAL_CONFIG}
admin:
  tokens:
    - { name: alice, role: operator, sha256: ${sha(TOKENS.operator)} }
    - { name: vic, role: viewer, sha256: ${sha(TOKENS.viewer)} }
retention: { enabled: false }
`);
    app = buildApp(loadConfig(file, {}), { logger: silentLogger, port: 0, log, broker: new MemoryBroker({ requeueDelayMs: 10 }) });
    base = await app.start();
    for (const id of ['SO-1', 'SO-2']) failed.push(await failedOrder(id));
  });
  after(async () => {
    await app.close();
    temp.remove();
  });

  const nothingCreated = async (): Promise<void> => {
    expect((await call('/replay-jobs', 'viewer')).json.items, 'no job').to.deep.equal([]);
    expect((await log.findAudit({})).items.filter((a) => a.action === 'replay-job.create'), 'nothing audited').to.deep.equal([]);
  };

  it('a bulk replay or dry-run whose filter has an unknown key: 400 naming it and the keys it takes; no job, nothing audited', async () => {
    for (const filter of [{ rout: 'submit-order' }, { bogus: 'x' }]) {
      const job = await call('/replay-jobs', 'operator', { filter, reason: 'typo in the filter' });
      expect([job.status, job.json.code], job.text).to.deep.equal([400, 'JCT_REQUEST_MALFORMED']);
      expect(String(job.json.detail)).to.contain(`"${Object.keys(filter)[0]}"`).and.contain('route, endpoint, errorCode');
      const dry = await call('/dry-runs', 'operator', { filter });
      expect([dry.status, dry.json.code], dry.text).to.deep.equal([400, 'JCT_REQUEST_MALFORMED']);
    }
    const notAnObject = await call('/replay-jobs', 'operator', { filter: 'route=submit-order', reason: 'x' });
    expect([notAnObject.status, notAnObject.json.code]).to.deep.equal([400, 'JCT_REQUEST_MALFORMED']);
    await nothingCreated();
  });

  it('a bulk dry-run takes route and routeId alike, as the CLI and the console send them', async () => {
    for (const filter of [{ route: 'submit-order' }, { routeId: 'submit-order' }, { route: 'submit-order', status: 'FAILED', errorCode: 'JCT_ENDPOINT_REJECTED', unresolved: true }]) {
      const dry = await call('/dry-runs', 'operator', { filter, limit: 1 });
      expect([dry.status, dry.json.matched], `${JSON.stringify(filter)}: ${dry.text}`).to.deep.equal([200, 2]);
    }
  });

  it('a bulk replay whose filter matches no unresolved failure: 409 JCT_REPLAY_REFUSED (nothing-matched); no job, nothing audited', async () => {
    const none = await call('/replay-jobs', 'operator', { filter: { route: 'submit-order', errorCode: 'JCT_ENDPOINT_TIMEOUT' }, reason: 'OA back' });
    expect([none.status, none.json.code], none.text).to.deep.equal([409, 'JCT_REPLAY_REFUSED']);
    expect(none.json.details).to.deep.equal({ reason: 'nothing-matched' });
    expect(String(none.json.detail)).to.contain('No unresolved FAILED message matches the filter {"route":"submit-order","errorCode":"JCT_ENDPOINT_TIMEOUT"}')
      .and.contain('no job was created');
    await nothingCreated();
  });

  it('refusals carry their details: the reason and the replay that took over (JCT_REPLAY_REFUSED), the role needed (JCT_ADMIN_FORBIDDEN)', async () => {
    const [first, second] = failed as [string, string];
    const replayed = await call(`/messages/${first}/replay`, 'operator', { reason: 'OA fixed' });
    expect(replayed.status, replayed.text).to.equal(202);
    const again = await call(`/messages/${first}/replay`, 'operator', {});
    expect([again.status, again.json.code]).to.deep.equal([409, 'JCT_REPLAY_REFUSED']);
    expect(again.json.details).to.deep.include({ reason: 'replayed', replayedBy: replayed.json.replayId });
    expect((await call(`/messages/${second}/resolve`, 'operator', { reason: 'customer re-sent it' })).status).to.equal(200);
    const resolved = await call(`/messages/${second}/resolve`, 'operator', { reason: 'twice' });
    expect([resolved.status, resolved.json.code, resolved.json.details]).to.deep.equal([409, 'JCT_REPLAY_REFUSED', { reason: 'not-unresolved' }]);
    const viewer = await call(`/messages/${second}/replay`, 'viewer', { reason: 'x' });
    expect([viewer.status, viewer.json.code, viewer.json.details]).to.deep.equal([403, 'JCT_ADMIN_FORBIDDEN', { needed: 'operator', role: 'viewer' }]);
  });

  it('GET /diff without a or b, or with one empty or given twice: 400 naming the parameter, not 404', async () => {
    const id = failed[0] as string;
    for (const [query, name] of [[`a=${id}`, '"b" is required'], [`b=${id}`, '"a" is required'], [`a=&b=${id}`, '"a" is required'], ['', '"a" is required'],
      [`a=${id}&b=${id}&b=${id}`, '"b" must be given once']]) {
      const diff = await call(`/diff?${query}`, 'viewer');
      expect([diff.status, diff.json.code], query).to.deep.equal([400, 'JCT_REQUEST_MALFORMED']);
      expect(String(diff.json.detail), query).to.contain(`Query parameter ${name}`).and.contain('a message id');
    }
    expect((await call(`/diff?a=${id}&b=${id}`, 'viewer')).status).to.equal(200);
    const noId = await call(`/diff?a=:3&b=${id}`, 'viewer');
    expect([noId.status, noId.json.code, noId.json.detail]).to.deep.equal([400, 'JCT_REQUEST_MALFORMED', `":3" names no message: give a message id, or <message id>:<stage seq> for the payload a stage left.`]);
  });
});

describe('the console\'s static files (src/console/console-router)', () => {
  let server: Server;
  let base: string;
  const root = mkdtempSync(path.join(os.tmpdir(), 'junction-console-'));

  before(async () => {
    mkdirSync(path.join(root, 'console', 'public', 'assets'), { recursive: true });
    mkdirSync(path.join(root, 'dist', 'console', 'src'), { recursive: true });
    writeFileSync(path.join(root, 'console', 'public', 'index.html'), '<!doctype html><title>Junction console</title>');
    server = express().use('/console', createConsoleRouter({ root })).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(root, { recursive: true, force: true });
  });

  it('/console redirects to /console/ and its body says so; a directory of the files is no redirect to a page that does not exist', async () => {
    const redirect = await fetch(`${base}/console`, { redirect: 'manual' });
    expect([redirect.status, redirect.headers.get('location'), await redirect.text()]).to.deep.equal([301, '/console/', 'Moved Permanently. Redirecting to /console/']);
    expect((await fetch(`${base}/console/`)).status).to.equal(200);
    for (const directory of ['/console/assets', '/console/src']) {
      const answer = await fetch(`${base}${directory}`, { redirect: 'manual' });
      await answer.body?.cancel();
      expect([answer.status, answer.headers.get('location')], directory).to.deep.equal([404, null]);
    }
  });
});
