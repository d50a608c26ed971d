import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { JUNCTION_VERSION } from '../../../src/core/version';

describe('JUNCTION_VERSION (src/core/version)', () => {
  it('is the version package.json declares', () => {
    const pkg = JSON.parse(readFileSync(path.resolve(__dirname, '../../../../package.json'), 'utf8')) as { version: string };
    expect(JUNCTION_VERSION).to.equal(pkg.version);
  });
});
