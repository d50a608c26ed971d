/**
 * JSON Schema of the configuration file. Checked once at boot with all errors reported; defaults
 * are filled in here so the rest of Junction never guesses. Connector and step options are
 * checked by their own registries against their own schemas.
 */
import { ADMIN_CONFIG_SCHEMA, RETENTION_CONFIG_SCHEMA } from './admin-config-schema';

const ID_PATTERN = '^[a-z][a-z0-9-]{0,62}$';

/** A secret is read from the environment or a file, never written into the configuration. */
export const SECRET_REF_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  maxProperties: 1,
  properties: {
    env: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
    file: { type: 'string', minLength: 1 },
  },
} as const;

/**
 * TLS of an outgoing connection (`bus.tls`, `store.tls`, an endpoint's `tls`): the CA to trust,
 * a client certificate and key, the name to verify. Standalone (no `$ref`), so endpoint option
 * schemas can embed it.
 */
export const CLIENT_TLS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ca: SECRET_REF_SCHEMA,
    cert: SECRET_REF_SCHEMA,
    key: SECRET_REF_SCHEMA,
    servername: { type: 'string', minLength: 1 },
    rejectUnauthorized: { type: 'boolean', default: true },
  },
} as const;

/** CRL files (`server.tls.crl`, `security.auth.wsSecurity.signature.crl`): one or several, and how often they are re-read. */
const CRL_PROPERTIES = {
  crl: { oneOf: [{ $ref: '#/$defs/fileRef' }, { type: 'array', minItems: 1, items: { $ref: '#/$defs/fileRef' } }] },
  crlReloadSeconds: { type: 'integer', minimum: 1, maximum: 86400, default: 300 },
} as const;

export const CONFIG_SCHEMA = {
  $defs: {
    secret: SECRET_REF_SCHEMA,
    tlsClient: CLIENT_TLS_SCHEMA,
    // A file that is not a secret (a CRL): a path, relative to the configuration file's folder.
    fileRef: {
      type: 'object',
      additionalProperties: false,
      required: ['file'],
      properties: { file: { type: 'string', minLength: 1 } },
    },
    bodyLimit: { type: 'integer', minimum: 1024, maximum: 268435456 },
    steps: {
      type: 'array',
      default: [],
      items: {
        type: 'object',
        required: ['type'],
        properties: {
          type: { type: 'string', minLength: 1 },
          name: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$' },
        },
      },
    },
  },
  type: 'object',
  additionalProperties: false,
  required: ['endpoints', 'routes'],
  properties: {
    server: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        port: { type: 'integer', minimum: 0, maximum: 65535, default: 8080 },
        host: { type: 'string', minLength: 1, default: '127.0.0.1' },
        bodyLimitBytes: { type: 'integer', minimum: 1024, maximum: 268435456, default: 1048576 },
        shutdownTimeoutMs: { type: 'integer', minimum: 100, maximum: 3600000, default: 30000 },
        // Answers gzip/deflate-compressed for callers that accept it (docs/configuration.md).
        compression: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            enabled: { type: 'boolean', default: true },
            thresholdBytes: { type: 'integer', minimum: 0, maximum: 16777216, default: 1024 },
          },
        },
        tls: {
          type: 'object',
          additionalProperties: false,
          required: ['cert', 'key'],
          properties: {
            cert: { $ref: '#/$defs/secret' },
            key: { $ref: '#/$defs/secret' },
            ca: { $ref: '#/$defs/secret' },
            clientCertificates: { enum: ['none', 'request', 'require'], default: 'none' },
            minVersion: { enum: ['TLSv1.2', 'TLSv1.3'], default: 'TLSv1.2' },
            // Certificate revocation lists (PEM files, re-read when they change): docs/security.md.
            ...CRL_PROPERTIES,
          },
        },
      },
    },
    rest: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        bodyLimitBytes: { $ref: '#/$defs/bodyLimit' },
      },
    },
    security: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        xml: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            maxDepth: { type: 'integer', minimum: 4, maximum: 10000, default: 100 },
            maxElements: { type: 'integer', minimum: 10, maximum: 10000000, default: 50000 },
            maxAttributes: { type: 'integer', minimum: 1, maximum: 10000, default: 100 },
            maxNameLength: { type: 'integer', minimum: 16, maximum: 10000, default: 256 },
          },
        },
        json: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: { maxDepth: { type: 'integer', minimum: 4, maximum: 10000, default: 100 } },
        },
        auth: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            mode: { enum: ['off', 'required'], default: 'off' },
            apiKeyHeader: { type: 'string', pattern: '^[A-Za-z0-9-]{1,64}$', default: 'X-Api-Key' },
            docs: { enum: ['public', 'authenticated'], default: 'public' },
            jwt: {
              type: 'object',
              additionalProperties: false,
              required: ['algorithms', 'issuer', 'audience'],
              properties: {
                algorithms: { type: 'array', minItems: 1, items: { enum: ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'] } },
                secret: { $ref: '#/$defs/secret' },
                publicKey: { $ref: '#/$defs/secret' },
                issuer: { oneOf: [{ type: 'string', minLength: 1 }, { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } }] },
                audience: { oneOf: [{ type: 'string', minLength: 1 }, { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } }] },
                clientClaim: { type: 'string', minLength: 1, default: 'sub' },
                rolesClaim: { type: 'string', minLength: 1, default: 'roles' },
                clockToleranceSeconds: { type: 'integer', minimum: 0, maximum: 300, default: 30 },
                maxAgeSeconds: { type: 'integer', minimum: 1, maximum: 604800 },
                // The identity provider's JWKS (docs/security.md, "Keys from a JWKS URL"); checked further by jwt-config-check.ts.
                jwksUrl: { type: 'string', minLength: 1, maxLength: 2048 },
                // Or found in <issuer>/.well-known/openid-configuration (OpenID Connect discovery).
                discovery: { type: 'boolean', default: false },
                jwksCa: { $ref: '#/$defs/secret' },
                jwksCacheSeconds: { type: 'integer', minimum: 10, maximum: 86400, default: 600 },
                jwksCooldownSeconds: { type: 'integer', minimum: 0, maximum: 3600, default: 30 },
                jwksTimeoutMs: { type: 'integer', minimum: 100, maximum: 60000, default: 5000 },
                jwksMaxStaleSeconds: { type: 'integer', minimum: 0, maximum: 604800, default: 3600 },
              },
            },
            // HTTP Basic with the clients' username/password (docs/security.md).
            httpBasic: { type: 'boolean', default: false },
            wsSecurity: {
              type: 'object',
              additionalProperties: false,
              default: {},
              properties: {
                maxAgeSeconds: { type: 'integer', minimum: 10, maximum: 3600, default: 300 },
                clockSkewSeconds: { type: 'integer', minimum: 0, maximum: 600, default: 60 },
                digestOnly: { type: 'boolean', default: false },
                nonceCacheSize: { type: 'integer', minimum: 100, maximum: 10000000, default: 100000 },
                // WS-Security X.509 signatures (docs/security.md): the CAs that issue the signers' certificates.
                signature: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['ca'],
                  properties: {
                    ca: { $ref: '#/$defs/secret' },
                    allowSha1: { type: 'boolean', default: false },
                    requireSignedHeaders: { type: 'boolean', default: true },
                    ...CRL_PROPERTIES,
                  },
                },
              },
            },
          },
        },
        clients: {
          type: 'object',
          default: {},
          propertyNames: { pattern: '^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$' },
          additionalProperties: {
            type: 'object',
            additionalProperties: false,
            properties: {
              apiKey: { $ref: '#/$defs/secret' },
              username: { type: 'string', minLength: 1, maxLength: 128 },
              password: { $ref: '#/$defs/secret' },
              routes: { type: 'array', default: [], items: { type: 'string', pattern: '^(\\*|[a-z][a-z0-9-]{0,62})$' } },
              roles: { type: 'array', default: [], items: { type: 'string', minLength: 1 } },
              certificate: {
                type: 'object',
                additionalProperties: false,
                minProperties: 1,
                properties: {
                  subject: { type: 'string', minLength: 3, maxLength: 1024 },
                  fingerprint256: { type: 'string', minLength: 64, maxLength: 95 },
                },
              },
            },
            dependencies: { username: ['password'], password: ['username'] },
          },
        },
        masking: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            fields: { type: 'array', default: ['**/password', '**/cardNumber', '**/nationalId'], items: { type: 'string', minLength: 1 } },
            mask: { type: 'string', minLength: 1, maxLength: 16, default: '****' },
            cardNumbers: { type: 'boolean', default: true },
          },
        },
        payloadEncryption: {
          type: 'object',
          additionalProperties: false,
          required: ['keys'],
          properties: {
            keys: { $ref: '#/$defs/secret' },
            encrypt: { type: 'boolean', default: true },
          },
        },
      },
    },
    log: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        level: { enum: ['debug', 'info', 'warn', 'error', 'silent'], default: 'info' },
        format: { enum: ['json', 'text'], default: 'json' },
      },
    },
    store: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        url: { type: 'string', pattern: '^(mysql|mariadb|sqlite):', default: 'sqlite:.junction/junction.db' },
        poolSize: { type: 'integer', minimum: 1, maximum: 500, default: 10 },
        tablePrefix: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,15}$', default: 'jct_' },
        groupCommit: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            enabled: { type: 'boolean', default: true },
            maxWrites: { type: 'integer', minimum: 1, maximum: 10000, default: 256 },
            maxBytes: { type: 'integer', minimum: 65536, maximum: 67108864, default: 4194304 },
            connections: { type: 'integer', minimum: 1, maximum: 64, default: 4 },
          },
        },
        tls: { $ref: '#/$defs/tlsClient' },
      },
    },
    bus: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        url: { type: 'string', pattern: '^(amqps?|memory):', default: 'memory:' },
        prefix: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$', default: 'junction' },
        prefetch: { type: 'integer', minimum: 1, maximum: 10000, default: 50 },
        tls: { $ref: '#/$defs/tlsClient' },
      },
    },
    admin: ADMIN_CONFIG_SCHEMA,
    retention: RETENTION_CONFIG_SCHEMA,
    recovery: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        intervalMs: { type: 'integer', minimum: 1000, maximum: 3600000, default: 10000 },
        graceMs: { type: 'integer', minimum: 1000, maximum: 86400000, default: 30000 },
        batchSize: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
      },
    },
    soap: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        bodyLimitBytes: { $ref: '#/$defs/bodyLimit' },
        services: {
          type: 'object',
          default: {},
          propertyNames: { pattern: ID_PATTERN },
          additionalProperties: {
            type: 'object',
            additionalProperties: false,
            required: ['wsdl'],
            properties: {
              wsdl: { type: 'string', minLength: 1 },
              path: { type: 'string', pattern: '^(/[A-Za-z0-9._~-]+)+$' },
              bodyLimitBytes: { $ref: '#/$defs/bodyLimit' },
              builtins: { type: 'object', default: {}, additionalProperties: { enum: ['message-status'] } },
              idempotency: { enum: ['key', 'messageId'], default: 'key' },
            },
          },
        },
      },
    },
    endpoints: {
      type: 'object',
      propertyNames: { pattern: ID_PATTERN },
      additionalProperties: {
        type: 'object',
        required: ['type'],
        properties: { type: { type: 'string', minLength: 1 } },
      },
    },
    routes: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'entry'],
        oneOf: [{ required: ['to'] }, { required: ['deliver'] }],
        properties: {
          id: { type: 'string', pattern: ID_PATTERN },
          description: { type: 'string' },
          pattern: { enum: ['one-way', 'request-reply'], default: 'one-way' },
          replyTimeoutMs: { type: 'integer', minimum: 100, maximum: 600000, default: 30000 },
          entry: {
            type: 'object',
            additionalProperties: false,
            minProperties: 1,
            properties: {
              rest: {
                type: 'object',
                additionalProperties: false,
                required: ['method', 'path'],
                properties: {
                  method: { enum: ['POST', 'PUT', 'PATCH'] },
                  path: { type: 'string', pattern: '^(/[A-Za-z0-9._~{}-]+)+$' },
                  schema: { type: 'string', minLength: 1 },
                  businessKey: { type: 'string', pattern: '^(/[^/]+)+$' },
                },
              },
              soap: {
                type: 'object',
                additionalProperties: false,
                required: ['service', 'operation'],
                properties: {
                  service: { type: 'string', pattern: ID_PATTERN },
                  operation: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_.-]*$' },
                  businessKey: { type: 'string', pattern: '^(/[^/]+)+$' },
                },
              },
            },
          },
          steps: { $ref: '#/$defs/steps', default: [] },
          to: { type: 'array', minItems: 1, items: { type: 'string', pattern: ID_PATTERN } },
          deliver: {
            type: 'array',
            minItems: 1,
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['to'],
              properties: {
                to: { type: 'string', pattern: ID_PATTERN },
                when: { type: 'object' },
                steps: { $ref: '#/$defs/steps', default: [] },
              },
            },
          },
          replySteps: { $ref: '#/$defs/steps', default: [] },
          capture: { enum: ['none', 'original', 'steps'], default: 'original' },
          retry: {
            type: 'object',
            additionalProperties: false,
            default: {},
            properties: {
              attempts: { type: 'integer', minimum: 1, maximum: 100, default: 5 },
              initialDelayMs: { type: 'integer', minimum: 1, maximum: 86400000, default: 1000 },
              multiplier: { type: 'number', minimum: 1, maximum: 10, default: 2 },
              maxDelayMs: { type: 'integer', minimum: 1, maximum: 86400000, default: 300000 },
              jitter: { type: 'number', minimum: 0, maximum: 1, default: 0.2 },
            },
          },
        },
      },
    },
  },
} as const;
