#!/usr/bin/env bash
# Install the system services the end-to-end tests need: PostgreSQL server binaries (the Postgres
# destination drill starts a throwaway server from /usr/lib/postgresql/<ver>/bin) and Chromium (the web UI
# test drives the Debian build headless through Playwright; Playwright never downloads its own browser).
#
# Idempotent: does nothing when both are already installed. Debian/Ubuntu only (apt-get). Needs root or
# passwordless sudo the first time. Used by .ci/run.
set -euo pipefail

need=()
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  need+=(postgresql)
fi
if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
  need+=(chromium)
fi
if ! command -v runuser >/dev/null 2>&1; then
  need+=(util-linux)
fi

if [ "${#need[@]}" -eq 0 ]; then
  echo "system-deps: postgresql and chromium already installed"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: missing ${need[*]} and apt-get is not available; install them with your package manager" >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "system-deps: need root (or sudo) to install ${need[*]}" >&2
    exit 1
  fi
fi

echo "system-deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# The Debian postgresql package creates and starts a default cluster; the tests never use it (they start
# their own server on a random port), so stop it when we can to keep port 5432 and memory free.
$SUDO apt-get install -y -q --no-install-recommends "${need[@]}"
if [[ " ${need[*]} " == *" postgresql "* ]] && command -v pg_ctlcluster >/dev/null 2>&1; then
  for ver in /usr/lib/postgresql/*; do
    $SUDO pg_ctlcluster "$(basename "$ver")" main stop >/dev/null 2>&1 || true
  done
fi
ls /usr/lib/postgresql/*/bin/initdb >/dev/null
command -v chromium >/dev/null || [ -x /usr/bin/chromium ]
echo "system-deps: done"
