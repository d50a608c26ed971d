import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import type { SerializedError } from '../../src/core/errors';
import type { AuditInput } from '../../src/core/operator-records';
import type { StageEvent, TransactionLog } from '../../src/core/transaction-log';
import type { MessageStatus } from '../../src/core/message-status';
import { uniqueName } from '../support/env';
import { operatorContract } from './transaction-log-operators.contract';
import { expectJunctionError, inBatches, rejection, testMessage } from './transaction-log.support';

/** What a contract factory hands over: a started log and how to tidy up after it is closed. */
export interface TransactionLogFixture {
  readonly log: TransactionLog;
  readonly cleanup: () => Promise<void>;
}

const VALIDATION_ERROR: SerializedError = {
  code: 'JCT_VALIDATION_FAILED', message: 'Order failed validation.', retryable: false,
  violations: [{ path: '/amount', message: 'must be a decimal ≥ 0' }, { path: '', message: 'missing "currency"' }],
  details: { schema: 'order.json', count: 2, strict: true },
};

const stage = (name: string, status: StageEvent['status'], extra: Partial<StageEvent> = {}): StageEvent =>
  ({ stage: name, status, attempt: 1, ...extra });

/**
 * The behaviour every TransactionLog implementation must show. `factory` is called once per suite
 * (and once more by the close test); tests isolate themselves with unique route ids.
 */
export function transactionLogContract(name: string, factory: () => Promise<TransactionLogFixture>): void {
  describe(`TransactionLog contract: ${name}`, function () {
    this.timeout(120_000);
    let fixture: TransactionLogFixture | undefined;
    let log: TransactionLog;
    before(async () => { fixture = await factory(); log = fixture.log; });
    after(async () => { if (fixture) { await fixture.log.close(); await fixture.cleanup(); } });
    const route = (): string => uniqueName('route');

    it('records a message and loads it back exactly (unicode, "250.00", headers, optional fields)', async () => {
      const body = '{"name":"Zoë Ångström 北京 🚀","amount":250.00,"price":"250.00","big":12345678901234567890}';
      const full = testMessage(route(), {
        body, headers: { 'x-request-id': 'r-1', 'x-note': 'ünïcødé ✓' }, correlationId: 'c-42', businessKey: 'ORD-1', replayOf: randomUUID(),
        pattern: 'request-reply', contentType: 'application/json; charset=utf-8',
      });
      const bare = testMessage(full.routeId);
      await log.recordReceived(full);
      await log.recordReceived(bare);
      const loaded = await log.load(full.id);
      expect(loaded).to.deep.include({
        id: full.id, correlationId: 'c-42', routeId: full.routeId, source: full.source, pattern: 'request-reply',
        status: 'RECEIVED', attempts: 1, businessKey: 'ORD-1', replayOf: full.replayOf,
        contentType: 'application/json; charset=utf-8', headers: full.headers, payload: body,
      });
      expect(loaded?.receivedAt.toISOString()).to.equal(full.receivedAt);
      expect(loaded?.updatedAt).to.be.instanceOf(Date);
      expect(loaded?.stages.map((s) => [s.stage, s.status, s.attempt])).to.deep.equal([['received', 'RECEIVED', 1]]);
      const plain = await log.load(bare.id);
      for (const key of ['businessKey', 'replayOf', 'lastError']) expect(plain).not.to.have.property(key);
      expect(plain?.correlationId).to.equal(bare.id);
    });

    it('keeps a payload over 1 MB byte for byte', async () => {
      const body = `"${'é'.repeat(512 * 1024)}🚀"`;
      const message = testMessage(route(), { body });
      await log.recordReceived(message);
      expect(Buffer.byteLength(body, 'utf8')).to.be.greaterThan(1024 * 1024);
      expect((await log.load(message.id))?.payload).to.equal(body);
    });

    it('answers undefined for an unknown id and refuses to record an id twice', async () => {
      expect(await log.load(randomUUID())).to.equal(undefined);
      const message = testMessage(route());
      await log.recordReceived(message);
      const error = await rejection(log.recordReceived({ ...message, body: 'other' }));
      expect(error).to.be.instanceOf(Error);
      expect((error as Error).message).to.include(message.id);
      expect((await log.load(message.id))?.payload).to.equal(message.body);
    });

    it('appends stages in order, with time (ms), duration, endpoint and detail', async () => {
      const message = testMessage(route());
      await log.recordReceived(message);
      const at = new Date('2026-03-04T05:06:07.891Z');
      expect(await log.transition(message.id, stage('published', 'QUEUED'))).to.equal('applied');
      expect(await log.transition(message.id, stage('processing', 'PROCESSING'))).to.equal('applied');
      expect(await log.transition(message.id, stage('deliver:erp', 'DELIVERED',
        { at, durationMs: 42, endpoint: 'erp-soap', detail: 'HTTP 200 in 42 ms' }))).to.equal('applied');
      const loaded = await log.load(message.id);
      expect(loaded?.status).to.equal('DELIVERED');
      expect(loaded?.stages.map((s) => s.stage)).to.deep.equal(['received', 'published', 'processing', 'deliver:erp']);
      const seqs = loaded?.stages.map((s) => s.seq) ?? [];
      expect(seqs).to.deep.equal([...seqs].sort((a, b) => a - b));
      expect(new Set(seqs).size).to.equal(4);
      expect(loaded?.stages[3]).to.deep.include({ status: 'DELIVERED', durationMs: 42, endpoint: 'erp-soap', detail: 'HTTP 200 in 42 ms' });
      expect(loaded?.stages[3]?.at.toISOString()).to.equal(at.toISOString());
      expect(loaded?.stages[1]).not.to.have.property('endpoint');
      expect(loaded?.updatedAt.getTime()).to.be.at.least(loaded?.receivedAt.getTime() ?? Infinity);
    });

    it('keeps each stage\'s payload exactly (every-step capture); a stage without one has none', async () => {
      const message = testMessage(route());
      await log.recordReceived(message);
      const mapped = '{"kunde":"Zoë Ångström 北京 🚀","betrag":"250.00","big":12345678901234567890,"nl":"a\\nb","tab":"\t"}';
      const xml = '<?xml version="1.0" encoding="UTF-8"?>\n<order id="o-1">\r\n  <name>Zoë &amp; 北京 🚀</name>\u0000?</order>';
      const failed: SerializedError = { code: 'JCT_ENDPOINT_REJECTED', message: 'ERP said no.', retryable: false };
      await log.transition(message.id, stage('processing', 'PROCESSING'));
      await log.transition(message.id, stage('step:map-fields', 'PROCESSING', { durationMs: 3, payload: mapped }));
      await log.transition(message.id, stage('step:json-to-xml', 'PROCESSING', { durationMs: 1, payload: xml }));
      await log.transition(message.id, stage('step:empty', 'PROCESSING', { payload: '' }));
      await log.transition(message.id, stage('deliver:erp', 'FAILED',
        { durationMs: 40, endpoint: 'erp-soap', error: failed, payload: '<soap:Envelope>…</soap:Envelope>' }));
      await log.transition(message.id, stage('held', 'HELD'));
      const loaded = await log.load(message.id);
      expect(loaded?.payload).to.equal(message.body);
      expect(loaded?.stages.map((s) => [s.stage, s.payload])).to.deep.equal([
        ['received', undefined], ['processing', undefined], ['step:map-fields', mapped], ['step:json-to-xml', xml],
        ['step:empty', ''], ['deliver:erp', '<soap:Envelope>…</soap:Envelope>'], ['held', undefined],
      ]);
      for (const index of [0, 1, 6]) expect(loaded?.stages[index]).not.to.have.property('payload');
      expect(loaded?.stages[3]).to.deep.include({ durationMs: 1, payload: xml });
      expect(loaded?.stages[5]).to.deep.include({ status: 'FAILED', durationMs: 40, endpoint: 'erp-soap', error: failed });
      expect(await log.transition(message.id, stage('late', 'PROCESSING', { payload: 'not written' }), ['QUEUED'])).to.equal('skipped');
      expect((await log.load(message.id))?.stages).to.have.length(7);
    });

    it('transition with preceding stages: they come first, in order, with their payloads, in the same write; none when it does not apply', async () => {
      const message = testMessage(route());
      await log.recordReceived(message);
      await log.transition(message.id, stage('processing', 'PROCESSING'), ['RECEIVED']);
      const mapped = '{"kunde":"Zoë 北京 🚀","betrag":"250.00"}';
      const xml = '<order><name>Zoë &amp; 北京</name></order>';
      const preceding = [
        stage('step:map', 'PROCESSING', { durationMs: 3, payload: mapped }),
        stage('route', 'PROCESSING', { detail: 'to erp' }),
        stage('step:xml', 'PROCESSING', { durationMs: 1, payload: xml }),
      ];
      // Does not apply (not RETRYING): neither the change nor its preceding stages are written.
      expect(await log.transition(message.id, stage('deliver:erp', 'DELIVERED'), ['RETRYING'], { preceding })).to.equal('skipped');
      expect((await log.load(message.id))?.stages.map((s) => s.stage)).to.deep.equal(['received', 'processing']);
      expect(await log.transition(randomUUID(), stage('deliver:erp', 'DELIVERED'), ['PROCESSING'], { preceding })).to.equal('missing');
      expect(await log.transition(message.id, stage('deliver:erp', 'DELIVERED', { endpoint: 'erp', payload: xml }), ['PROCESSING'], { preceding })).to.equal('applied');
      const loaded = await log.load(message.id);
      expect(loaded?.status).to.equal('DELIVERED');
      expect(loaded?.stages.map((s) => [s.stage, s.status, s.payload])).to.deep.equal([
        ['received', 'RECEIVED', undefined], ['processing', 'PROCESSING', undefined], ['step:map', 'PROCESSING', mapped],
        ['route', 'PROCESSING', undefined], ['step:xml', 'PROCESSING', xml], ['deliver:erp', 'DELIVERED', xml],
      ]);
      expect(loaded?.stages[2]).to.deep.include({ durationMs: 3 });
      expect(loaded?.stages[3]).to.deep.include({ detail: 'to erp' });
      // An empty list is no list.
      expect(await log.transition(message.id, stage('noted', 'DELIVERED'), ['DELIVERED'], { preceding: [] })).to.equal('applied');
      expect((await log.load(message.id))?.stages).to.have.length(7);
    });

    it('a payload repeated by stages of one write is given back with each of them (chains, empty, attempts, names used twice)', async () => {
      const message = testMessage(route());
      await log.recordReceived(message);
      const xml = '<order><name>Zoë &amp; 北京</name></order>';
      const other = '<order><name>other</name></order>';
      // Attempt 1: the same text repeated down a chain, across a stage without a payload, and empty.
      expect(await log.transition(message.id, stage('deliver:erp', 'RETRYING', { endpoint: 'erp', payload: xml }), ['RECEIVED'], {
        preceding: [
          stage('step:xml', 'PROCESSING', { payload: xml }), stage('step:check', 'PROCESSING', { payload: xml }),
          stage('route', 'PROCESSING', { detail: 'to erp' }), stage('step:empty', 'PROCESSING', { payload: '' }),
          stage('step:empty', 'PROCESSING', { payload: '' }), stage('step:xml', 'PROCESSING', { payload: xml }),
        ],
      })).to.equal('applied');
      // Attempt 2 repeats a stage name of attempt 1 with another text; a later write repeats attempt 1's text.
      expect(await log.transition(message.id, stage('deliver:erp', 'DELIVERED', { attempt: 2, endpoint: 'erp', payload: other }), ['RETRYING'], {
        preceding: [stage('step:xml', 'PROCESSING', { attempt: 2, payload: other }), stage('step:check', 'PROCESSING', { attempt: 2, payload: xml })],
      })).to.equal('applied');
      expect(await log.transition(message.id, stage('note', 'DELIVERED', { attempt: 1, payload: xml }), ['DELIVERED'])).to.equal('applied');
      const loaded = await log.load(message.id);
      expect(loaded?.stages.map((s) => [s.stage, s.attempt, s.payload])).to.deep.equal([
        ['received', 1, undefined], ['step:xml', 1, xml], ['step:check', 1, xml], ['route', 1, undefined], ['step:empty', 1, ''],
        ['step:empty', 1, ''], ['step:xml', 1, xml], ['deliver:erp', 1, xml],
        ['step:xml', 2, other], ['step:check', 2, xml], ['deliver:erp', 2, other], ['note', 1, xml],
      ]);
    });

    it('a stage repeating the received body (options.received) is given back with it: steps, deliveries, chains, attempts, writes without preceding', async () => {
      const body = '{"name":"Zoë Ångström 北京 🚀","amount":250.00}';
      const message = testMessage(route(), { body });
      await log.recordReceived(message);
      const mapped = '<order><name>Zoë</name></order>';
      expect(await log.transition(message.id, stage('deliver:erp', 'RETRYING', { endpoint: 'erp', payload: body }), ['RECEIVED'], {
        received: body,
        preceding: [
          stage('step:check', 'PROCESSING', { payload: body }), stage('step:branch', 'PROCESSING', { payload: body }),
          stage('step:map', 'PROCESSING', { payload: mapped }), stage('route', 'PROCESSING', { detail: 'to erp' }), stage('step:empty', 'PROCESSING', { payload: '' }),
        ],
      })).to.equal('applied');
      expect(await log.transition(message.id, stage('deliver:oa', 'PROCESSING', { attempt: 2, endpoint: 'oa', payload: body }), ['RETRYING'], { received: body }))
        .to.equal('applied');
      expect(await log.transition(message.id, stage('deliver:erp', 'DELIVERED', { attempt: 2, endpoint: 'erp', payload: mapped }), ['PROCESSING'], {
        received: body, preceding: [stage('step:check', 'PROCESSING', { attempt: 2, payload: body }), stage('step:map', 'PROCESSING', { attempt: 2, payload: mapped })],
      })).to.equal('applied');
      const loaded = await log.load(message.id);
      expect(loaded?.payload).to.equal(body);
      expect(loaded?.stages.map((s) => [s.stage, s.attempt, s.payload])).to.deep.equal([
        ['received', 1, undefined], ['step:check', 1, body], ['step:branch', 1, body], ['step:map', 1, mapped], ['route', 1, undefined],
        ['step:empty', 1, ''], ['deliver:erp', 1, body], ['deliver:oa', 2, body], ['step:check', 2, body], ['step:map', 2, mapped], ['deliver:erp', 2, mapped],
      ]);
    });

    it('a replay of a message whose stages refer to its received body, from a stage or with an edited body, has its own body and references', async () => {
      const body = '{"orderId":"o-7","amount":"12.50"}';
      const original = testMessage(route(), { body });
      await log.recordReceived(original);
      expect(await log.transition(original.id, stage('step:map', 'FAILED', { error: VALIDATION_ERROR }), ['RECEIVED'], {
        received: body, preceding: [stage('step:check', 'PROCESSING', { payload: body })],
      })).to.equal('applied');
      const failed = await log.load(original.id);
      const input = failed?.stages.find((s) => s.stage === 'step:check')?.payload;
      expect(input).to.equal(body);
      const who: AuditInput = { actor: 'alice', role: 'operator', action: 'replay', reason: 'fixed' };
      const fromStep = testMessage(original.routeId, { body: input ?? '', replayOf: original.id, correlationId: original.correlationId });
      expect((await log.recordReplay(fromStep, { originalId: original.id, force: false, audit: who })).outcome).to.equal('recorded');
      const edited = '{"orderId":"o-7","amount":"13.00"}';
      const editedReplay = testMessage(original.routeId, { body: edited, replayOf: original.id, correlationId: original.correlationId });
      expect((await log.recordReplay(editedReplay, { originalId: original.id, force: true, audit: who })).outcome).to.equal('recorded');
      for (const [replay, replayBody] of [[fromStep, body], [editedReplay, edited]] as const) {
        expect(await log.transition(replay.id, stage('deliver:erp', 'DELIVERED', { endpoint: 'erp', payload: replayBody }), ['RECEIVED'], {
          received: replayBody, preceding: [stage('step:check', 'PROCESSING', { payload: replayBody })],
        })).to.equal('applied');
        const loaded = await log.load(replay.id);
        expect(loaded?.payload).to.equal(replayBody);
        expect(loaded?.stages.map((s) => [s.stage, s.payload])).to.deep.equal([['received', undefined], ['step:check', replayBody], ['deliver:erp', replayBody]]);
      }
      expect((await log.load(original.id))?.stages.map((s) => s.payload)).to.deep.equal([undefined, body, undefined]);
    });

    it('a deferrable transition is applied like any other once its promise resolves (the log may only delay it)', async () => {
      const message = testMessage(route());
      await log.recordReceived(message);
      expect(await log.transition(message.id, stage('queued', 'QUEUED'), ['RECEIVED'], { deferrable: true })).to.equal('applied');
      expect((await log.load(message.id))?.status).to.equal('QUEUED');
      expect(await log.transition(message.id, stage('queued', 'QUEUED'), ['RECEIVED'], { deferrable: true })).to.equal('skipped');
      expect(await log.transition(randomUUID(), stage('queued', 'QUEUED'), ['RECEIVED'], { deferrable: true })).to.equal('missing');
    });

    it('keeps stage payloads over 1 MB byte for byte; find() returns neither message nor stage payloads', async () => {
      const big = `<x>${'é'.repeat(512 * 1024)}🚀</x>`;
      const bigger = `{"s":"${'北'.repeat(400 * 1024)}"}`;
      expect(Buffer.byteLength(big, 'utf8')).to.be.greaterThan(1024 * 1024);
      const message = testMessage(route(), { body: big });
      await log.recordReceived(message);
      await log.transition(message.id, stage('step:a', 'PROCESSING', { payload: big }));
      await log.transition(message.id, stage('step:b', 'PROCESSING', { payload: bigger }));
      const loaded = await log.load(message.id);
      expect(loaded?.payload).to.equal(big);
      expect(loaded?.stages[1]?.payload).to.equal(big);
      expect(loaded?.stages[2]?.payload).to.equal(bigger);
      const [summary] = await log.find({ routeId: message.routeId });
      expect(summary?.id).to.equal(message.id);
      for (const key of ['payload', 'stages', 'headers', 'contentType']) expect(summary).not.to.have.property(key);
    });

    it('transition: applied, skipped when `from` does not match (nothing written), missing for an unknown id', async () => {
      const message = testMessage(route());
      await log.recordReceived(message);
      expect(await log.transition(message.id, stage('published', 'QUEUED'), ['RECEIVED'])).to.equal('applied');
      expect(await log.transition(message.id, stage('late', 'RECEIVED'), ['RECEIVED'])).to.equal('skipped');
      expect(await log.transition(message.id, stage('any', 'FAILED'), [])).to.equal('skipped');
      expect(await log.transition(message.id, stage('p', 'PROCESSING'), ['RETRYING', 'QUEUED', 'HELD'])).to.equal('applied');
      expect(await log.transition(randomUUID(), stage('published', 'QUEUED'))).to.equal('missing');
      expect(await log.transition(randomUUID(), stage('published', 'QUEUED'), ['RECEIVED'])).to.equal('missing');
      expect(await log.transition(randomUUID(), stage('published', 'QUEUED'), [])).to.equal('missing');
      const loaded = await log.load(message.id);
      expect(loaded?.status).to.equal('PROCESSING');
      expect(loaded?.stages.map((s) => s.stage)).to.deep.equal(['received', 'published', 'p']);
    });

    it('applies a transition to the same status again (no change still counts as applied)', async () => {
      const message = testMessage(route());
      await log.recordReceived(message);
      const at = new Date();
      expect(await log.transition(message.id, stage('held', 'HELD', { at }))).to.equal('applied');
      expect(await log.transition(message.id, stage('held', 'HELD', { at }), ['HELD'])).to.equal('applied');
      expect((await log.load(message.id))?.stages).to.have.length(3);
    });

    it('copy: a copy older than the one a RETRYING or HELD message waits for is skipped (nothing written); alone and in one batch', async () => {
      const begin = (attempt: number): StageEvent => stage('processing', 'PROCESSING', { attempt });
      const from: MessageStatus[] = ['RECEIVED', 'QUEUED', 'RETRYING', 'HELD', 'PROCESSING'];
      const copy = (attempt: number, held = 0): { copy: { attempt: number; held: number } } => ({ copy: { attempt, held } });
      // Waiting for attempt 3: RETRYING recorded at attempt 2.
      const retrying = testMessage(route());
      await log.recordReceived(retrying);
      await log.transition(retrying.id, stage('retry', 'RETRYING', { attempt: 2 }));
      expect(await log.transition(retrying.id, begin(1), from, copy(1))).to.equal('skipped');
      expect(await log.transition(retrying.id, begin(2), from, copy(2))).to.equal('skipped');
      expect((await log.load(retrying.id))?.stages.map((s) => s.stage)).to.deep.equal(['received', 'retry']);
      expect(await log.transition(retrying.id, begin(3), from, copy(3, 1))).to.equal('applied');
      // Held at attempt 2, twice: the copy it waits for keeps attempt 2 and has been held twice.
      const held = testMessage(route());
      await log.recordReceived(held);
      await log.transition(held.id, stage('held', 'HELD', { attempt: 2 }));
      await log.transition(held.id, stage('deliver:erp', 'HELD', { attempt: 2 }));
      await log.transition(held.id, stage('held', 'HELD', { attempt: 2 }));
      expect(await log.transition(held.id, begin(1), from, copy(1, 2))).to.equal('skipped');
      expect(await log.transition(held.id, begin(2), from, copy(2, 1)), 'a copy of the first hold').to.equal('skipped');
      expect(await log.transition(held.id, begin(2), from, copy(2)), 'the copy that was held').to.equal('skipped');
      expect(await log.transition(held.id, begin(2), from, copy(2, 2))).to.equal('applied');
      // Not waiting: the guard does not apply (PROCESSING), and an unknown id is missing.
      const processing = testMessage(route());
      await log.recordReceived(processing);
      await log.transition(processing.id, stage('processing', 'PROCESSING', { attempt: 2 }));
      expect(await log.transition(processing.id, begin(1), from, copy(1))).to.equal('applied');
      expect(await log.transition(randomUUID(), begin(1), from, copy(1))).to.equal('missing');
      // Several at once (group commit batches them): each guarded on its own.
      const many = Array.from({ length: 6 }, () => testMessage(route()));
      await Promise.all(many.map((m) => log.recordReceived(m)));
      await Promise.all(many.map((m, i) => log.transition(m.id, stage(i % 2 === 0 ? 'retry' : 'held', i % 2 === 0 ? 'RETRYING' : 'HELD', { attempt: 2 }))));
      const asks = [copy(3), copy(2, 1), copy(2), copy(3, 1), copy(2), copy(2)];
      const results = await Promise.all(many.map((m, i) => log.transition(m.id, begin(asks[i]?.copy.attempt ?? 0), from, asks[i])));
      // RETRYING after 2 awaits attempt 3; HELD after one hold at 2 awaits attempt 2 held once.
      expect(results).to.deep.equal(['applied', 'applied', 'skipped', 'applied', 'skipped', 'skipped']);
      const statuses = await Promise.all(many.map(async (m) => (await log.load(m.id))?.status));
      expect(statuses).to.deep.equal(['PROCESSING', 'PROCESSING', 'RETRYING', 'PROCESSING', 'RETRYING', 'HELD']);
    });

    it('handling: an outcome written by a handling some later copy has overtaken is skipped (a later attempt begun, or more holds)', async () => {
      const handling = (attempt: number, held = 0): { handling: { attempt: number; held: number } } => ({ handling: { attempt, held } });
      const retry = (attempt: number): StageEvent => stage('retry', 'RETRYING', { attempt });
      const message = testMessage(route());
      await log.recordReceived(message);
      await log.transition(message.id, stage('processing', 'PROCESSING', { attempt: 2 }));
      expect(await log.transition(message.id, retry(1), ['PROCESSING'], handling(1)), 'attempt 2 has begun').to.equal('skipped');
      expect(await log.transition(message.id, stage('failed', 'FAILED', { attempt: 1 }), ['PROCESSING'], handling(1))).to.equal('skipped');
      expect((await log.load(message.id))?.status).to.equal('PROCESSING');
      expect(await log.transition(message.id, retry(2), ['PROCESSING'], handling(2))).to.equal('applied');
      const held = testMessage(route());
      await log.recordReceived(held);
      await log.transition(held.id, stage('held', 'HELD', { attempt: 1 }));
      await log.transition(held.id, stage('processing', 'PROCESSING', { attempt: 1 }));
      expect(await log.transition(held.id, stage('held', 'HELD', { attempt: 1 }), ['PROCESSING'], handling(1)), 'a copy held once has begun since').to.equal('skipped');
      const results = await Promise.all([
        log.transition(held.id, stage('held', 'HELD', { attempt: 1 }), ['PROCESSING'], handling(1, 1)),
        log.transition(randomUUID(), retry(1), ['PROCESSING'], handling(1)),
      ]);
      expect(results).to.deep.equal(['applied', 'missing']);
      expect((await log.load(held.id))?.stages.filter((s) => s.stage === 'held')).to.have.length(2);
    });

    it('keeps the highest attempt number', async () => {
      const message = testMessage(route());
      await log.recordReceived(message);
      await log.transition(message.id, stage('retry', 'RETRYING', { attempt: 3 }));
      await log.transition(message.id, stage('late', 'PROCESSING', { attempt: 2 }));
      const loaded = await log.load(message.id);
      expect(loaded?.attempts).to.equal(3);
      expect(loaded?.stages.map((s) => s.attempt)).to.deep.equal([1, 3, 2]);
    });

    it('stores the last error exactly, on the message and its stage, and keeps it after error-free stages', async () => {
      const message = testMessage(route());
      await log.recordReceived(message);
      await log.transition(message.id, stage('validate', 'FAILED', { error: VALIDATION_ERROR }));
      const first = await log.load(message.id);
      expect(first?.lastError).to.deep.equal(VALIDATION_ERROR);
      expect(first?.stages[1]?.error).to.deep.equal(VALIDATION_ERROR);
      const timeout: SerializedError = { code: 'JCT_ENDPOINT_TIMEOUT', message: 'ERP did not answer in 10 s.', retryable: true };
      await log.transition(message.id, stage('deliver:erp', 'RETRYING', { error: timeout, attempt: 2 }));
      await log.transition(message.id, stage('processing', 'PROCESSING', { attempt: 2 }));
      const loaded = await log.load(message.id);
      expect(loaded?.lastError).to.deep.equal(timeout);
      expect(loaded?.stages[3]).not.to.have.property('error');
      expect((await log.find({ routeId: message.routeId }))[0]?.lastError).to.deep.equal(timeout);
    });

    it('finds by status, route, correlation id and business key, newest first (ties by id, descending)', async () => {
      const r1 = route();
      const r2 = route();
      const base = Date.UTC(2026, 0, 1, 12);
      const correlationId = uniqueName('corr');
      const a = testMessage(r1, { businessKey: 'K-1', correlationId }, new Date(base));
      const b = testMessage(r1, { businessKey: 'K-2', correlationId }, new Date(base + 1));
      const c = testMessage(r1, { businessKey: 'K-2' }, new Date(base + 1));
      const d = testMessage(r2, { correlationId }, new Date(base + 2));
      for (const m of [a, b, c, d]) await log.recordReceived(m);
      await log.transition(b.id, stage('failed', 'FAILED', { error: VALIDATION_ERROR }));
      const ids = async (q: Parameters<TransactionLog['find']>[0]): Promise<string[]> => (await log.find(q)).map((m) => m.id);
      const [tieHigh, tieLow] = [b.id, c.id].sort().reverse();
      expect(await ids({ routeId: r1 })).to.deep.equal([tieHigh, tieLow, a.id]);
      expect(await ids({ correlationId })).to.deep.equal([d.id, b.id, a.id]);
      expect(await ids({ routeId: r1, businessKey: 'K-2' })).to.deep.equal([tieHigh, tieLow]);
      expect(await ids({ routeId: r1, status: 'FAILED' })).to.deep.equal([b.id]);
      expect(await ids({ correlationId, status: 'RECEIVED' })).to.deep.equal([d.id, a.id]);
      expect(await ids({ routeId: r1, businessKey: 'k-2' })).to.deep.equal([]);
      const summary = (await log.find({ routeId: r2 }))[0];
      expect(summary).to.deep.include({ id: d.id, routeId: r2, correlationId, status: 'RECEIVED', attempts: 1 });
      expect(summary).not.to.have.property('payload');
      expect(summary?.receivedAt.toISOString()).to.equal(d.receivedAt);
    });

    it('find: 50 by default, limits clamped to 1..1000', async () => {
      const r = route();
      const start = Date.UTC(2025, 5, 1);
      await inBatches(1001, 50, (i) => log.recordReceived(testMessage(r, {}, new Date(start + i))));
      const all = await log.find({ routeId: r, limit: 5000 });
      expect(all).to.have.length(1000);
      expect(all[0]?.receivedAt.getTime()).to.equal(start + 1000);
      expect(await log.find({ routeId: r })).to.have.length(50);
      expect(await log.find({ routeId: r, limit: 0 })).to.have.length(1);
      expect(await log.find({ routeId: r, limit: -3 })).to.have.length(1);
      expect(await log.find({ routeId: r, limit: 7.9 })).to.have.length(7);
    });

    it('applies exactly one of 20 concurrent transitions from the same status', async () => {
      const message = testMessage(route());
      await log.recordReceived(message);
      await log.transition(message.id, stage('published', 'QUEUED'));
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) =>
        log.transition(message.id, stage(`processing-${i}`, 'PROCESSING', { attempt: i + 1 }), ['QUEUED'])));
      expect(results.filter((r) => r === 'applied')).to.have.length(1);
      expect(results.filter((r) => r === 'skipped')).to.have.length(19);
      const loaded = await log.load(message.id);
      expect(loaded?.stages).to.have.length(3);
      expect(loaded?.attempts).to.equal(loaded?.stages[2]?.attempt);
    });

    it('keeps every one of 200 messages recorded and moved concurrently', async () => {
      const r = route();
      const messages = Array.from({ length: 200 }, () => testMessage(r));
      await Promise.all(messages.map(async (m) => {
        await log.recordReceived(m);
        expect(await log.transition(m.id, stage('published', 'QUEUED'), ['RECEIVED'])).to.equal('applied');
        expect(await log.transition(m.id, stage('processing', 'PROCESSING'), ['QUEUED'])).to.equal('applied');
        expect(await log.transition(m.id, stage('deliver', 'DELIVERED'), ['PROCESSING'])).to.equal('applied');
      }));
      expect(await log.find({ routeId: r, limit: 1000 })).to.have.length(200);
      expect(await log.find({ routeId: r, status: 'DELIVERED', limit: 1000 })).to.have.length(200);
      for (const m of messages.slice(0, 20)) {
        expect((await log.load(m.id))?.stages.map((s) => s.stage)).to.deep.equal(['received', 'published', 'processing', 'deliver']);
      }
    });

    it('records an idempotency key and body hash; finds the message by route and key', async () => {
      const r = route();
      const hash = 'a'.repeat(64);
      const message = testMessage(r);
      await log.recordReceived(message, { idempotencyKey: 'key-1', bodyHash: hash });
      const plain = testMessage(r);
      await log.recordReceived(plain);
      const found = await log.findByIdempotencyKey(r, 'key-1');
      expect(found).to.deep.include({ id: message.id, idempotencyKey: 'key-1', bodyHash: hash, status: 'RECEIVED', payload: message.body });
      expect(found?.stages.map((s) => s.stage)).to.deep.equal(['received']);
      expect(await log.findByIdempotencyKey(r, 'KEY-1')).to.equal(undefined);
      expect(await log.findByIdempotencyKey(route(), 'key-1')).to.equal(undefined);
      expect(await log.load(plain.id)).not.to.have.property('idempotencyKey');
      expect((await log.load(message.id))?.idempotencyKey).to.equal('key-1');
      const long = 'k'.repeat(255);
      const other = testMessage(r);
      await log.recordReceived(other, { idempotencyKey: long, bodyHash: hash });
      expect((await log.findByIdempotencyKey(r, long))?.id).to.equal(other.id);
      expectJunctionError(await rejection(log.recordReceived(testMessage(r), { idempotencyKey: 'k'.repeat(256) })), 'JCT_REQUEST_MALFORMED');
    });

    it('refuses a second message with the same key on the same route (JCT_IDEMPOTENCY_KEY_REUSED); other routes and no key are free', async () => {
      const r = route();
      const first = testMessage(r);
      await log.recordReceived(first, { idempotencyKey: 'k', bodyHash: 'h1' });
      const second = testMessage(r);
      const error = expectJunctionError(await rejection(log.recordReceived(second, { idempotencyKey: 'k', bodyHash: 'h2' })), 'JCT_IDEMPOTENCY_KEY_REUSED');
      expect(error.details).to.deep.include({ routeId: r, idempotencyKey: 'k' });
      expect(await log.load(second.id)).to.equal(undefined);
      await log.recordReceived(testMessage(route()), { idempotencyKey: 'k', bodyHash: 'h1' });
      await log.recordReceived(testMessage(r));
      await log.recordReceived(testMessage(r));
      expect(await log.find({ routeId: r })).to.have.length(3);
      // A duplicate id is still the old error, not the idempotency one.
      const again = await rejection(log.recordReceived(first, { idempotencyKey: 'other', bodyHash: 'h1' }));
      expect((again as Error).message).to.include(first.id);
    });

    it('lets exactly one of 20 concurrent inserts with the same key win', async () => {
      const r = route();
      const messages = Array.from({ length: 20 }, () => testMessage(r));
      const results = await Promise.allSettled(messages.map((m) => log.recordReceived(m, { idempotencyKey: 'race', bodyHash: 'h' })));
      const winners = results.filter((x) => x.status === 'fulfilled');
      expect(winners).to.have.length(1);
      for (const lost of results.filter((x): x is PromiseRejectedResult => x.status === 'rejected')) {
        expectJunctionError(lost.reason, 'JCT_IDEMPOTENCY_KEY_REUSED');
      }
      const winner = messages[results.findIndex((x) => x.status === 'fulfilled')];
      expect((await log.findByIdempotencyKey(r, 'race'))?.id).to.equal(winner?.id);
      expect(await log.find({ routeId: r })).to.have.length(1);
    });

    it('finds stranded messages: status RECEIVED and received before a time', async () => {
      const r = route();
      const old = testMessage(r, {}, new Date(Date.now() - 120_000));
      const oldQueued = testMessage(r, {}, new Date(Date.now() - 120_000));
      const fresh = testMessage(r);
      for (const m of [old, oldQueued, fresh]) await log.recordReceived(m);
      await log.transition(oldQueued.id, stage('queued', 'QUEUED'));
      const cutoff = new Date(Date.now() - 60_000);
      const stranded = await log.find({ routeId: r, status: 'RECEIVED', receivedBefore: cutoff });
      expect(stranded.map((m) => m.id)).to.deep.equal([old.id]);
      expect((await log.find({ routeId: r, receivedBefore: new Date(old.receivedAt) }))).to.have.length(0);
      expect((await log.find({ routeId: r, receivedBefore: new Date(Date.now() + 1000) }))).to.have.length(3);
    });

    it('finds overdue messages: last changed before a time, changed longest ago first', async () => {
      const r = route();
      const [first, second, late] = [testMessage(r), testMessage(r), testMessage(r)];
      for (const m of [first, second, late]) await log.recordReceived(m);
      await log.transition(second.id, stage('retry', 'RETRYING'));
      await sleep(30);
      await log.transition(first.id, stage('retry', 'RETRYING'));
      await sleep(30);
      const cutoff = new Date();
      await sleep(30);
      await log.transition(late.id, stage('retry', 'RETRYING'));
      const overdue = await log.find({ routeId: r, status: 'RETRYING', updatedBefore: cutoff });
      expect(overdue.map((m) => m.id)).to.deep.equal([second.id, first.id]);
      expect(await log.find({ routeId: r, status: 'RETRYING', updatedBefore: cutoff, limit: 1 })).to.have.length(1);
      expect(await log.find({ routeId: r, status: 'HELD', updatedBefore: new Date(Date.now() + 1000) })).to.have.length(0);
    });

    it('pages through overdue messages from the last one seen (changedAfter): each once, in the order of one query', async () => {
      const r = route();
      const messages = Array.from({ length: 5 }, () => testMessage(r));
      for (const m of messages) await log.recordReceived(m);
      // Changed in two bursts: messages of one burst may share their updatedAt (milliseconds), which the id orders.
      await Promise.all(messages.slice(0, 2).map((m) => log.transition(m.id, stage('retry', 'RETRYING'))));
      await sleep(5);
      await Promise.all(messages.slice(2).map((m) => log.transition(m.id, stage('retry', 'RETRYING'))));
      const cutoff = new Date(Date.now() + 1000);
      const all = await log.find({ routeId: r, status: 'RETRYING', updatedBefore: cutoff });
      expect(all).to.have.length(5);
      const paged: string[] = [];
      let after: { updatedAt: Date; id: string } | undefined;
      for (let page = 0; page < 10; page += 1) {
        const items = await log.find({ routeId: r, status: 'RETRYING', updatedBefore: cutoff, limit: 2, ...(after ? { changedAfter: after } : {}) });
        paged.push(...items.map((m) => m.id));
        const last = items.at(-1);
        if (items.length < 2 || last === undefined) break;
        after = { updatedAt: last.updatedAt, id: last.id };
      }
      expect(paged, 'every message once, in the order of one query').to.deep.equal(all.map((m) => m.id));
      const lastOne = all.at(-1);
      expect(lastOne).to.not.equal(undefined);
      if (lastOne) expect(await log.find({ routeId: r, status: 'RETRYING', updatedBefore: cutoff, changedAfter: { updatedAt: lastOne.updatedAt, id: lastOne.id } })).to.have.length(0);
    });

    operatorContract(() => log);

    it('close is idempotent', async () => {
      const other = await factory();
      try {
        await other.log.close();
        await other.log.close();
      } finally {
        await other.cleanup();
      }
    });

    it('writes of one message made without waiting for each other are applied in the order they were made', async () => {
      const message = testMessage(route());
      await log.recordReceived(message);
      const names = Array.from({ length: 20 }, (_, i) => `step:${i}`);
      const results = await Promise.all([
        ...names.map((n) => log.transition(message.id, stage(n, 'PROCESSING', { payload: n }))),
        log.transition(message.id, stage('deliver:x', 'DELIVERED'), ['PROCESSING']),
      ]);
      expect(new Set(results)).to.deep.equal(new Set(['applied']));
      const loaded = await log.load(message.id);
      expect(loaded?.stages.map((s) => s.stage)).to.deep.equal(['received', ...names, 'deliver:x']);
      expect(loaded?.status).to.equal('DELIVERED');
    });

    it('ping answers while started and fails with JCT_STORE_UNAVAILABLE once closed', async () => {
      await log.ping();
      const other = await factory();
      try {
        await other.log.ping();
        await other.log.close();
        expectJunctionError(await rejection(other.log.ping()), 'JCT_STORE_UNAVAILABLE');
      } finally {
        await other.cleanup();
      }
    });
  });
}
