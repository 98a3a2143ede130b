#!/usr/bin/env bash
# Creates the project venv ($1, default .venv) with Python >= 3.11, adding Debian's venv module if missing.
set -euo pipefail

venv="${1:-.venv}"
python="$(command -v python3.11 || command -v python3 || true)"
[ -n "$python" ] || { echo "ensure-venv: no python3.11 or python3 on PATH" >&2; exit 1; }
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || { echo "ensure-venv: $python is older than 3.11" >&2; exit 1; }
if ! "$python" -m venv --clear "$venv"; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "ensure-venv: '$python -m venv' failed; install your distribution's venv module" >&2
    exit 1
  fi
  echo "ensure-venv: installing Debian's python3-venv"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv
  "$python" -m venv --clear "$venv"
fi
