/**
 * Schemas of the `admin` and `retention` sections (docs/configuration.md), kept apart from
 * config-schema.ts, which includes them. Defaults are filled in here.
 */
export const ADMIN_CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    tokens: {
      type: 'array',
      default: [],
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'role'],
        oneOf: [{ required: ['token'] }, { required: ['sha256'] }],
        properties: {
          name: { type: 'string', pattern: '^[A-Za-z0-9._@-]{1,64}$' },
          role: { enum: ['viewer', 'operator', 'admin'] },
          token: { type: 'string' },
          sha256: { type: 'string', pattern: '^[0-9a-fA-F]{64}$' },
        },
      },
    },
    // Which roles of an API-key client (security.clients.<name>.roles) or a bearer JWT (its roles
    // claim) grant each admin role; the highest granted wins (docs/operators.md, "Signing in").
    roles: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        viewer: { type: 'array', default: ['junction:viewer'], items: { type: 'string', minLength: 1, maxLength: 200 } },
        operator: { type: 'array', default: ['junction:operator'], items: { type: 'string', minLength: 1, maxLength: 200 } },
        admin: { type: 'array', default: ['junction:admin'], items: { type: 'string', minLength: 1, maxLength: 200 } },
      },
    },
    // The console's single sign-on (docs/security.md, "Console sign-in with the identity provider");
    // checked further at boot by console/console-oidc-config.ts.
    console: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        oidc: {
          type: 'object',
          additionalProperties: false,
          required: ['clientId'],
          properties: {
            clientId: { type: 'string', minLength: 1, maxLength: 256 },
            scope: { type: 'string', pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+( [\\x21\\x23-\\x5B\\x5D-\\x7E]+)*$', maxLength: 1024, default: 'openid' },
            token: { enum: ['access', 'id'], default: 'access' },
            issuer: { type: 'string', minLength: 1, maxLength: 2048 },
            audience: { type: 'string', minLength: 1, maxLength: 1024 },
            redirectUri: { type: 'string', minLength: 1, maxLength: 2048 },
          },
        },
      },
    },
    replay: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        ratePerSecond: { type: 'integer', minimum: 1, maximum: 1000, default: 20 },
        maxRatePerSecond: { type: 'integer', minimum: 1, maximum: 10000, default: 200 },
      },
    },
  },
} as const;

export const RETENTION_CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    enabled: { type: 'boolean', default: true },
    deliveredDays: { type: 'number', exclusiveMinimum: 0, maximum: 36500, default: 30 },
    resolvedDays: { type: 'number', exclusiveMinimum: 0, maximum: 36500, default: 30 },
    batchSize: { type: 'integer', minimum: 1, maximum: 10000, default: 500 },
    intervalMs: { type: 'integer', minimum: 100, maximum: 86400000, default: 60000 },
    pauseMs: { type: 'integer', minimum: 0, maximum: 60000, default: 200 },
  },
} as const;
