import { createHash } from 'node:crypto';
import type { LoadedConfig } from '../../src/config/load-config';

/** Tokens of the three roles the tests use. */
export const ADMIN_TEST_TOKENS = { viewer: 'viewer-token-0123456789', operator: 'operator-token-0123456789', admin: 'admin-token-0123456789' };
const sha = (t: string): string => createHash('sha256').update(t).digest('hex');

/** The demo configuration with three tokens (as SHA-256 hashes) and retention off. */
export function withAdminTokens(loaded: LoadedConfig): LoadedConfig {
  const { config } = loaded;
  return { ...loaded, config: { ...config,
    admin: { ...config.admin, tokens: [
      { name: 'vic', role: 'viewer', sha256: sha(ADMIN_TEST_TOKENS.viewer) },
      { name: 'alice', role: 'operator', sha256: sha(ADMIN_TEST_TOKENS.operator) },
      { name: 'root', role: 'admin', sha256: sha(ADMIN_TEST_TOKENS.admin) },
    ] },
    retention: { ...config.retention, enabled: false },
  } };
}
