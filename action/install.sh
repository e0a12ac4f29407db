#!/usr/bin/env bash
# Installs a released perfguard binary for this runner and puts it on PATH:
# the composite action's first step (action.yml), usable on its own too.
#
#   action/install.sh              # the version in action/VERSION
#
# Environment:
#   PERFGUARD_VERSION       the version to install (default: action/VERSION,
#                           written at release time; a SHA pin of the action
#                           names no release, so the file says which one)
#   PERFGUARD_DOWNLOAD_URL  where releases are served (default GitHub's:
#                           https://github.com/perfguard/perfguard/releases/download);
#                           a GitHub Enterprise Server or a mirror serves the
#                           same layout: $URL/v$VERSION/<asset> and $URL/v$VERSION/SHA256SUMS
#   RUNNER_OS, RUNNER_ARCH  the platform, as Actions names it (default: uname)
#   RUNNER_TOOL_CACHE       the cache directory (default: ~/.cache); the binary
#                           lands in $RUNNER_TOOL_CACHE/perfguard/$VERSION/<target>
#   GITHUB_PATH             when set, the binary's directory is added to it
#
# The archive is verified against the release's SHA256SUMS before anything is
# unpacked; a mismatch, a missing entry or an unknown platform stops with an
# error and installs nothing. Needs curl, tar and sha256sum (or shasum on macOS).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
fail() {
  # The ::error:: form shows as an annotation in Actions, and reads as plain
  # text anywhere else.
  echo "::error title=perfguard install::$*" >&2
  exit 1
}

version=${PERFGUARD_VERSION:-}
if [ -z "$version" ]; then
  [ -r "$here/VERSION" ] || fail "no PERFGUARD_VERSION and no $here/VERSION to read it from"
  version=$(tr -d ' \t\r\n' < "$here/VERSION")
fi
version=${version#v}
case "$version" in
  '' | *[!0-9A-Za-z.+-]*) fail "'$version' is not a release version (expected something like 1.2.3)" ;;
esac
base=${PERFGUARD_DOWNLOAD_URL:-https://github.com/perfguard/perfguard/releases/download}
base=${base%/}

os=${RUNNER_OS:-$(uname -s)}
arch=${RUNNER_ARCH:-$(uname -m)}
case "$os/$arch" in
  Linux/X64 | Linux/x86_64) target=x86_64-unknown-linux-gnu ;;
  Linux/ARM64 | Linux/aarch64 | Linux/arm64) target=aarch64-unknown-linux-gnu ;;
  macOS/ARM64 | Darwin/arm64) target=aarch64-apple-darwin ;;
  macOS/X64 | Darwin/x86_64) target=x86_64-apple-darwin ;;
  *) fail "perfguard has no release binary for $os $arch; releases cover Linux (X64, ARM64) and macOS (X64, ARM64). Elsewhere, use the container action (perfguard/perfguard/container) or build from source (cargo install --locked --git https://github.com/perfguard/perfguard)" ;;
esac

asset="perfguard-v$version-$target.tar.gz"
cache=${RUNNER_TOOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}}
# The layout of actions/tool-cache: <tool>/<version>/<arch>, and a marker
# beside it once the directory is complete.
dir="$cache/perfguard/$version/$target"

if [ -f "$dir.complete" ] && [ -x "$dir/perfguard" ]; then
  echo "perfguard $version ($target) from the tool cache: $dir"
else
  if command -v sha256sum >/dev/null 2>&1; then
    sha256() { sha256sum "$1" | awk '{print $1}'; }
  elif command -v shasum >/dev/null 2>&1; then
    sha256() { shasum -a 256 "$1" | awk '{print $1}'; }
  else
    fail "neither sha256sum nor shasum is installed; perfguard will not install an unverified binary"
  fi
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  fetch() {
    curl --fail --silent --show-error --location --retry 3 --connect-timeout 20 \
      --max-time 300 --output "$2" "$1" ||
      fail "could not download $1"
  }
  echo "Downloading $asset from $base/v$version"
  fetch "$base/v$version/SHA256SUMS" "$tmp/SHA256SUMS"
  fetch "$base/v$version/$asset" "$tmp/$asset"
  # sha256sum's format: the hash, two spaces (or a space and `*`), the name.
  expected=$(awk -v name="$asset" '$2 == name || $2 == "*" name { print $1; exit }' "$tmp/SHA256SUMS")
  [ -n "$expected" ] || fail "SHA256SUMS of v$version does not list $asset"
  actual=$(sha256 "$tmp/$asset")
  [ "$actual" = "$expected" ] ||
    fail "checksum mismatch for $asset: SHA256SUMS says $expected, the download is $actual; nothing was installed"
  mkdir -p "$tmp/unpacked"
  tar -xzf "$tmp/$asset" -C "$tmp/unpacked"
  [ -f "$tmp/unpacked/perfguard" ] || fail "$asset holds no perfguard binary at its top level"
  chmod 0755 "$tmp/unpacked/perfguard"
  # Into place in one rename, so a concurrent job or an interrupted one never
  # leaves a half-unpacked directory behind the marker.
  mkdir -p "$(dirname "$dir")"
  rm -rf "$dir.partial.$$"
  mv "$tmp/unpacked" "$dir.partial.$$"
  rm -rf "$dir"
  mv "$dir.partial.$$" "$dir"
  touch "$dir.complete"
  echo "Installed perfguard $version ($target, sha256 $actual) in $dir"
fi

if [ -n "${GITHUB_PATH:-}" ]; then
  echo "$dir" >> "$GITHUB_PATH"
fi
"$dir/perfguard" --version
