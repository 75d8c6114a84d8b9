#!/usr/bin/env bash
# Installs the browser libraries of the chat page (web/) into the ignored folder web/node_modules/:
#   marked: renders the model's Markdown answers as HTML;
#   dompurify: sanitizes that HTML before the page shows it.
# Their versions are pinned in web/package.json and web/package-lock.json; web/web_assets.cmake
# embeds their browser builds into the llmkit binary at build time (so the build needs them).
#
# Idempotent: when web/node_modules/ already holds the pinned versions it prints nothing and exits
# 0. Needs node and npm, and the network only on the first run. Called by scripts/setup.sh; can
# also be run by hand from anywhere.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
web="$root/web"

for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "install_web_deps: '$tool' not found; install Node.js and npm (Debian: apt-get install nodejs npm)" >&2
    exit 1
  fi
done

# Exit 0 when every dependency pinned in web/package.json is installed at exactly that version.
if node -e '
  const path = require("path");
  const web = process.argv[1];
  const pinned = require(path.join(web, "package.json")).dependencies;
  for (const [name, version] of Object.entries(pinned)) {
    let installed;
    try { installed = require(path.join(web, "node_modules", name, "package.json")).version; }
    catch { process.exit(1); }
    if (installed !== version) process.exit(1);
  }' "$web" 2>/dev/null; then
  exit 0
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
echo "setup: installing the chat page's libraries (web/package.json) into web/node_modules/"
# npm ci installs exactly what web/package-lock.json names.
if ! (cd "$web" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error) >"$log" 2>&1; then
  cat "$log" >&2
  echo "install_web_deps: 'npm ci' in web/ failed (network or registry problem?)" >&2
  exit 1
fi
