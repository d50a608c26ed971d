import { secretsEqual } from './constant-time';

/** One client's API key. */
export interface ApiKeyEntry {
  readonly client: string;
  readonly key: string;
}

/**
 * Finds the client an API key belongs to. Every configured key is compared, in constant time,
 * whatever matched first: the time taken says nothing about which key, or how much of one, was right.
 */
export class ApiKeyVerifier {
  constructor(private readonly entries: readonly ApiKeyEntry[]) {}

  /** How many keys are configured. */
  get size(): number {
    return this.entries.length;
  }

  /** The client name, or undefined when no key matches. */
  clientOf(presented: string): string | undefined {
    let found: string | undefined;
    for (const entry of this.entries) {
      if (secretsEqual(presented, entry.key) && found === undefined) found = entry.client;
    }
    return found;
  }
}
