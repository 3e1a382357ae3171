#!/usr/bin/env bash
# Installs what Hestia needs on Debian 12 and fetches the FHIR R4 definitions package.
# Idempotent: installs only missing packages, downloads the package only once.
#   scripts/setup.sh               build and test dependencies + definitions
#   scripts/setup.sh --with-bench  also wrk and nginx-light for tests/bench
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE_DIR="${HESTIA_CACHE_DIR:-$ROOT/.cache/fhir}"
PACKAGE="hl7.fhir.r4.examples"
VERSION="4.0.1"
TARBALL="$PACKAGE-$VERSION.tgz"
TARBALL_SHA256="dce87f1b5b9341867033f7d1f544fa1b5232503f6d62813887ac6b8a8b6cb682"

packages=(
  g++ cmake make pkg-config git ca-certificates
  libpistache-dev rapidjson-dev libpqxx-dev postgresql-15 libxml2-dev libssl-dev libicu-dev
  libyaml-cpp-dev libgtest-dev libgmock-dev libbenchmark-dev
  clang-format clang-tidy
)
if [[ "${1:-}" == "--with-bench" ]]; then packages+=(wrk nginx-light); fi
if ! command -v npm >/dev/null 2>&1; then packages+=(npm); fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
      echo "setup: these Debian packages are missing and I am not root: ${missing[*]}" >&2
      echo "setup: install them as root (apt-get install ${missing[*]}) and run again" >&2
      exit 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ ! -f "$CACHE_DIR/package/Bundle-resources.json" ]]; then
  echo "setup: fetching $PACKAGE@$VERSION into $CACHE_DIR"
  mkdir -p "$CACHE_DIR"
  (cd "$CACHE_DIR" && npm pack --silent "$PACKAGE@$VERSION" >/dev/null)
  echo "$TARBALL_SHA256  $CACHE_DIR/$TARBALL" | sha256sum --check --quiet
  tar -xzf "$CACHE_DIR/$TARBALL" -C "$CACHE_DIR"
fi
echo "setup: ok (definitions in $CACHE_DIR/package)"
