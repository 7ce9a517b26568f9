#!/usr/bin/env bash
# Idempotent setup for a fresh machine: Debian packages the tests and demo use, then the venv.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v prometheus >/dev/null || need+=(prometheus)
command -v promtool >/dev/null || need+=(prometheus)
command -v redis-server >/dev/null || need+=(redis-server)
command -v wrk >/dev/null || need+=(wrk)
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # the packages start system services we do not use; tests start their own on free ports
  for service in prometheus redis-server postgresql prometheus-node-exporter; do
    (service "$service" stop || systemctl stop "$service") >/dev/null 2>&1 || true
  done
fi

# kustomize builds the Kubernetes overlays in tests (Go module proxy; cached in ~/go/bin)
if ! command -v kustomize >/dev/null && [ ! -x "$HOME/go/bin/kustomize" ] && command -v go >/dev/null; then
  echo "setup: installing kustomize"
  GOBIN="$HOME/go/bin" go install sigs.k8s.io/kustomize/kustomize/v5@v5.4.3
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
stamp=.venv/.qf-otel-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[dev]'
  touch "$stamp"
fi
