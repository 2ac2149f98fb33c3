#!/usr/bin/env bash
# reset-dev.sh — what `make reset-dev` does: drop the development database of make run (the one
# MINIAUTH_DB, MARIADB_HOST and MARIADB_PORT name, as for make run) so that the next make run
# creates, migrates and seeds it afresh with the secrets in its file (scripts/devenv.sh).
#
# It drops only a database that scripts/services.sh created, which carries the table
# miniauth_dev_mark; any other database is refused and left alone. Redis is not touched: the old
# sessions name users that no longer exist.
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

exists=$(dev_sql "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '$DEV_DB_NAME'") ||
	die "cannot reach MariaDB on $DEV_DB_HOST:$DEV_DB_PORT (make services starts it)"
if [[ $exists == 0 ]]; then
	note "database $DEV_DB_NAME on $DEV_DB_HOST:$DEV_DB_PORT does not exist: nothing to reset; make run creates it"
	exit 0
fi
dev_db_marked ||
	die "database $DEV_DB_NAME on $DEV_DB_HOST:$DEV_DB_PORT was not created by scripts/services.sh" \
		"(it has no table miniauth_dev_mark), so it is not reset. Use another database (MINIAUTH_DB=name make run)," \
		"or drop this one by hand if it is yours to lose."
dev_sql "DROP DATABASE \`$DEV_DB_NAME\`" || die "could not drop the database $DEV_DB_NAME"
note "dropped the development database $DEV_DB_NAME on $DEV_DB_HOST:$DEV_DB_PORT; make run creates and seeds it again"
if [[ -f $DEV_ENV_FILE ]]; then
	note "kept $DEV_ENV_FILE: make run seeds the new database with its secrets"
fi
