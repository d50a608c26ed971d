import path from 'node:path';
import { expect } from 'chai';
import { adminTarget } from '../../../src/cli/admin-client';
import { configFile } from '../../../src/cli/offline-build';
import { parseMainArgs } from '../../../src/main';

/** `FOO= junction …` in a shell sets FOO to "": that means unset, as for `${FOO}` in the configuration file. */
describe('junction: where the configuration and the running Junction are, from options and the environment', () => {
  const shipped = path.join('config', 'default.yaml');

  it('the configuration file: --config, else JUNCTION_CONFIG, else config/default.yaml; an empty JUNCTION_CONFIG is unset', () => {
    expect(parseMainArgs([], {})).to.deep.equal({ config: shipped, role: 'all' });
    expect(parseMainArgs([], { JUNCTION_CONFIG: '' }).config).to.equal(shipped);
    expect(parseMainArgs([], { JUNCTION_CONFIG: 'prod.yaml' }).config).to.equal('prod.yaml');
    expect(parseMainArgs(['--config', 'x.yaml', '--role', 'worker'], { JUNCTION_CONFIG: 'prod.yaml' })).to.deep.equal({ config: 'x.yaml', role: 'worker' });
    expect(configFile(undefined, {})).to.equal(shipped);
    expect(configFile(undefined, { JUNCTION_CONFIG: '' })).to.equal(shipped);
    expect(configFile(undefined, { JUNCTION_CONFIG: 'prod.yaml' })).to.equal('prod.yaml');
    expect(configFile('x.yaml', { JUNCTION_CONFIG: 'prod.yaml' })).to.equal('x.yaml');
  });

  it('the running Junction: --url, else JUNCTION_URL, else the demo\'s; an empty JUNCTION_URL is unset', () => {
    expect(adminTarget({}, { JUNCTION_URL: '' }).url).to.equal('http://127.0.0.1:8080');
    expect(adminTarget({}, { JUNCTION_URL: 'http://junction.internal:8080/' }).url).to.equal('http://junction.internal:8080');
    expect(adminTarget({ url: 'http://other:1' }, { JUNCTION_URL: 'http://junction.internal:8080' }).url).to.equal('http://other:1');
  });
});
