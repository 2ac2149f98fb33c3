#!/usr/bin/env bash
# cli.sh — what `make cli ARGS='…'` does: run bin/miniauth against the make run instance, with the
# development database's secrets (scripts/devenv.sh) in its environment, e.g.
#
#   scripts/cli.sh tenant list
#   printf '%s\n' "$SECRET" | scripts/cli.sh tenant create --slug acme --name Acme --appid wx…
#
# The same MINIAUTH_DB / MARIADB_HOST / MARIADB_PORT as for make run choose the instance.
# MINIAUTH_BIN_DIR runs the binary of another directory than bin/.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

prog=${0##*/}
die() {
	printf '%s: error: %s\n' "$prog" "$*" >&2
	exit 1
}
note() {
	printf '%s: %s\n' "$prog" "$*" >&2
}

# shellcheck source=scripts/devenv.sh
. scripts/devenv.sh
dev_env_migrate
dev_env_load
# Only the master key goes to miniauth: the demo secrets stay out of its environment.
unset DEMO_APP_SECRET DEMO_ADMIN_PASSWORD

bin=${MINIAUTH_BIN_DIR:-bin}/miniauth
[[ -x $bin ]] || die "$bin not built: run make build (or make run)"
exec "$bin" "$@"
