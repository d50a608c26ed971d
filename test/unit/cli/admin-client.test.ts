import { expect } from 'chai';
import { adminTarget } from '../../../src/cli/admin-client';
import { CliStop } from '../../../src/cli/exit-codes';

describe('junction CLI: whom the operator commands sign in as (src/cli/admin-client)', () => {
  const url = 'http://127.0.0.1:8080';

  it('takes a token (admin token or JWT) or an API key, from options before the environment, a token before a key', () => {
    expect(adminTarget({}, { JUNCTION_TOKEN: 't' })).to.deep.equal({ url, token: 't' });
    expect(adminTarget({}, { JUNCTION_API_KEY: 'k' })).to.deep.equal({ url, apiKey: { header: 'X-Api-Key', key: 'k' } });
    expect(adminTarget({}, { JUNCTION_API_KEY: 'k', JUNCTION_API_KEY_HEADER: 'X-Client-Key' }).apiKey).to.deep.equal({ header: 'X-Client-Key', key: 'k' });
    expect(adminTarget({}, { JUNCTION_TOKEN: 't', JUNCTION_API_KEY: 'k' })).to.deep.equal({ url, token: 't' });
    expect(adminTarget({ apiKey: 'k2' }, { JUNCTION_TOKEN: 't' })).to.deep.equal({ url, apiKey: { header: 'X-Api-Key', key: 'k2' } });
    expect(adminTarget({ token: 't2' }, { JUNCTION_API_KEY: 'k' })).to.deep.equal({ url, token: 't2' });
    expect(adminTarget({}, {})).to.deep.equal({ url });
  });

  it('refuses --token and --api-key together as a usage error', () => {
    expect(() => adminTarget({ token: 't', apiKey: 'k' }, {})).to.throw(CliStop).with.property('exitCode', 2);
  });
});
