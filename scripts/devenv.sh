# devenv.sh — sourced by run.sh, cli.sh and reset-dev.sh: where the development database is and
# where its secrets live. Defines DEV_DB_HOST, DEV_DB_PORT, DEV_DB_NAME and DEV_ENV_FILE, and exports
# the MINIAUTH_* variables that make run uses. Needs die() and note() from the caller.
#
# The secrets (the master key that seals the database's AppSecrets, the demo AppSecret and the demo
# admin's password) belong to one database, not to one checkout: they are kept outside the checkout,
# one file per database, so that a fresh clone or a `git clean` finds them again:
#
#   ${XDG_STATE_HOME:-$HOME/.local/state}/miniauth/<host>-<port>-<database>.env   (mode 600)
#
# MINIAUTH_DEV_ENV_FILE names another file. An older checkout's .miniauth/dev.env is moved there
# the first time (MINIAUTH_DEV_LEGACY_ENV names another old file, for the tests).

WXMOCK_ADDR=${WXMOCK_ADDR:-127.0.0.1:8081}
SMSMOCK_ADDR=${SMSMOCK_ADDR:-127.0.0.1:8082}
export MINIAUTH_ADDR=${MINIAUTH_ADDR:-:8080}
# The same defaults as miniauth's own, following services.sh's variables when those are set.
export MINIAUTH_MYSQL_DSN=${MINIAUTH_MYSQL_DSN:-root:@tcp(${MARIADB_HOST:-127.0.0.1}:${MARIADB_PORT:-3306})/${MINIAUTH_DB:-miniauth}?parseTime=true&charset=utf8mb4}
export MINIAUTH_REDIS_URL=${MINIAUTH_REDIS_URL:-redis://${REDIS_HOST:-127.0.0.1}:${REDIS_PORT:-6379}/0}
export MINIAUTH_WECHAT_BASE_URL=${MINIAUTH_WECHAT_BASE_URL:-http://$WXMOCK_ADDR}
export MINIAUTH_WECHAT_AUTH_URL=${MINIAUTH_WECHAT_AUTH_URL:-http://$WXMOCK_ADDR} # web OAuth authorize page
export MINIAUTH_SMS_TENCENT_ENDPOINT=${MINIAUTH_SMS_TENCENT_ENDPOINT:-http://$SMSMOCK_ADDR} # smsmock
export MINIAUTH_SMS_ALIYUN_ENDPOINT=${MINIAUTH_SMS_ALIYUN_ENDPOINT:-http://$SMSMOCK_ADDR}
export MINIAUTH_WEBHOOKS_ALLOW_PRIVATE=${MINIAUTH_WEBHOOKS_ALLOW_PRIVATE:-true} # local webhook receivers (development only)

if [[ $MINIAUTH_MYSQL_DSN =~ @tcp\(([^:\)]+):([0-9]+)\)/([A-Za-z0-9_]+) ]]; then
	DEV_DB_HOST=${BASH_REMATCH[1]}
	DEV_DB_PORT=${BASH_REMATCH[2]}
	DEV_DB_NAME=${BASH_REMATCH[3]}
else
	die "MINIAUTH_MYSQL_DSN must look like user:password@tcp(host:port)/database?…, got another form"
fi
# services.sh makes sure of the database MINIAUTH_DB on MARIADB_HOST:MARIADB_PORT: the DSN's.
export MARIADB_HOST=$DEV_DB_HOST MARIADB_PORT=$DEV_DB_PORT MINIAUTH_DB=$DEV_DB_NAME

DEV_STATE_DIR=${XDG_STATE_HOME:-${HOME:?HOME is not set}/.local/state}/miniauth
DEV_ENV_FILE=${MINIAUTH_DEV_ENV_FILE:-$DEV_STATE_DIR/$DEV_DB_HOST-$DEV_DB_PORT-$DEV_DB_NAME.env}
DEV_LEGACY_ENV=${MINIAUTH_DEV_LEGACY_ENV:-.miniauth/dev.env}

# dev_env_migrate moves an older checkout's .miniauth/dev.env to DEV_ENV_FILE when that is absent.
dev_env_migrate() {
	[[ -f $DEV_LEGACY_ENV ]] || return 0
	if [[ -f $DEV_ENV_FILE ]]; then
		if ! cmp -s "$DEV_LEGACY_ENV" "$DEV_ENV_FILE"; then
			note "ignoring $DEV_LEGACY_ENV (an older layout): $DEV_ENV_FILE holds this database's secrets"
		fi
		return 0
	fi
	note "moving $DEV_LEGACY_ENV to $DEV_ENV_FILE (outside the checkout, so that a new clone finds it)"
	(umask 077 && mkdir -p "$(dirname "$DEV_ENV_FILE")")
	cp -p "$DEV_LEGACY_ENV" "$DEV_ENV_FILE.tmp.$$"
	chmod 600 "$DEV_ENV_FILE.tmp.$$"
	mv "$DEV_ENV_FILE.tmp.$$" "$DEV_ENV_FILE"
	rm -f "$DEV_LEGACY_ENV"
}

# dev_env_load exports the secrets of DEV_ENV_FILE, which must exist.
dev_env_load() {
	[[ -f $DEV_ENV_FILE ]] || die "no development secrets for database $DEV_DB_NAME on $DEV_DB_HOST:$DEV_DB_PORT ($DEV_ENV_FILE); run make run first"
	chmod 600 "$DEV_ENV_FILE"
	set -a
	# shellcheck source=/dev/null
	. "$DEV_ENV_FILE"
	set +a
}

# dev_reset_command is the command that resets this database, as a user would type it.
dev_reset_command() {
	local cmd=(make reset-dev)
	[[ $DEV_DB_NAME == miniauth ]] || cmd+=("MINIAUTH_DB=$DEV_DB_NAME")
	[[ $DEV_DB_HOST == 127.0.0.1 ]] || cmd+=("MARIADB_HOST=$DEV_DB_HOST")
	[[ $DEV_DB_PORT == 3306 ]] || cmd+=("MARIADB_PORT=$DEV_DB_PORT")
	printf '%s\n' "${cmd[*]}"
}

# dev_sql SQL runs SQL as root over TCP on the development database's server (as services.sh does).
dev_sql() {
	local client
	client=$(command -v mariadb || command -v mysql) || die "no mariadb (or mysql) client: run make services"
	"$client" --no-defaults --protocol=tcp -h"$DEV_DB_HOST" -P"$DEV_DB_PORT" -uroot \
		--connect-timeout=5 -N -s -e "$1"
}

# dev_db_marked is true when the database carries the mark of services.sh, which made it.
dev_db_marked() {
	local n
	n=$(dev_sql "SELECT COUNT(*) FROM information_schema.TABLES
		WHERE TABLE_SCHEMA = '$DEV_DB_NAME' AND TABLE_NAME = 'miniauth_dev_mark'") || return 1
	[[ $n == 1 ]]
}
