import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { Masker } from '../../../src/security/masking/masker';
import { parseKeyRing, PayloadCipher } from '../../../src/security/payload-cipher';
import { storeNames } from '../../../src/store/typeorm/entities';
import { RECEIVED_PAYLOAD } from '../../../src/store/typeorm/shared-payloads';
import { NO_PROTECTION, type StoreProtection } from '../../../src/store/typeorm/row-mapping';
import { TypeOrmTransactionLog } from '../../../src/store/typeorm/typeorm-transaction-log';
import { dropStoreTables, expectJunctionError, openMysql, rejection, testMessage } from '../../contract/transaction-log.support';
import { requireEnv, uniqueName } from '../../support/env';

const masker = new Masker({ fields: ['**/password', '**/cardNumber'] });
const OLD_KEY = randomBytes(32).toString('base64');
const NEW_KEY = randomBytes(32).toString('base64');

function protection(keys: string | undefined): StoreProtection {
  const cipher = keys === undefined ? undefined : new PayloadCipher(parseKeyRing(keys, 'test'));
  return {
    encrypt: (p, c) => (cipher ? cipher.encrypt(p, c) : p),
    decrypt: (s, c) => (cipher ? cipher.decrypt(s, c) : NO_PROTECTION.decrypt(s, c)),
    redactError: (e) => masker.redactError(e),
  };
}

/** The stage columns the raw-row checks read. */
interface StageColumns { payload: string | null; error: string | null; payloadOf: string | null }

const BODY = '{"orderId":"SO-1","cardNumber":"4111111111111111","amount":250.00}';

/** Payloads encrypted at rest, on both databases: raw rows hold ciphertext, load() and replay read plain text. */
for (const dialect of ['sqlite', 'mysql'] as const) {
  describe(`payload encryption at rest (${dialect})`, function () {
    this.timeout(30_000);
    let url: string;
    let prefix: string;
    let dir: string | undefined;
    /** A message's raw rows: its stored payload ('' once deleted) and its stages' columns. */
    let rawRows: (messageId: string) => Promise<{ payload: string; stagePayloads: string[]; errors: string[]; payloadOf: (string | null)[] }>;

    beforeEach(async () => {
      prefix = `${uniqueName('enc')}_`.slice(0, 16);
      if (dialect === 'sqlite') {
        dir = await mkdtemp(path.join(tmpdir(), 'junction-enc-'));
        url = `sqlite:${path.join(dir, 'log.db')}`;
        rawRows = async (id) => {
          const db = new Database(path.join(dir!, 'log.db'), { readonly: true });
          try {
            const names = storeNames(prefix);
            const message = db.prepare(`SELECT payload FROM "${names.message}" WHERE id = ?`).get(id) as { payload: string } | undefined;
            const stages = db.prepare(`SELECT payload, error, payload_of AS payloadOf FROM "${names.stage}" WHERE message_id = ? ORDER BY seq`).all(id) as StageColumns[];
            return { payload: message?.payload ?? '', stagePayloads: stages.map((s) => s.payload).filter((p): p is string => p !== null), errors: stages.map((s) => s.error).filter((e): e is string => e !== null), payloadOf: stages.map((s) => s.payloadOf) };
          } finally {
            db.close();
          }
        };
      } else {
        url = requireEnv('JUNCTION_TEST_DB_URL');
        rawRows = async (id) => {
          const connection = await openMysql(url);
          try {
            const names = storeNames(prefix);
            const [messages] = await connection.query(`SELECT payload FROM \`${names.message}\` WHERE id = ?`, [id]) as unknown as [{ payload: string }[]];
            const [stages] = await connection.query(`SELECT payload, error, payload_of AS payloadOf FROM \`${names.stage}\` WHERE message_id = ? ORDER BY seq`, [id]) as unknown as [StageColumns[]];
            return { payload: messages[0]?.payload ?? '', stagePayloads: stages.map((s) => s.payload).filter((p): p is string => p !== null), errors: stages.map((s) => s.error).filter((e): e is string => e !== null), payloadOf: stages.map((s) => s.payloadOf) };
          } finally {
            await connection.end();
          }
        };
      }
    });

    afterEach(async () => {
      if (dialect === 'mysql') await dropStoreTables(url, prefix);
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    const open = async (keys: string | undefined): Promise<TypeOrmTransactionLog> => {
      const log = new TypeOrmTransactionLog({ url, tablePrefix: prefix, protection: protection(keys) });
      await log.start();
      return log;
    };
    /** Opens a log with these keys, runs `work` on it, closes it. */
    const withLog = async <T>(keys: string | undefined, work: (log: TypeOrmTransactionLog) => Promise<T>): Promise<T> => {
      const log = await open(keys);
      try {
        return await work(log);
      } finally {
        await log.close();
      }
    };

    it('stores message and stage payloads encrypted, masks stored errors, and load() gives the exact text back', async () => {
      const log = await open(`k1:${OLD_KEY}`);
      try {
        const message = testMessage('r-enc', { body: BODY });
        await log.recordReceived(message);
        await log.transition(message.id, { stage: 'step:map', status: 'PROCESSING', attempt: 1, payload: '<o><cardNumber>4111111111111111</cardNumber></o>' });
        await log.transition(message.id, { stage: 'deliver:erp', status: 'FAILED', attempt: 1, error: { code: 'JCT_ENDPOINT_REJECTED', message: 'ERP said: <password>hunter22</password> for card 4111111111111111', retryable: false } });
        const raw = await rawRows(message.id);
        expect(raw.payload.startsWith('jct:enc:v1:k1:')).to.equal(true);
        expect(raw.stagePayloads).to.have.length(1);
        expect(raw.stagePayloads[0]!.startsWith('jct:enc:v1:k1:')).to.equal(true);
        expect(JSON.stringify(raw)).not.to.contain('4111111111111111').and.not.to.contain('hunter22');
        const record = (await log.load(message.id))!;
        expect(record.payload).to.equal(BODY);
        expect(record.stages.find((s) => s.stage === 'step:map')!.payload).to.equal('<o><cardNumber>4111111111111111</cardNumber></o>');
        expect(record.lastError!.message).to.equal('ERP said: <password>****</password> for card ****1111');
      } finally {
        await log.close();
      }
    });

    it('stages written with a status change (preceding: the captured steps) are encrypted like any other', async () => {
      const log = await open(`k1:${OLD_KEY}`);
      try {
        const message = testMessage('r-enc', { body: BODY });
        await log.recordReceived(message);
        const step = '<o><cardNumber>4111111111111111</cardNumber></o>';
        expect(await log.transition(message.id, { stage: 'deliver:erp', status: 'DELIVERED', attempt: 1, payload: step }, ['RECEIVED'], {
          preceding: [{ stage: 'step:map', status: 'PROCESSING', attempt: 1, payload: BODY }, { stage: 'step:xml', status: 'PROCESSING', attempt: 1, payload: step }],
        })).to.equal('applied');
        const raw = await rawRows(message.id);
        // The delivery repeats step:xml's payload: written (and encrypted) once, read back for both.
        expect(raw.stagePayloads).to.have.length(2);
        expect(raw.payloadOf).to.deep.equal([null, null, null, 'step:xml']);
        for (const payload of raw.stagePayloads) expect(payload.startsWith('jct:enc:v1:k1:')).to.equal(true);
        expect(JSON.stringify(raw)).not.to.contain('4111111111111111');
        const stages = (await log.load(message.id))!.stages;
        expect(stages.map((s) => [s.stage, s.payload])).to.deep.equal([['received', undefined], ['step:map', BODY], ['step:xml', step], ['deliver:erp', step]]);
      } finally {
        await log.close();
      }
    });

    it('a replay is stored encrypted like any new message, and loads back exactly', async () => {
      const log = await open(`k1:${OLD_KEY}`);
      try {
        const original = testMessage('r-enc', { body: BODY });
        await log.recordReceived(original);
        await log.transition(original.id, { stage: 'deliver:erp', status: 'FAILED', attempt: 1, error: { code: 'JCT_ENDPOINT_REJECTED', message: 'no', retryable: false } });
        const replay = testMessage('r-enc', { body: BODY.replace('SO-1', 'SO-1b'), replayOf: original.id });
        const result = await log.recordReplay(replay, { originalId: original.id, force: false, audit: { actor: 'ann', role: 'operator', method: 'jwt', action: 'replay' } });
        expect(result.outcome).to.equal('recorded');
        const raw = await rawRows(replay.id);
        expect(raw.payload.startsWith('jct:enc:v1:k1:')).to.equal(true);
        expect(JSON.stringify(raw)).not.to.contain('4111111111111111');
        expect((await log.load(replay.id))!.payload).to.equal(BODY.replace('SO-1', 'SO-1b'));
      } finally {
        await log.close();
      }
    });

    it('reads rows written before encryption was on, and after a key rotation reads old rows while writing with the new key', async () => {
      const plain = await open(undefined);
      const before = testMessage('r-enc', { body: BODY });
      await plain.recordReceived(before);
      await plain.close();
      const first = await open(`k1:${OLD_KEY}`);
      const during = testMessage('r-enc', { body: BODY });
      await first.recordReceived(during);
      await first.close();
      const rotated = await open(`k2:${NEW_KEY},k1:${OLD_KEY}`);
      try {
        const after = testMessage('r-enc', { body: BODY });
        await rotated.recordReceived(after);
        expect((await rawRows(before.id)).payload).to.equal(BODY);
        expect((await rawRows(during.id)).payload.startsWith('jct:enc:v1:k1:')).to.equal(true);
        expect((await rawRows(after.id)).payload.startsWith('jct:enc:v1:k2:')).to.equal(true);
        for (const m of [before, during, after]) expect((await rotated.load(m.id))!.payload).to.equal(BODY);
      } finally {
        await rotated.close();
      }
      const withoutKeys = await open(undefined);
      try {
        expectJunctionError(await rejection(withoutKeys.load(during.id)), 'JCT_PAYLOAD_UNREADABLE');
      } finally {
        await withoutKeys.close();
      }
    });

    it('key rotation: counts payloads per key, rewrites those of the old key with the new one (in clear ones only when asked), and the old key can go', async () => {
      const plain = testMessage('r-enc', { body: BODY });
      await withLog(undefined, async (log) => {
        await log.recordReceived(plain);
        await log.transition(plain.id, { stage: 'step:map', status: 'PROCESSING', attempt: 1, payload: 'in clear' });
      });
      const old = [0, 1, 2].map((i) => testMessage('r-enc', { body: BODY.replace('SO-1', `SO-old-${i}`) }));
      await withLog(`k1:${OLD_KEY}`, async (log) => {
        for (const m of old) {
          await log.recordReceived(m);
          // The delivery repeats the step's payload: one stored payload, which the rotation rewrites.
          await log.transition(m.id, { stage: 'deliver:erp', status: 'PROCESSING', attempt: 1, payload: `<o id="${m.id}"/>` }, undefined, {
            preceding: [{ stage: 'step:map', status: 'PROCESSING', attempt: 1, payload: `<o id="${m.id}"/>` }],
          });
        }
      });
      const ring = `k2:${NEW_KEY},k1:${OLD_KEY}`;
      const fresh = testMessage('r-enc', { body: BODY.replace('SO-1', 'SO-new') });
      await withLog(ring, async (log) => {
        await log.recordReceived(fresh);
        expect(await log.payloadKeyUsage(2)).to.deep.equal({ messages: { plain: 1, byKey: { k1: 3, k2: 1 } }, stages: { plain: 1, byKey: { k1: 3 } } });
        const batches: number[] = [];
        const cipher = new PayloadCipher(parseKeyRing(ring, 'test'));
        // Batches of two: both tables are walked to the end, across batch boundaries.
        const first = await log.rekeyPayloads(cipher, { batchSize: 2, onProgress: (p) => batches.push(p.rewritten) });
        expect(first).to.deep.equal({ scanned: 9, rewritten: 6, unreadable: 0, unreadableRows: [] });
        expect(batches.length).to.be.at.least(4);
        expect(await log.payloadKeyUsage()).to.deep.equal({ messages: { plain: 1, byKey: { k2: 4 } }, stages: { plain: 1, byKey: { k2: 3 } } });
        // Run again: nothing left of the old key.
        expect((await log.rekeyPayloads(cipher)).rewritten).to.equal(0);
        expect((await log.rekeyPayloads(cipher, { encryptPlain: true })).rewritten).to.equal(2);
        expect(await log.payloadKeyUsage()).to.deep.equal({ messages: { plain: 0, byKey: { k2: 5 } }, stages: { plain: 0, byKey: { k2: 4 } } });
        expect((await rawRows(plain.id)).payload.startsWith('jct:enc:v1:k2:')).to.equal(true);
      });
      // The old key is no longer needed: everything reads with the new one alone.
      await withLog(`k2:${NEW_KEY}`, async (newOnly) => {
        expect((await newOnly.load(plain.id))!.payload).to.equal(BODY);
        expect((await newOnly.load(plain.id))!.stages.find((s) => s.stage === 'step:map')!.payload).to.equal('in clear');
        for (const m of [...old, fresh]) expect((await newOnly.load(m.id))!.payload).to.equal(m.body);
        for (const m of old) {
          expect((await newOnly.load(m.id))!.stages.filter((s) => s.payload !== undefined).map((s) => [s.stage, s.payload]))
            .to.deep.equal([['step:map', `<o id="${m.id}"/>`], ['deliver:erp', `<o id="${m.id}"/>`]]);
        }
      });
    });

    it('key rotation skips empty payloads and stages that repeat an earlier one (payload_of): neither counted as in clear nor rewritten', async () => {
      const empty = testMessage('r-enc', { body: '' });
      const repeated = testMessage('r-enc', { body: BODY });
      await withLog(undefined, async (log) => {
        await log.recordReceived(empty);
        await log.recordReceived(repeated);
        await log.transition(repeated.id, { stage: 'deliver:erp', status: 'PROCESSING', attempt: 1, payload: '<o/>' }, undefined, {
          preceding: [{ stage: 'step:map', status: 'PROCESSING', attempt: 1, payload: '<o/>' }],
        });
      });
      expect((await rawRows(repeated.id)).payloadOf).to.deep.equal([null, null, 'step:map']);
      const ring = `k2:${NEW_KEY}`;
      await withLog(ring, async (log) => {
        expect(await log.payloadKeyUsage()).to.deep.equal({ messages: { plain: 1, byKey: {} }, stages: { plain: 1, byKey: {} } });
        // Scanned: both messages, and the one stage that holds a payload.
        expect(await log.rekeyPayloads(new PayloadCipher(parseKeyRing(ring, 'test')), { encryptPlain: true }))
          .to.deep.equal({ scanned: 3, rewritten: 2, unreadable: 0, unreadableRows: [] });
        expect(await log.payloadKeyUsage()).to.deep.equal({ messages: { plain: 0, byKey: { k2: 1 } }, stages: { plain: 0, byKey: { k2: 1 } } });
        expect((await rawRows(empty.id)).payload).to.equal('');
        const raw = await rawRows(repeated.id);
        expect(raw.payloadOf).to.deep.equal([null, null, 'step:map']);
        expect(raw.stagePayloads).to.have.length(1);
        expect((await log.load(empty.id))!.payload).to.equal('');
        expect((await log.load(repeated.id))!.stages.filter((s) => s.payload !== undefined).map((s) => [s.stage, s.payload]))
          .to.deep.equal([['step:map', '<o/>'], ['deliver:erp', '<o/>']]);
      });
    });

    it('a stage repeating the received body refers to the message\'s encrypted payload (payload_of @received), reads back, and survives key rotation with the old key gone', async () => {
      const message = testMessage('r-enc', { body: BODY });
      const xml = '<o><cardNumber>4111111111111111</cardNumber></o>';
      await withLog(`k1:${OLD_KEY}`, async (log) => {
        await log.recordReceived(message);
        expect(await log.transition(message.id, { stage: 'deliver:erp', status: 'DELIVERED', attempt: 1, payload: xml }, ['RECEIVED'], {
          received: BODY,
          preceding: [{ stage: 'step:check', status: 'PROCESSING', attempt: 1, payload: BODY }, { stage: 'step:map', status: 'PROCESSING', attempt: 1, payload: xml }],
        })).to.equal('applied');
        // Only the step that changed the body holds one; the check names the message's own, the delivery the map's.
        const raw = await rawRows(message.id);
        expect(raw.payloadOf).to.deep.equal([null, RECEIVED_PAYLOAD, null, 'step:map']);
        expect(raw.stagePayloads).to.have.length(1);
        expect(raw.stagePayloads[0]!.startsWith('jct:enc:v1:k1:')).to.equal(true);
        expect(JSON.stringify(raw)).not.to.contain('4111111111111111');
      });
      const ring = `k2:${NEW_KEY},k1:${OLD_KEY}`;
      await withLog(ring, async (log) => {
        expect(await log.rekeyPayloads(new PayloadCipher(parseKeyRing(ring, 'test')))).to.deep.include({ rewritten: 2, unreadable: 0 });
        expect((await rawRows(message.id)).payloadOf).to.deep.equal([null, RECEIVED_PAYLOAD, null, 'step:map']);
      });
      await withLog(`k2:${NEW_KEY}`, async (newOnly) => {
        const record = (await newOnly.load(message.id))!;
        expect(record.payload).to.equal(BODY);
        expect(record.stages.map((s) => [s.stage, s.payload])).to.deep.equal([['received', undefined], ['step:check', BODY], ['step:map', xml], ['deliver:erp', xml]]);
      });
    });

    it('a message recorded without its body (capture: none): a stage said to repeat the received body comes back without a payload, never an empty one', async () => {
      await withLog(`k1:${OLD_KEY}`, async (log) => {
        const bodiless = testMessage('r-enc', { body: '' });
        await log.recordReceived(bodiless);
        await log.transition(bodiless.id, { stage: 'step:check', status: 'PROCESSING', attempt: 1, payload: BODY }, undefined, { received: BODY });
        expect((await rawRows(bodiless.id)).payloadOf).to.deep.equal([null, RECEIVED_PAYLOAD]);
        expect((await log.load(bodiless.id))!.stages[1]).not.to.have.property('payload');
      });
    });

    it('purge deletes the stages that refer to a received body with their message: no row is left behind', async () => {
      await withLog(undefined, async (log) => {
        const old = testMessage('r-enc', { body: BODY }, new Date(Date.UTC(2001, 0, 1)));
        await log.recordReceived(old);
        await log.transition(old.id, { stage: 'deliver:erp', status: 'DELIVERED', attempt: 1, payload: BODY }, undefined, {
          received: BODY, preceding: [{ stage: 'step:check', status: 'PROCESSING', attempt: 1, payload: BODY }],
        });
        expect((await rawRows(old.id)).payloadOf).to.deep.equal([null, RECEIVED_PAYLOAD, RECEIVED_PAYLOAD]);
        const cutoff = new Date(Date.UTC(2002, 0, 1));
        expect(await log.purge({ deliveredBefore: cutoff, resolvedBefore: cutoff, limit: 10 })).to.equal(1);
        expect(await log.load(old.id)).to.equal(undefined);
        expect((await rawRows(old.id)).payloadOf).to.deep.equal([]);
      });
    });

    it('key rotation leaves a payload it cannot decrypt as it is, counts it and names it; the others are rewritten', async () => {
      const lost = randomBytes(32).toString('base64');
      const orphan = testMessage('r-enc', { body: BODY });
      await withLog(`gone:${lost}`, (log) => log.recordReceived(orphan));
      const ring = `k2:${NEW_KEY},k1:${OLD_KEY}`;
      const readable = testMessage('r-enc', { body: BODY });
      await withLog(`k1:${OLD_KEY}`, (log) => log.recordReceived(readable));
      await withLog(ring, async (log) => {
        const result = await log.rekeyPayloads(new PayloadCipher(parseKeyRing(ring, 'test')));
        expect(result).to.deep.equal({ scanned: 2, rewritten: 1, unreadable: 1, unreadableRows: [orphan.id] });
        expect((await rawRows(orphan.id)).payload.startsWith('jct:enc:v1:gone:')).to.equal(true);
        expect((await rawRows(readable.id)).payload.startsWith('jct:enc:v1:k2:')).to.equal(true);
        expect(await log.payloadKeyUsage()).to.deep.equal({ messages: { plain: 0, byKey: { gone: 1, k2: 1 } }, stages: { plain: 0, byKey: {} } });
        const off = new PayloadCipher(parseKeyRing(ring, 'test'), false);
        expectJunctionError(await rejection(log.rekeyPayloads(off)), 'JCT_CONFIG_INVALID');
      });
    });
  });
}
