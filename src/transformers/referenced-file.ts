import { readFileSync } from 'node:fs';
import { JunctionError } from '../core/errors';

/**
 * Reads a file a step's options refer to (a stylesheet, an expression) at boot. Throws
 * JCT_CONFIG_REFERENCE naming the file and what it is for when it cannot be read.
 */
export function readReferencedFile(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'the file does not exist' : (error as Error).message;
    throw new JunctionError('JCT_CONFIG_REFERENCE', `${what} ${file} cannot be read: ${reason}.`, { cause: error });
  }
}

/** 1-based line and column of a 0-based character offset in `text`. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, offset));
  const line = before.split('\n').length;
  return { line, column: offset - (before.lastIndexOf('\n') + 1) + 1 };
}
