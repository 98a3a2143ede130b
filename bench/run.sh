#!/usr/bin/env bash
# The benchmarks of issues 2 and 13 in one run on one durable throwaway PostgreSQL; figures in docs/benchmarks.md.
# Usage: make bench   or   bash bench/run.sh [--seconds 15] [--workers 2,1] [--skip open,pgbench,compare,reads,e2e,settle]
# Prints markdown tables (also summary.md) that map onto the doc's issue-13 section; results.json has every figure.
# (BENCH_LOG_LEVEL=WARNING runs balance_api without its access line; BENCH_POOL=32/0 overrides the pool defaults.)
set -euo pipefail
cd "$(dirname "$0")/.."

# Prerequisites: the venv, PostgreSQL binaries and built migrations (all idempotent), Go and pgbench.
make --no-print-directory -s install
apt_install() {
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
}
GO=$(command -v go || echo /usr/local/go/bin/go)
[ -x "$GO" ] || { apt_install golang-go; GO=$(command -v go); }
compgen -G '/usr/lib/postgresql/*/bin/pgbench' >/dev/null || command -v pgbench >/dev/null || apt_install postgresql-contrib

work=$(mktemp -d /tmp/buteco-bench-XXXXXX)
out=".tmp/bench/$(date -u +%Y%m%dT%H%M%SZ)"
bench_pid=""
cleanup() {
  # money_core.py stops balance_api and PostgreSQL on SIGTERM; wait for it to finish doing so.
  if [ -n "$bench_pid" ] && kill -0 "$bench_pid" 2>/dev/null; then
    kill -TERM "$bench_pid" 2>/dev/null || true
    wait "$bench_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

(cd bench/loadgen && "$GO" build -o "$work/loadgen" .)
.venv/bin/python bench/money_core.py --loadgen "$work/loadgen" --out "$out" "$@" &
bench_pid=$!
wait "$bench_pid"
bench_pid=""
ln -sfn "$(basename "$out")" .tmp/bench/latest
echo "logs and results.json: $out"
