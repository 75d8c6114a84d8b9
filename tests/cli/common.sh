# Sourced by the command-line tests (tests/cli/*_test.sh, run as `bash script LLMKIT_BINARY
# SOURCE_DIR`): strict mode, $llmkit and $src from the arguments, a temporary folder $tmp removed
# on exit, and fail MESSAGE (prints FAIL: MESSAGE to stderr, exits 1).
set -euo pipefail
llmkit="$1"
src="$2"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
