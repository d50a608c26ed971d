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

  it('takes a client certificate, key and CA from options before the environment, each on its own, only for an https URL', () => {
    const https = 'https://junction.example:8443';
    expect(adminTarget({ url: https }, { JUNCTION_CERT: 'c.crt', JUNCTION_KEY: 'c.key', JUNCTION_CA: 'ca.crt' })).to.deep.equal({ url: https, tls: { cert: 'c.crt', key: 'c.key', ca: 'ca.crt' } });
    expect(adminTarget({ url: https, cert: 'o.crt', key: 'o.key' }, { JUNCTION_CERT: 'c.crt', JUNCTION_KEY: 'c.key', JUNCTION_TOKEN: 't' }))
      .to.deep.equal({ url: https, token: 't', tls: { cert: 'o.crt', key: 'o.key' } });
    expect(adminTarget({ url: https, ca: 'ca.crt' }, { JUNCTION_TOKEN: 't' })).to.deep.equal({ url: https, token: 't', tls: { ca: 'ca.crt' } });
    expect(adminTarget({}, { JUNCTION_CERT: '', JUNCTION_KEY: '' })).to.deep.equal({ url });
    expect(() => adminTarget({ url: https, cert: 'c.crt' }, {})).to.throw(CliStop, /--cert and --key/).with.property('exitCode', 2);
    expect(() => adminTarget({}, { JUNCTION_CERT: 'c.crt', JUNCTION_KEY: 'c.key' })).to.throw(CliStop, /https:\/\/ URL/).with.property('exitCode', 2);
  });
});
