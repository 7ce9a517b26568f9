#!/usr/bin/env bash
# Build the qf-otel Collector distribution: collector/bin/qf-otelcol.
#
# The OpenTelemetry Collector Builder (ocb) generates a main package from builder/manifest.yaml into
# build/src (git-ignored) and compiles it. The result is cached by a hash of everything that decides
# the binary (manifest, this script, the Go version): a second run with nothing changed prints
# "up to date" and exits at once. Go's module and build caches (GOMODCACHE/GOCACHE defaults) persist
# on the machine, so a rebuild after a manifest change only recompiles what changed.
#
# Needs only Go (and the Go module proxy) on the machine. Usage: bash collector/build.sh [--force]
set -euo pipefail

# Keep in step with the manifest: the builder release is the core release every module is pinned to.
OCB_VERSION="v0.161.0"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

manifest="builder/manifest.yaml"
binary="bin/qf-otelcol"
stamp="bin/.qf-otelcol.sha256"
force="${1:-}"

if ! command -v go >/dev/null 2>&1; then
    echo "build.sh: the go command is not on PATH; install Go >= 1.25 to build the Collector" >&2
    exit 1
fi

# `go version` is cheap (no module work) and changes the binary, so it is part of the key.
build_key="$( { cat "$manifest" "build.sh"; go version; } | sha256sum | cut -d' ' -f1)"

if [[ "$force" != "--force" && -x "$binary" && -f "$stamp" && "$(cat "$stamp")" == "$build_key" ]]; then
    echo "qf-otelcol up to date ($here/$binary)"
    exit 0
fi

mkdir -p bin build
# Two concurrent `make collector` runs would race on build/src: serialise them.
exec 9>build/.lock
flock 9

start=$(date +%s)

# -trimpath and no VCS stamping: reproducible paths in the binary, and no dependence on git state
# (CI builds from a fresh clone; a tree owned by another user makes git refuse).
export GOFLAGS="$(go env GOFLAGS) -trimpath -buildvcs=false"

builder="build/tools/builder-$OCB_VERSION"
if [[ ! -x "$builder" ]]; then
    echo "build.sh: installing the Collector builder $OCB_VERSION"
    GOBIN="$here/build/tools" go install "go.opentelemetry.io/collector/cmd/builder@$OCB_VERSION"
    mv "build/tools/builder" "$builder"
fi

echo "build.sh: generating and compiling qf-otelcol (a cold build takes minutes on 2 cores)"
# The builder compiles with -trimpath and -ldflags "-s -w" (stripped) unless told otherwise.
"$builder" --config="$manifest"

# Replace atomically so a running test never sees a half-written binary.
cp "build/src/qf-otelcol" "$binary.tmp"
mv "$binary.tmp" "$binary"
echo "$build_key" >"$stamp"

elapsed=$(( $(date +%s) - start ))
size=$(stat -c %s "$binary")
echo "qf-otelcol built in ${elapsed}s: $here/$binary ($(( size / 1024 / 1024 )) MiB)"
"$binary" --version
