import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { loadConfig } from '../../../src/config/load-config';
import { DEFAULT_TABLE_PREFIX } from '../../../src/store/typeorm/entities';
import { DEFAULT_GROUP_COMMIT } from '../../../src/store/typeorm/group-commit';
import { MINIMAL_CONFIG, TempConfigDir } from '../../support/temp-config';

/** The `default` column of docs/configuration.md's `groupCommit.*` rows, as numbers (`4194304` (4 MiB) → 4194304). */
function documentedDefaults(): Record<string, number | boolean> {
  const docs = readFileSync('docs/configuration.md', 'utf8');
  const rows = [...docs.matchAll(/^\| `groupCommit\.(\w+)` \| `([^`]+)`/gm)];
  return Object.fromEntries(rows.map(([, key, value]) => [key, value === 'true' || value === 'false' ? value === 'true' : Number(value)]));
}

describe('store.groupCommit defaults (one source: the configuration schema)', () => {
  let temp: TempConfigDir;
  beforeEach(() => { temp = new TempConfigDir(); });
  afterEach(() => temp.remove());

  it('a log built without configuration uses the same settings as a configuration that leaves them out', () => {
    const { config } = loadConfig(temp.write('junction.yaml', MINIMAL_CONFIG), {});
    const { enabled, ...settings } = config.store.groupCommit;
    expect(enabled).to.equal(true);
    expect(settings).to.deep.equal({ ...DEFAULT_GROUP_COMMIT });
    expect(DEFAULT_GROUP_COMMIT).to.deep.equal({ maxWrites: 256, maxBytes: 4 * 1024 * 1024, connections: 4 });
  });

  it('the table prefix of a log built without configuration is the schema\'s default too', () => {
    const { config } = loadConfig(temp.write('junction.yaml', MINIMAL_CONFIG), {});
    expect(DEFAULT_TABLE_PREFIX).to.equal(config.store.tablePrefix).and.to.equal('jct_');
  });

  it('docs/configuration.md states the same defaults', () => {
    const { config } = loadConfig(temp.write('junction.yaml', MINIMAL_CONFIG), {});
    expect(documentedDefaults()).to.deep.equal({ ...config.store.groupCommit });
  });
});
