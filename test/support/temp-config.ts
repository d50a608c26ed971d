import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A throw-away directory holding configuration files written by a test. */
export class TempConfigDir {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'junction-config-'));

  /** Writes `content` to `name` inside the directory; returns its absolute path. */
  write(name: string, content: string): string {
    const file = path.join(this.dir, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
    return file;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A small valid configuration; tests replace parts of it. */
export const MINIMAL_CONFIG = `
endpoints:
  oa:
    type: http
    url: http://127.0.0.1:9/oa/approvals
routes:
  - id: submit-order
    entry:
      rest: { method: POST, path: /orders }
    to: [oa]
`;
