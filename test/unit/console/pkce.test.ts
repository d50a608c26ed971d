import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { base64url, jwtClaims, randomValue, s256Challenge } from '../../../console/src/pkce';

describe('the console\'s PKCE helpers (console/src/pkce.ts, the browser\'s code run on Node\'s Web Crypto)', () => {
  it('derives the S256 challenge of RFC 7636, appendix B', async () => {
    expect(await s256Challenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).to.equal('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('encodes base64url without padding, as Node does', () => {
    for (const length of [0, 1, 2, 3, 31, 32, 33]) {
      const bytes = createHash('sha512').update(String(length)).digest().subarray(0, length);
      expect(base64url(new Uint8Array(bytes)), `${length} bytes`).to.equal(bytes.toString('base64url'));
    }
    expect(base64url(new Uint8Array([0xfb, 0xff, 0xfe]))).to.equal('-__-');
  });

  it('makes verifiers RFC 7636 accepts (43 characters of its alphabet) and never the same twice', () => {
    const values = Array.from({ length: 200 }, () => randomValue());
    for (const value of values) expect(value).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(new Set(values).size).to.equal(200);
  });

  it('reads a JWT\'s claims (UTF-8 too), and nothing from text that is not one', () => {
    const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
    expect(jwtClaims(`${part({ alg: 'RS256' })}.${part({ sub: 'ann', name: 'Zoë', roles: ['junction:operator'] })}.c2ln`))
      .to.deep.equal({ sub: 'ann', name: 'Zoë', roles: ['junction:operator'] });
    for (const text of ['opaque-access-token', 'a.b', `${part({})}.${part([1])}.c2ln`, `${part({})}.bm90IGpzb24.c2ln`, `${part({})}.${part({ a: 1 })}.c2ln.x`, `${part({})}.${part({ a: 1 })}.c2=n`]) {
      expect(jwtClaims(text), text).to.equal(undefined);
    }
  });
});
