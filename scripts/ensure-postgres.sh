#!/usr/bin/env bash
# Installs PostgreSQL server binaries (tests start throwaway servers from them) unless they are there.
set -euo pipefail

if compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
  exit 0
fi
if [ -n "${TEST_DATABASE_URL:-}" ]; then
  echo "ensure-postgres: TEST_DATABASE_URL is set, not installing a server"
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "ensure-postgres: need root (or sudo) to apt-get install postgresql" >&2; exit 1; }
  sudo="sudo"
fi
echo "ensure-postgres: installing Debian's postgresql (binaries only, no cluster)"
# The package would otherwise create and start a 'main' cluster on 5432 that the tests never use.
$sudo mkdir -p /etc/postgresql-common/createcluster.d
echo "create_main_cluster = false" | $sudo tee /etc/postgresql-common/createcluster.d/buteco-no-main.conf >/dev/null
$sudo apt-get update -q
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null
