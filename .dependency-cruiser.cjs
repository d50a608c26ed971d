/**
 * Import rules, checked by `npm test` before any test runs (scripts/test.sh):
 * no cycles, and imports flow one way —
 *   core ← config ← security ← {bus, store, transformers, validators, endpoints, observability} ← routes ← gateway ← admin ← app/main;
 *   console serves static files; cli talks to a running Junction over the admin API.
 * observability (prom-client metrics, health endpoints) uses only core: the others record metrics
 * through core/metrics.ts and never import prom-client.
 * Only src/app.ts names concrete implementations (bus/*, store/*).
 */
const layer = (name, mayNotImport, comment) => ({
  name: `${name}-imports-one-way`,
  comment,
  severity: 'error',
  from: { path: `^src/${name}/` },
  to: { path: `^src/(${mayNotImport.join('|')})(/|\\.ts$)` },
});

const above = {
  core: ['observability', 'config', 'security', 'bus', 'store', 'transformers', 'validators', 'endpoints', 'routes', 'gateway', 'admin', 'cli', 'console', 'app', 'main'],
  config: ['observability', 'security', 'bus', 'store', 'transformers', 'validators', 'endpoints', 'routes', 'gateway', 'admin', 'cli', 'console', 'app', 'main'],
  security: ['observability', 'bus', 'store', 'transformers', 'validators', 'endpoints', 'routes', 'gateway', 'admin', 'cli', 'console', 'app', 'main'],
  bus: ['observability', 'store', 'transformers', 'validators', 'endpoints', 'routes', 'gateway', 'admin', 'cli', 'console', 'app', 'main'],
  store: ['observability', 'bus', 'transformers', 'validators', 'endpoints', 'routes', 'gateway', 'admin', 'cli', 'console', 'app', 'main'],
  transformers: ['observability', 'bus', 'store', 'validators', 'endpoints', 'routes', 'gateway', 'admin', 'cli', 'console', 'app', 'main'],
  validators: ['observability', 'bus', 'store', 'transformers', 'endpoints', 'routes', 'gateway', 'admin', 'cli', 'console', 'app', 'main'],
  endpoints: ['observability', 'bus', 'store', 'transformers', 'validators', 'routes', 'gateway', 'admin', 'cli', 'console', 'app', 'main'],
  routes: ['observability', 'bus', 'store', 'gateway', 'admin', 'cli', 'console', 'app', 'main'],
  gateway: ['observability', 'bus', 'store', 'admin', 'cli', 'console', 'app', 'main'],
  // Operators' API above the gateway (it replays through the intake); never the concrete bus or store.
  admin: ['bus', 'store', 'cli', 'console', 'app', 'main'],
  console: ['observability', 'bus', 'store', 'admin', 'gateway', 'routes', 'cli', 'app', 'main'],
  observability: ['config', 'security', 'bus', 'store', 'transformers', 'validators', 'endpoints', 'routes', 'gateway', 'admin', 'cli', 'console', 'app', 'main'],
};

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Import cycles make start-up order and testing fragile.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'prom-client-only-in-observability',
      severity: 'error',
      comment: 'Modules record metrics through src/core/metrics.ts; only src/observability knows prom-client.',
      from: { path: '^src/', pathNot: '^src/observability/' },
      to: { path: 'node_modules/prom-client' },
    },
    ...Object.entries(above).map(([name, targets]) => layer(name, targets, `src/${name} may not import ${targets.join(', ')}`)),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^dist/' },
  },
};
