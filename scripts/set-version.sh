#!/usr/bin/env bash
# Sets the release version everywhere an action user depends on it, or checks
# that they agree:
#   - Cargo.toml (and Cargo.lock): `perfguard --version`;
#   - action/VERSION: the binary the composite action installs;
#   - container/action.yml: the image the container action runs, by its full
#     version tag.
#
#   scripts/set-version.sh 1.2.3            # write all three (then commit, tag v1.2.3)
#   scripts/set-version.sh --check 1.2.3    # exit 1 unless all three say 1.2.3 (the release workflow)
set -euo pipefail
cd "$(dirname "$0")/.."

check=false
if [ "${1:-}" = "--check" ]; then
  check=true
  shift
fi
version=${1:-}
version=${version#v}
if ! printf '%s\n' "$version" | grep -Eq '^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$'; then
  echo "usage: $0 [--check] X.Y.Z (got '${1:-}')" >&2
  exit 2
fi

cargo_version=$(sed -n 's/^version *= *"\(.*\)"/\1/p' Cargo.toml | head -n 1)
action_version=$(tr -d ' \t\r\n' < action/VERSION)
image_version=$(sed -n 's|^ *image: docker://ghcr.io/perfguard/perfguard:v\(.*\)$|\1|p' container/action.yml)

if $check; then
  status=0
  for pair in "Cargo.toml:$cargo_version" "action/VERSION:$action_version" "container/action.yml:$image_version"; do
    file=${pair%%:*}
    found=${pair#*:}
    if [ "$found" != "$version" ]; then
      echo "$file says '$found', the release is $version: run scripts/set-version.sh $version and commit" >&2
      status=1
    fi
  done
  exit $status
fi

sed -i.bak "0,/^version *= *\".*\"/s//version = \"$version\"/" Cargo.toml && rm -f Cargo.toml.bak
printf '%s\n' "$version" > action/VERSION
sed -i.bak "s|^\( *image: docker://ghcr.io/perfguard/perfguard:\)v.*$|\1v$version|" container/action.yml && rm -f container/action.yml.bak
cargo update --offline --workspace >/dev/null 2>&1 || cargo update --workspace >/dev/null
echo "version $version written to Cargo.toml, Cargo.lock, action/VERSION and container/action.yml"
