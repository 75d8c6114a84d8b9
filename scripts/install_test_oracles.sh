#!/usr/bin/env bash
# Installs the test oracles that some C++ tests run, into the ignored folder data/npm/:
#   @huggingface/gguf (pinned below): an independent GGUF parser; tests/io/gguf_oracle.mjs uses it
#   to read files llmkit wrote, and tests/io/gguf_test.cpp compares its view with llmkit's.
#
# Idempotent: when data/npm/ already holds this version it prints nothing and exits 0. Needs node
# and npm, and the network only on the first run. Called by scripts/setup.sh; can also be run by
# hand from anywhere.
set -euo pipefail

readonly package="@huggingface/gguf"
readonly version="0.4.6"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
prefix="$root/data/npm"
installed="$prefix/node_modules/$package/package.json"

if [ -f "$installed" ] &&
  node -e 'process.exit(require(process.argv[1]).version === process.argv[2] ? 0 : 1)' \
    "$installed" "$version" 2>/dev/null; then
  exit 0
fi

for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "install_test_oracles: '$tool' not found; install Node.js and npm (Debian: apt-get install nodejs npm)" >&2
    exit 1
  fi
done

mkdir -p "$prefix"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
echo "setup: installing the test oracle $package@$version into data/npm/"
if ! npm install --no-audit --no-fund --ignore-scripts --loglevel=error \
  --prefix "$prefix" "$package@$version" >"$log" 2>&1; then
  cat "$log" >&2
  echo "install_test_oracles: 'npm install $package@$version' failed (network or registry problem?)" >&2
  exit 1
fi
