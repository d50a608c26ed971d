import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { parseKeyRing, PayloadCipher } from '../../src/security/payload-cipher';
import { NO_PROTECTION } from '../../src/store/typeorm/row-mapping';
import { TypeOrmTransactionLog } from '../../src/store/typeorm/typeorm-transaction-log';
import { dropStoreTables, testMessage } from '../contract/transaction-log.support';
import { runJunction } from '../support/cli-process';
import { requireEnv, uniqueName } from '../support/env';
import { MINIMAL_CONFIG, TempConfigDir } from '../support/temp-config';

/**
 * `junction store keys` and `junction store rekey` (src/cli/store-command.ts) as an operator runs
 * them after a key rotation: against the real MariaDB, with the keys from the environment the
 * configuration names, next to rows a log with the old key wrote.
 */
describe('junction store keys / rekey (real MariaDB)', function () {
  this.timeout(90_000);
  const url = requireEnv('JUNCTION_TEST_DB_URL');
  const prefix = `${uniqueName('sk').toLowerCase().slice(0, 14)}_`;
  const OLD = `k1:${randomBytes(32).toString('base64')}`;
  const NEW = `k2:${randomBytes(32).toString('base64')}`;
  const temp = new TempConfigDir();
  let config: string;
  const messages = [0, 1].map((i) => testMessage('r-keys', { body: `{"orderId":"SO-${i}","cardNumber":"4111111111111111"}` }));

  before(async () => {
    const cipher = new PayloadCipher(parseKeyRing(OLD, 'test'));
    const log = new TypeOrmTransactionLog({
      url, tablePrefix: prefix,
      protection: { encrypt: (p, c) => cipher.encrypt(p, c), decrypt: (s, c) => cipher.decrypt(s, c), redactError: NO_PROTECTION.redactError },
    });
    await log.start();
    try {
      for (const m of messages) {
        await log.recordReceived(m);
        await log.transition(m.id, { stage: 'step:map', status: 'PROCESSING', attempt: 1, payload: `<o>${m.id}</o>` });
      }
    } finally {
      await log.close();
    }
    config = temp.write('keys.yaml', `
store: { url: "${url}", tablePrefix: ${prefix} }
security:
  payloadEncryption:
    keys: { env: JUNCTION_PAYLOAD_KEYS }
${MINIMAL_CONFIG}`);
  });

  after(async () => {
    temp.remove();
    await dropStoreTables(url, prefix);
  });

  it('keys shows which key wrote the payloads and says what to do; rekey rewrites them; then the old key is unused', async () => {
    const env = { JUNCTION_PAYLOAD_KEYS: `${NEW},${OLD}` };
    const before = await runJunction(['store', 'keys', '--config', config], env);
    expect(before.code, before.stderr).to.equal(0);
    expect(before.stdout).to.match(/PAYLOADS\s+IN CLEAR\s+k2 \(writes\)\s+k1\n/);
    expect(before.stdout).to.match(/messages\s+0\s+0\s+2\n/);
    expect(before.stdout).to.match(/stages\s+0\s+0\s+2\n/);
    expect(before.stdout).to.contain('Payloads of k1 remain: run "junction store rekey" to rewrite them with k2 before removing that key.');

    const rekey = await runJunction(['store', 'rekey', '--config', config, '--batch', '1'], env);
    expect(rekey.code, rekey.stderr).to.equal(0);
    expect(rekey.stdout).to.equal('Rewrote 4 of 4 stored payloads with key k2.\n');
    expect(rekey.stderr).to.contain('scanned 4, rewritten 4');

    const after = await runJunction(['store', 'keys', '--config', config, '--json'], env);
    expect(after.code, after.stderr).to.equal(0);
    expect(JSON.parse(after.stdout)).to.deep.equal({
      ok: true, writingKey: 'k2', configuredKeys: ['k2', 'k1'],
      messages: { plain: 0, byKey: { k2: 2 } }, stages: { plain: 0, byKey: { k2: 2 } },
    });
    const text = await runJunction(['store', 'keys', '--config', config], env);
    expect(text.stdout).to.contain('No stored payload uses k1: it can be removed from security.payloadEncryption.keys.');

    // Without the old key every payload still reads.
    const cipher = new PayloadCipher(parseKeyRing(NEW, 'test'));
    const log = new TypeOrmTransactionLog({ url, tablePrefix: prefix, protection: { encrypt: (p, c) => cipher.encrypt(p, c), decrypt: (s, c) => cipher.decrypt(s, c), redactError: NO_PROTECTION.redactError } });
    await log.start();
    try {
      for (const m of messages) {
        const record = await log.load(m.id);
        expect(record?.payload).to.equal(m.body);
        expect(record?.stages.find((s) => s.stage === 'step:map')?.payload).to.equal(`<o>${m.id}</o>`);
      }
    } finally {
      await log.close();
    }
  });

  it('need only the payload keys: a client secret unset on this machine stops a start, not the store commands', async () => {
    const withClients = temp.write('clients.yaml', `
store: { url: "${url}", tablePrefix: ${prefix} }
security:
  payloadEncryption:
    keys: { env: JUNCTION_PAYLOAD_KEYS }
  clients:
    crm:
      apiKey: { env: JUNCTION_TEST_CRM_KEY }
      routes: ["*"]
${MINIMAL_CONFIG}`);
    const env = { JUNCTION_PAYLOAD_KEYS: `${NEW},${OLD}` };
    const keys = await runJunction(['store', 'keys', '--config', withClients, '--json'], env);
    expect(keys.code, keys.stderr).to.equal(0);
    expect(JSON.parse(keys.stdout)).to.include({ ok: true, writingKey: 'k2' });
    const rekey = await runJunction(['store', 'rekey', '--config', withClients], env);
    expect(rekey.code, rekey.stderr).to.equal(0);
    expect(rekey.stdout).to.match(/^Rewrote \d+ of 4 stored payloads with key k2\.\n$/);

    const start = await runJunction(['start', '--config', withClients], env);
    expect(start.code).to.equal(2);
    expect(start.stderr).to.contain('security.clients.crm.apiKey: the environment variable JUNCTION_TEST_CRM_KEY is not set (or empty); set it to the secret.');
    expect(start.stderr).to.not.match(/\n\s+at /);
  });

  it('rekey without payload keys, or with a bad --batch, exits 2 with a message and no stack', async () => {
    const unset = await runJunction(['store', 'rekey', '--config', config], {});
    expect(unset.code).to.equal(2);
    expect(unset.stderr).to.match(/^junction: .*JUNCTION_PAYLOAD_KEYS|^junction: Payload encryption is not configured/m);
    expect(unset.stderr).to.not.match(/\n\s+at /);
    const batch = await runJunction(['store', 'rekey', '--config', config, '--batch', '0'], { JUNCTION_PAYLOAD_KEYS: NEW });
    expect(batch.code).to.equal(2);
    expect(batch.stderr).to.equal('junction: --batch must be a whole number from 1 to 5000.\n');
  });
});
