/**
 * Import rules, checked by `npm test` before any test runs (scripts/test.sh):
 * no cycles, and imports flow one way —
 *   core ← config ← security ← {bus, store, transformers, validators, endpoints} ← routes ← gateway ← admin ← app/main;
 *   console serves static files; cli talks to a running Junction over the admin API.
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
  core: ['config', 'security', 'bus', 'store', 'transformers', 'validators', 'endpoints', 'routes', 'gateway', 'admin', 'cli', 'console', 'app', 'main'],
  config: ['security', 'bus', 'store', 'transformers', 'validators', 'endpoints', 'routes', 'gateway', 'admin', 'cli', 'console', 'app', 'main'],
  security: ['bus', 'store', 'transformers', 'validators', 'endpoints', 'routes', 'gateway', 'admin', 'cli', 'console', 'app', 'main'],
  bus: ['store', 'transformers', 'validators', 'endpoints', 'routes', 'gateway', 'admin', 'cli', 'console', 'app', 'main'],
  store: ['bus', 'transformers', 'validators', 'endpoints', 'routes', 'gateway', 'admin', 'cli', 'console', 'app', 'main'],
  transformers: ['bus', 'store', 'validators', 'endpoints', 'routes', 'gateway', 'admin', 'cli', 'console', 'app', 'main'],
  validators: ['bus', 'store', 'transformers', 'endpoints', 'routes', 'gateway', 'admin', 'cli', 'console', 'app', 'main'],
  endpoints: ['bus', 'store', 'transformers', 'validators', 'routes', 'gateway', 'admin', 'cli', 'console', 'app', 'main'],
  routes: ['bus', 'store', 'gateway', 'admin', 'cli', 'console', 'app', 'main'],
  gateway: ['bus', 'store', 'admin', 'cli', 'console', 'app', 'main'],
  // Operators' API above the gateway (it replays through the intake); never the concrete bus or store.
  admin: ['bus', 'store', 'cli', 'console', 'app', 'main'],
  console: ['bus', 'store', 'admin', 'gateway', 'routes', 'cli', 'app', 'main'],
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
    ...Object.entries(above).map(([name, targets]) => layer(name, targets, `src/${name} may not import ${targets.join(', ')}`)),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(dist|node_modules)/' },
  },
};
