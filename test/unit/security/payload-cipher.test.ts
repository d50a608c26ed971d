import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { JunctionError } from '../../../src/core/errors';
import { decryptStored, ENCRYPTED_PREFIX, needsRewrite, parseKeyRing, PayloadCipher } from '../../../src/security/payload-cipher';

const key = (): string => randomBytes(32).toString('base64');

describe('payload cipher (AES-256-GCM with key ids)', () => {
  const k1 = key();
  const k2 = key();

  it('encrypts with the first key, names it, and decrypts back exactly (unicode, empty and large texts)', () => {
    const cipher = new PayloadCipher(parseKeyRing(`2026-11:${k2},2026-01:${k1}`, 'test'));
    for (const plain of ['{"cardNumber":"4111111111111111"}', 'Grüße 👋\r\n', 'x'.repeat(200_000)]) {
      const stored = cipher.encrypt(plain, 'm1:payload');
      expect(stored.startsWith(`${ENCRYPTED_PREFIX}2026-11:`)).to.equal(true);
      // The card number never shows (a 4-digit piece could, by chance, in 270,000 characters of base64).
      expect(stored).not.to.contain('4111111111111111');
      expect(cipher.decrypt(stored, 'm1:payload')).to.equal(plain);
    }
    expect(cipher.encrypt('same', 'c')).not.to.equal(cipher.encrypt('same', 'c')); // a fresh IV each time
  });

  it('rotation: values written with the old key still read once a new key writes', () => {
    const old = new PayloadCipher(parseKeyRing(`2026-01:${k1}`, 'test'));
    const stored = old.encrypt('old secret', 'm:payload');
    const rotated = new PayloadCipher(parseKeyRing(`2026-11:${k2},2026-01:${k1}`, 'test'));
    expect(rotated.decrypt(stored, 'm:payload')).to.equal('old secret');
    expect(rotated.encrypt('new', 'm:payload')).to.contain(':2026-11:');
  });

  it('reads plain values stored before encryption was on, and with encrypt: false writes plain but still reads', () => {
    const cipher = new PayloadCipher(parseKeyRing(`a:${k1}`, 'test'));
    expect(cipher.decrypt('{"plain":true}', 'm:payload')).to.equal('{"plain":true}');
    const reading = new PayloadCipher(parseKeyRing(`a:${k1}`, 'test'), false);
    expect(reading.encrypt('clear', 'm')).to.equal('clear');
    expect(reading.decrypt(cipher.encrypt('was secret', 'm'), 'm')).to.equal('was secret');
  });

  it('refuses an unknown key id, a tampered value, a value moved to another message, and ciphertext with no keys at all', () => {
    const cipher = new PayloadCipher(parseKeyRing(`a:${k1}`, 'test'));
    const other = new PayloadCipher(parseKeyRing(`b:${k2}`, 'test'));
    const stored = cipher.encrypt('secret', 'm1:payload');
    const code = (f: () => unknown): string => { try { f(); return 'none'; } catch (e) { return (e as JunctionError).code; } };
    expect(code(() => other.decrypt(stored, 'm1:payload'))).to.equal('JCT_PAYLOAD_UNREADABLE');
    // Change the second-to-last character (the last one may carry bits base64url ignores): always to another one.
    const at = stored.length - 2;
    const flipped = stored.slice(0, at) + (stored[at] === 'A' ? 'B' : 'A') + stored.slice(at + 1);
    expect(flipped).to.not.equal(stored);
    expect(code(() => cipher.decrypt(flipped, 'm1:payload'))).to.equal('JCT_PAYLOAD_UNREADABLE');
    expect(code(() => cipher.decrypt(stored, 'm2:payload'))).to.equal('JCT_PAYLOAD_UNREADABLE');
    expect(code(() => decryptStored(stored, 'm1:payload'))).to.equal('JCT_PAYLOAD_UNREADABLE');
  });

  it('rewrap (key rotation) rewrites values of another key, and values in clear only when asked; never those of the writing key or empty ones', () => {
    const old = new PayloadCipher(parseKeyRing(`2026-01:${k1}`, 'test'));
    const rotated = new PayloadCipher(parseKeyRing(`2026-11:${k2},2026-01:${k1}`, 'test'));
    const oldValue = old.encrypt('old secret', 'm:payload');
    const rewrapped = rotated.rewrap(oldValue, 'm:payload', false)!;
    expect(rewrapped.startsWith(`${ENCRYPTED_PREFIX}2026-11:`)).to.equal(true);
    expect(rotated.decrypt(rewrapped, 'm:payload')).to.equal('old secret');
    expect(rotated.rewrap(rewrapped, 'm:payload', true)).to.equal(undefined);
    expect(rotated.rewrap('in clear', 'm:payload', false)).to.equal(undefined);
    expect(rotated.decrypt(rotated.rewrap('in clear', 'm:payload', true)!, 'm:payload')).to.equal('in clear');
    expect(rotated.rewrap('', 'm:payload', true)).to.equal(undefined);
    expect(new PayloadCipher(parseKeyRing(`2026-11:${k2},2026-01:${k1}`, 'test'), false).rewrap(oldValue, 'm:payload', true)).to.equal(undefined);
    // The store decides from a value's first 48 characters, with the same rule.
    for (const [stored, encryptPlain] of [[oldValue, false], [rewrapped, true], ['in clear', false], ['in clear', true], ['', true]] as const) {
      expect(needsRewrite(stored.slice(0, 48), '2026-11', encryptPlain), `${stored.slice(0, 20)} ${encryptPlain}`)
        .to.equal(rotated.rewrap(stored, 'm:payload', encryptPlain) !== undefined);
    }
  });

  it('key rings: ids required, 32-byte keys (base64 or hex), no duplicates; errors never quote a key', () => {
    expect(parseKeyRing(`hex:${randomBytes(32).toString('hex')}`, 't')).to.have.length(1);
    for (const bad of [k1, `a:${randomBytes(16).toString('base64')}`, `a:${k1},a:${k2}`, '']) {
      try {
        parseKeyRing(bad, 'env JUNCTION_PAYLOAD_KEYS');
        expect.fail(`accepted ${bad}`);
      } catch (error) {
        expect((error as JunctionError).code).to.equal('JCT_CONFIG_INVALID');
        expect((error as Error).message).not.to.contain(k1.slice(0, 20));
        expect((error as Error).message).to.contain('env JUNCTION_PAYLOAD_KEYS');
      }
    }
  });
});
