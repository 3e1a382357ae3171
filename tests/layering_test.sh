#!/usr/bin/env bash
# Enforces the layering of ../shared/ARCHITECTURE.md §1: each library may include only the
# public headers of the libraries below it, and only fhir-core/storage includes <pqxx/…>,
# only fhir-core/rest includes <pistache/…>, only plugins/host calls dlopen.
set -uo pipefail
ROOT="${1:?usage: layering_test.sh SOURCE_DIR}"
cd "$ROOT"

# folder → modules it may include (hestia/<module>/…), lowest layer first.
declare -A allowed=(
  [fhir-core/base]="base"
  [resources]="base resources"
  [fhir-core/fhirpath]="base resources fhirpath"
  [terminology]="base resources fhirpath terminology"
  [search]="base resources fhirpath terminology search"
  [fhir-core/storage]="base resources fhirpath terminology search storage"
  [conformance]="base resources fhirpath terminology search storage conformance"
  [plugins/host]="base resources fhirpath terminology search storage conformance plugins"
  [fhir-core/interactions]="base resources fhirpath terminology search storage conformance plugins interactions"
  [fhir-core/rest]="base resources fhirpath terminology search storage conformance plugins interactions rest"
)

failures=0
for dir in "${!allowed[@]}"; do
  [[ -d "$dir" ]] || continue
  while IFS= read -r line; do
    file="${line%%:*}"
    module="$(sed -E 's|.*#include "hestia/([a-z_]+)/.*|\1|' <<<"$line")"
    if [[ " ${allowed[$dir]} " != *" $module "* ]]; then
      echo "layering: $file includes hestia/$module, which $dir may not use"
      failures=$((failures + 1))
    fi
  done < <(grep -rn --include='*.h' --include='*.cc' '#include "hestia/' "$dir" | grep -v '^tests/')
done

check_only() {  # pattern, the one folder allowed to use it
  local pattern="$1" owner="$2"
  while IFS= read -r hit; do
    [[ -z "$hit" ]] && continue
    if [[ "$hit" != "$owner"/* ]]; then
      echo "layering: $hit — only $owner may use $pattern"
      failures=$((failures + 1))
    fi
  done < <(grep -rln --include='*.h' --include='*.cc' -E "$pattern" \
             fhir-core resources search conformance terminology plugins 2>/dev/null)
}
check_only '#include <pqxx/' fhir-core/storage
check_only '#include <pistache/' fhir-core/rest
check_only 'dlopen\(' plugins/host

if ((failures)); then
  echo "layering: $failures violation(s)"
  exit 1
fi
echo "layering: ok"
