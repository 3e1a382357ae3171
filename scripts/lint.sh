#!/usr/bin/env bash
# Format and static checks, run by `make test`:
#   clang-format (.clang-format) must leave every source file unchanged;
#   clang-tidy (.clang-tidy) must report nothing, over compile_commands.json of BUILD_DIR.
#   scripts/lint.sh BUILD_DIR [--fix]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${1:?usage: lint.sh BUILD_DIR}"
cd "$ROOT"

mapfile -t files < <(git ls-files --cached --others --exclude-standard -- \
  'fhir-core/*.cc' 'fhir-core/*.h' 'resources/*.cc' 'resources/*.h' 'search/*.cc' 'search/*.h' \
  'conformance/*.cc' 'conformance/*.h' 'plugins/*.cc' 'plugins/*.h' 'plugins/*.hpp' \
  'tests/*.cc' 'tests/*.h' | sort -u)

if [[ "${2:-}" == "--fix" ]]; then
  clang-format -i "${files[@]}"
  exit 0
fi

echo "lint: clang-format over ${#files[@]} files"
clang-format --dry-run --Werror "${files[@]}"

mapfile -t sources < <(printf '%s\n' "${files[@]}" | grep '\.cc$' | grep -v '^tests/fuzz/')
echo "lint: clang-tidy over ${#sources[@]} translation units"
# RapidJSON's iterators trip clang's C++20 reversed-operator warning; the GCC-only warning
# flags in compile_commands.json are unknown to clang.
run-clang-tidy -quiet -p "$BUILD_DIR" -extra-arg=-Wno-ambiguous-reversed-operator \
  -extra-arg=-Wno-unknown-warning-option -j "$(nproc)" "${sources[@]/#/$ROOT/}" >"$BUILD_DIR/clang-tidy.log" 2>&1 || {
  grep -E "(warning|error):" "$BUILD_DIR/clang-tidy.log" | sort -u | head -50
  echo "lint: clang-tidy failed (full log: $BUILD_DIR/clang-tidy.log)" >&2
  exit 1
}
echo "lint: ok"
