#!/usr/bin/env bash
# Installs the independent SOAP clients and tools the test suite drives, where missing:
#   python3-zeep   a Python SOAP client (run with Debian's /usr/bin/python3, which has it)
#   python3-xmlsec libxmlsec1 for Python: zeep's WS-Security X.509 signer (signed-request tests)
#   libxml2-utils  xmllint, to validate responses against the published XSDs
#   chromium       headless Chromium, driven by playwright-core in the console's end-to-end test
#   systemd        systemd-analyze, to check deploy/systemd's unit (nothing is started with it)
#   promtool       Prometheus's rule checker, for deploy/prometheus (from Debian's prometheus
#                  package, unpacked into .junction/tools: the Prometheus server is not installed)
# Needs root for apt-get (as CI and the developers' machines run). Idempotent and quick when present.
set -euo pipefail

# promtool first: it needs no root (apt-get download and dpkg-deb -x into the repository's own tools dir).
tools_dir="$(cd "$(dirname "$0")/.." && pwd)/.junction/tools"
if ! command -v promtool >/dev/null 2>&1 && [ ! -x "$tools_dir/prometheus/usr/bin/promtool" ]; then
  echo "[test-tools] unpacking promtool (Debian's prometheus package) into $tools_dir" >&2
  work="$(mktemp -d)"
  (cd "$work" && { apt-get download prometheus >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get download prometheus >/dev/null; }; })
  mkdir -p "$tools_dir/prometheus"
  dpkg-deb -x "$work"/prometheus_*.deb "$tools_dir/prometheus"
  rm -rf "$work"
  "$tools_dir/prometheus/usr/bin/promtool" --version >/dev/null
fi

missing=()
/usr/bin/python3 -c 'import zeep' >/dev/null 2>&1 || missing+=(python3-zeep)
/usr/bin/python3 -c 'import xmlsec' >/dev/null 2>&1 || missing+=(python3-xmlsec)
command -v xmllint >/dev/null 2>&1 || missing+=(libxml2-utils)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
[ ${#missing[@]} -eq 0 ] && exit 0

echo "[test-tools] installing ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then
  echo "[test-tools] ERROR: ${missing[*]} missing and not root; install them: apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
  apt-get update >/dev/null
  apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null
}
