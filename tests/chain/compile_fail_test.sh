#!/usr/bin/env bash
# Negative compile tests: every tests/chain/compile_fail/*.cpp must FAIL to compile, with a
# diagnostic matching its `// expect: REGEX` line, and must compile when -DLLMKIT_COMPILE_OK is
# given (the control proving the failure comes from the line under test, not from a typo).
# Usage: compile_fail_test.sh CXX SOURCE_DIR
set -uo pipefail
cxx="$1"
src="$2"
shopt -s nullglob
files=("$src"/tests/chain/compile_fail/*.cpp)
[ ${#files[@]} -gt 0 ] || { echo "FAIL: no files in tests/chain/compile_fail/" >&2; exit 1; }
flags=(-std=c++20 -fsyntax-only -I "$src")
for f in "${files[@]}"; do
  expect="$(sed -n 's|^// expect: ||p' "$f" | head -1)"
  [ -n "$expect" ] || { echo "FAIL: $f has no '// expect: REGEX' line" >&2; exit 1; }
  if ! "$cxx" "${flags[@]}" -DLLMKIT_COMPILE_OK "$f" 2>/tmp/compile_ok.$$; then
    echo "FAIL: the control build of $f (-DLLMKIT_COMPILE_OK) does not compile:" >&2
    head -20 /tmp/compile_ok.$$ >&2
    rm -f /tmp/compile_ok.$$
    exit 1
  fi
  if "$cxx" "${flags[@]}" "$f" 2>/tmp/compile_fail.$$; then
    echo "FAIL: $f compiled, but it must not" >&2
    rm -f /tmp/compile_ok.$$ /tmp/compile_fail.$$
    exit 1
  fi
  if ! grep -Eq -- "$expect" /tmp/compile_fail.$$; then
    echo "FAIL: $f failed to compile without the expected diagnostic '$expect':" >&2
    head -30 /tmp/compile_fail.$$ >&2
    rm -f /tmp/compile_ok.$$ /tmp/compile_fail.$$
    exit 1
  fi
  echo "ok: $(basename "$f") fails as expected"
done
rm -f /tmp/compile_ok.$$ /tmp/compile_fail.$$
