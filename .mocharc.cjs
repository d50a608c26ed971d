'use strict';
/**
 * Mocha runs the compiled tests (npm test builds first). Order: unit, contract, integration, e2e,
 * fault, attack (hostile input against a real Junction process with a bounded heap).
 * Integration and contract tests need RabbitMQ and MariaDB: scripts/test.sh starts them.
 */
module.exports = {
  spec: [
    'dist/test/unit/**/*.test.js',
    'dist/test/contract/**/*.test.js',
    'dist/test/integration/**/*.test.js',
    'dist/test/e2e/**/*.test.js',
    'dist/test/fault/**/*.test.js',
    'dist/test/attack/**/*.test.js',
  ],
  reporter: './test/support/summary-reporter.cjs',
  timeout: 30000,
  slow: 2000,
  'enable-source-maps': true,
  // A test that leaves a socket open must not hang CI for 90 minutes; leaks are caught by the
  // tests' own close() assertions instead.
  exit: true,
};
