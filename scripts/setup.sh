#!/usr/bin/env bash
# Installs every Debian package llmkit needs to build, test and benchmark.
# Idempotent: when everything is already installed it prints nothing and exits 0.
#   --bench   also install what the side-by-side benchmarks compare against (Debian's PyTorch).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config clang-format
  libopenblas-dev libopenblas0-pthread
  libhwy-dev
  nlohmann-json3-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libsentencepiece-dev sentencepiece libpcre2-dev libutf8proc-dev
  libcpp-httplib-dev libsqlite3-dev
  libgumbo-dev libpoppler-cpp-dev libhnswlib-dev libxxhash-dev
  nodejs chromium
  python3 python3-numpy python3-jinja2 python3-jsonschema
)
if [ "${1:-}" = "--bench" ]; then
  packages+=(python3-torch)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# npm ships inside some Node.js builds (which conflict with Debian's npm package): ask only if absent.
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The bundled training corpus (data/corpora/, ignored by git); see data/README.md.
bash "$(dirname "$0")/install_corpus.sh"

# npm packages the tests use as independent references (data/npm/, ignored by git).
bash "$(dirname "$0")/install_test_oracles.sh"

# The chat page's browser libraries (web/node_modules/, ignored by git), embedded at build time.
bash "$(dirname "$0")/install_web_deps.sh"
