#!/usr/bin/env bash
# `npm test`: the whole suite on a fresh machine.
#   1. install (apt-get, where missing) and start RabbitMQ and MariaDB on loopback — scripts/services.sh;
#   2. build (strict TypeScript; a type error fails the run);
#   3. check imports: no cycles, layers import one way (.dependency-cruiser.cjs);
#   4. install the independent SOAP clients and the browser the tests drive (python3-zeep, xmllint,
#      chromium) — scripts/test-tools.sh;
#   5. run unit, contract, integration and e2e tests against the real servers (.mocharc.cjs);
#   6. stop the servers if this run started them (servers that were already up are left alone).
# Extra arguments go to mocha, e.g. `npm test -- --grep broker`.
set -euo pipefail
cd "$(dirname "$0")/.."

services_result=external
stop_services() {
  if [ "$services_result" = started ]; then
    bash scripts/services.sh down >/dev/null || echo "[test] warning: could not stop the test servers" >&2
  fi
}
trap stop_services EXIT

if [ -n "${JUNCTION_TEST_AMQP_URL:-}" ] && [ -n "${JUNCTION_TEST_DB_URL:-}" ]; then
  echo "[test] using the servers named by JUNCTION_TEST_AMQP_URL and JUNCTION_TEST_DB_URL" >&2
else
  services_result=$(bash scripts/services.sh up | tail -n 1)
  set -a
  # shellcheck disable=SC1090
  . "$(bash scripts/services.sh env)"
  set +a
fi

bash scripts/test-tools.sh

echo "[test] building" >&2
npx --no-install tsc -p tsconfig.json
npx --no-install tsc -p console/tsconfig.json
echo "[test] checking imports" >&2
npx --no-install depcruise --config .dependency-cruiser.cjs src
echo "[test] running tests" >&2
npx --no-install mocha "$@"
