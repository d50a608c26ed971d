import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';

const ROOT = path.resolve(__dirname, '../../..');
const readJson = (file: string): Record<string, unknown> => JSON.parse(readFileSync(path.join(ROOT, file), 'utf8')) as Record<string, unknown>;

describe('install scripts a fresh `npm ci` must run (package.json allowScripts)', () => {
  it('approves every locked package that has one: npm 11.16+ warns about the others, and npm 12 skips them', () => {
    const lock = readJson('package-lock.json') as { packages: Record<string, { version?: string; hasInstallScript?: boolean }> };
    const allowed = (readJson('package.json').allowScripts ?? {}) as Record<string, boolean>;
    const withScripts = Object.entries(lock.packages)
      .filter(([where, entry]) => where !== '' && entry.hasInstallScript === true)
      .map(([where, entry]) => ({ name: where.replace(/^.*node_modules\//, ''), version: String(entry.version) }));
    // better-sqlite3 builds the embedded default's SQLite binding: without it, `npm start` fails.
    expect(withScripts.map((p) => p.name)).to.include('better-sqlite3');
    const unapproved = withScripts.filter((p) => allowed[p.name] !== true && allowed[`${p.name}@${p.version}`] !== true);
    expect(unapproved, 'add them to "allowScripts" in package.json (npm install-scripts approve <pkg>)').to.deep.equal([]);
  });
});
