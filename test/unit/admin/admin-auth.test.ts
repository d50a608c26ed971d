import { createHash } from 'node:crypto';
import { expect } from 'chai';
import type { Request } from 'express';
import { checkTokenConfig, hasRole, TokenAuthenticator } from '../../../src/admin/admin-auth';
import { loadConfig } from '../../../src/config/load-config';
import { endpointOfStage, errorGroupKey, normaliseErrorMessage } from '../../../src/core/error-fingerprint';
import { JunctionError } from '../../../src/core/errors';
import { MINIMAL_CONFIG, TempConfigDir } from '../../support/temp-config';

const withAuth = (value?: string): Request => ({ header: (name: string) => (name.toLowerCase() === 'authorization' ? value : undefined) }) as unknown as Request;

describe('admin authentication (src/admin/admin-auth)', () => {
  let temp: TempConfigDir;
  beforeEach(() => { temp = new TempConfigDir(); });
  afterEach(() => temp.remove());

  it('refuses a token written in clear in the file, naming its line; accepts ${VAR} and sha256', () => {
    const clear = temp.write('clear.yaml', `${MINIMAL_CONFIG}\nadmin:\n  tokens:\n    - { name: ops, role: operator, token: s3cret-in-the-file }\n`);
    let error: unknown;
    try {
      checkTokenConfig(loadConfig(clear, {}));
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(JunctionError);
    expect((error as JunctionError).code).to.equal('JCT_CONFIG_INVALID');
    expect((error as Error).message).to.match(/clear\.yaml:\d+:\d+ admin\.tokens\[0\]\.token: must be taken from the environment/);
    const good = temp.write('good.yaml', `${MINIMAL_CONFIG}\nadmin:\n  tokens:\n    - { name: ops, role: operator, token: "\${OPS_TOKEN}" }\n    - { name: bot, role: viewer, sha256: ${'a'.repeat(64)} }\n`);
    expect(() => checkTokenConfig(loadConfig(good, { OPS_TOKEN: 'x'.repeat(20) }))).not.to.throw();
    const twice = temp.write('twice.yaml', `${MINIMAL_CONFIG}\nadmin:\n  tokens:\n    - { name: ops, role: operator, sha256: ${'a'.repeat(64)} }\n    - { name: ops, role: viewer, sha256: ${'b'.repeat(64)} }\n`);
    expect(() => checkTokenConfig(loadConfig(twice, {}))).to.throw(/"ops" is used by another token/);
  });

  it('resolves a bearer token to its principal; a wrong one is 401; none is no principal; an empty token is disabled', () => {
    const auth = new TokenAuthenticator([
      { name: 'alice', role: 'operator', token: 'alice-token-123' },
      { name: 'bot', role: 'viewer', sha256: createHash('sha256').update('bot-token-456').digest('hex') },
      { name: 'nobody', role: 'admin', token: '' },
    ]);
    expect(auth.size).to.equal(2);
    expect(auth.disabled).to.deep.equal(['nobody']);
    expect(auth.authenticate(withAuth('Bearer alice-token-123'))).to.deep.equal({ name: 'alice', role: 'operator' });
    expect(auth.authenticate(withAuth('bearer   bot-token-456'))).to.deep.equal({ name: 'bot', role: 'viewer' });
    expect(auth.authenticate(withAuth())).to.equal(undefined);
    for (const bad of ['Bearer alice-token-12', 'Basic YWxpY2U6eA==', 'Bearer ', 'Bearer ']) {
      expect(() => auth.authenticate(withAuth(bad)), bad).to.throw(JunctionError).with.property('code', 'JCT_ADMIN_UNAUTHENTICATED');
    }
  });

  it('orders roles viewer < operator < admin', () => {
    expect(hasRole('admin', 'operator')).to.equal(true);
    expect(hasRole('operator', 'operator')).to.equal(true);
    expect(hasRole('viewer', 'operator')).to.equal(false);
    expect(hasRole('operator', 'admin')).to.equal(false);
  });
});

describe('failure causes (src/core/error-fingerprint)', () => {
  it('takes out ids, times, e-mail addresses and numbers; same cause, same key', () => {
    expect(normaliseErrorMessage('customer C-42 unknown (order 9f1c2b3a-1111-4222-8333-444455556666 at 2026-11-03T02:00:00.123Z, ada@example.org, 250.00)'))
      .to.equal('customer C-<n> unknown (order <id> at <time>, <email>, <n>)');
    expect(errorGroupKey('erp', 'JCT_ENDPOINT_REJECTED', 'customer C-41 unknown')).to.equal(errorGroupKey('erp', 'JCT_ENDPOINT_REJECTED', 'customer C-42 unknown'));
    expect(errorGroupKey('erp', 'JCT_ENDPOINT_REJECTED', 'x')).not.to.equal(errorGroupKey('oa', 'JCT_ENDPOINT_REJECTED', 'x'));
    expect(errorGroupKey(undefined, 'JCT_ENDPOINT_REJECTED', 'x')).not.to.equal(errorGroupKey(undefined, 'JCT_ENDPOINT_TIMEOUT', 'x'));
    expect(endpointOfStage('deliver:erp-orders')).to.equal('erp-orders');
    expect(endpointOfStage('step:erp-orders:map')).to.equal(undefined);
  });
});
