#!/usr/bin/env bash
# services.sh — make sure MariaDB and Redis answer where miniauth expects them.
#
#   MariaDB on $MARIADB_HOST:$MARIADB_PORT (default 127.0.0.1:3306), user root with an empty
#   password over TCP, with the database $MINIAUTH_DB (default miniauth); a database this script
#   creates carries a mark (the table miniauth_dev_mark) that lets scripts/reset-dev.sh drop it.
#   Redis   on $REDIS_HOST:$REDIS_PORT     (default 127.0.0.1:6379).
#
# A service that already answers is left alone. One that is missing is installed from Debian's
# packages; one that is not running is started directly (no systemd needed). Running this twice in
# a row is fine. Prints one line per service on standard output; everything else goes to stderr.
#
# Every path and port below can be overridden from the environment, e.g. to try the start-up logic
# on a second instance in a temporary directory:
#   MARIADB_PORT=3307 MARIADB_DATADIR=$tmp/db MARIADB_RUNDIR=$tmp/run MARIADB_LOG=$tmp/db.log \
#   REDIS_PORT=6380 REDIS_DIR=$tmp/redis REDIS_LOG=$tmp/redis.log scripts/services.sh
set -euo pipefail

MARIADB_HOST=${MARIADB_HOST:-127.0.0.1}
MARIADB_PORT=${MARIADB_PORT:-3306}
MARIADB_DATADIR=${MARIADB_DATADIR:-/var/lib/mysql}
MARIADB_RUNDIR=${MARIADB_RUNDIR:-/run/mysqld}
MARIADB_SOCKET=${MARIADB_SOCKET:-$MARIADB_RUNDIR/mysqld.sock}
MARIADB_PIDFILE=${MARIADB_PIDFILE:-$MARIADB_RUNDIR/mysqld.pid}
MARIADB_LOG=${MARIADB_LOG:-/var/log/mysql/error.log}
MARIADB_OS_USER=${MARIADB_OS_USER:-mysql}
# Extra mariadbd options for a server this script starts, split on spaces (e.g. --skip-name-resolve=0).
MARIADB_ARGS=${MARIADB_ARGS:-}
MINIAUTH_DB=${MINIAUTH_DB:-miniauth}

REDIS_HOST=${REDIS_HOST:-127.0.0.1}
REDIS_PORT=${REDIS_PORT:-6379}
REDIS_DIR=${REDIS_DIR:-/var/lib/redis}
REDIS_LOG=${REDIS_LOG:-/var/log/redis/ci.log}
REDIS_PIDFILE=${REDIS_PIDFILE:-$REDIS_DIR/redis-$REDIS_PORT.pid}

# Seconds to wait for a freshly started service to answer.
SERVICES_WAIT=${SERVICES_WAIT:-60}

export DEBIAN_FRONTEND=noninteractive

prog=${0##*/}

die() {
	printf '%s: error: %s\n' "$prog" "$*" >&2
	exit 1
}

note() {
	printf '%s: %s\n' "$prog" "$*" >&2
}

[[ $MINIAUTH_DB =~ ^[A-Za-z0-9_]+$ ]] || die "MINIAUTH_DB must be letters, digits and _ only, got '$MINIAUTH_DB'"
[[ $MARIADB_PORT =~ ^[0-9]+$ ]] || die "MARIADB_PORT must be a number, got '$MARIADB_PORT'"
[[ $REDIS_PORT =~ ^[0-9]+$ ]] || die "REDIS_PORT must be a number, got '$REDIS_PORT'"
[[ $SERVICES_WAIT =~ ^[0-9]+$ ]] || die "SERVICES_WAIT must be a number of seconds, got '$SERVICES_WAIT'"

# Run a command as root: directly when we are root, through sudo otherwise.
as_root() {
	if [[ $(id -u) -eq 0 ]]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		die "need root for '$*', and sudo is not installed"
	fi
}

# Find a program, also in the sbin directories that are often missing from a user's PATH.
find_bin() {
	local name dir
	for name in "$@"; do
		if command -v "$name" >/dev/null 2>&1; then
			command -v "$name"
			return 0
		fi
		for dir in /usr/sbin /sbin /usr/bin /bin; do
			if [[ -x $dir/$name ]]; then
				printf '%s\n' "$dir/$name"
				return 0
			fi
		done
	done
	return 1
}

apt_updated=
apt_install() {
	command -v apt-get >/dev/null 2>&1 ||
		die "$* not installed and apt-get not available: install $* by hand"
	if [[ -z $apt_updated ]]; then
		note "apt-get update"
		as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 ||
			die "apt-get update failed"
		apt_updated=1
	fi
	note "apt-get install -y $*"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >&2 ||
		die "apt-get install $* failed"
}

# Bounded: true when something accepts TCP connections on host:port.
port_open() {
	if command -v timeout >/dev/null 2>&1; then
		timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null
	else
		bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null
	fi
}

with_timeout() {
	if command -v timeout >/dev/null 2>&1; then
		timeout "$@"
	else
		shift
		"$@"
	fi
}

# wait_until SECONDS COMMAND...: run COMMAND every half second until it succeeds or time is up.
wait_until() {
	local limit=$1 deadline
	shift
	deadline=$((SECONDS + limit))
	until "$@"; do
		((SECONDS < deadline)) || return 1
		sleep 0.5
	done
}

show_log_tail() {
	local log=$1
	if as_root test -r "$log"; then
		note "last lines of $log:"
		as_root tail -n 20 "$log" >&2 || true
	fi
}

# Serialise concurrent runs (two `make test` at once) for the same ports. The servers started
# below must not inherit the lock's descriptor (9>&-), or they would hold the lock for ever.
if command -v flock >/dev/null 2>&1; then
	lock="${TMPDIR:-/tmp}/miniauth-services.$(id -u).$MARIADB_PORT.$REDIS_PORT.lock"
	exec 9>"$lock" || die "cannot open lock file $lock"
	flock -w 300 9 || die "another services.sh holds $lock for more than 300 s"
fi

# ---------------------------------------------------------------------------------------------
# MariaDB

MARIADBD= MARIADB= MARIADB_ADMIN= MARIADB_INSTALL_DB= SSD=
mariadb_find_bins() {
	MARIADBD=$(find_bin mariadbd mysqld) || return 1
	MARIADB=$(find_bin mariadb mysql) || return 1
	MARIADB_ADMIN=$(find_bin mariadb-admin mysqladmin) || return 1
	MARIADB_INSTALL_DB=$(find_bin mariadb-install-db mysql_install_db) || return 1
	SSD=$(find_bin start-stop-daemon) || return 1
}

# True when a MariaDB server answers on host:port. `mariadb-admin ping` succeeds even when access
# is denied, but not when the server refuses the client's host (no 'root'@'127.0.0.1' with
# skip-name-resolve on), which is an answer all the same.
mariadb_alive() {
	local out
	out=$("$MARIADB_ADMIN" --no-defaults --protocol=tcp -h"$MARIADB_HOST" -P"$MARIADB_PORT" -uroot \
		--connect-timeout=2 ping 2>&1) && return 0
	[[ $out == *"is not allowed to connect"* || $out == *"is blocked because of many connection errors"* ]]
}

# SQL as root over TCP with an empty password, exactly as the DSNs of miniauth and its tests log in.
sql_tcp() {
	"$MARIADB" --no-defaults --protocol=tcp -h"$MARIADB_HOST" -P"$MARIADB_PORT" -uroot \
		--connect-timeout=5 -N -s -e "$1"
}

# SQL as root over the unix socket (unix_socket authentication as the OS user root).
sql_socket() {
	as_root "$MARIADB" --no-defaults --protocol=socket -S"$MARIADB_SOCKET" -uroot \
		--connect-timeout=5 -N -s -e "$1"
}

mariadb_start() {
	local out logdir
	[[ -n $(id -u "$MARIADB_OS_USER" 2>/dev/null) ]] ||
		die "mariadb: OS user '$MARIADB_OS_USER' does not exist (is mariadb-server installed?)"

	# A mariadbd of this pid file that runs but does not answer on TCP is not ours to fix.
	if as_root "$SSD" --status --pidfile "$MARIADB_PIDFILE" --exec "$MARIADBD" 2>/dev/null; then
		die "mariadb: mariadbd runs (pid file $MARIADB_PIDFILE) but does not answer on" \
			"$MARIADB_HOST:$MARIADB_PORT; check its port, bind-address and skip-networking settings"
	fi

	as_root mkdir -p "$MARIADB_RUNDIR"
	as_root chown "$MARIADB_OS_USER:" "$MARIADB_RUNDIR"
	logdir=$(dirname "$MARIADB_LOG")
	if ! as_root test -d "$logdir"; then
		as_root mkdir -p "$logdir"
		as_root chown "$MARIADB_OS_USER:" "$logdir"
	fi

	if ! as_root test -d "$MARIADB_DATADIR/mysql"; then
		note "mariadb: initialising the data directory $MARIADB_DATADIR"
		as_root mkdir -p "$MARIADB_DATADIR"
		as_root chown "$MARIADB_OS_USER:" "$MARIADB_DATADIR"
		if ! out=$(as_root "$MARIADB_INSTALL_DB" --user="$MARIADB_OS_USER" \
			--datadir="$MARIADB_DATADIR" --skip-test-db 2>&1); then
			printf '%s\n' "$out" >&2
			die "mariadb: $MARIADB_INSTALL_DB failed for $MARIADB_DATADIR"
		fi
	fi

	as_root "$SSD" --start --oknodo --quiet --background \
		--pidfile "$MARIADB_PIDFILE" --exec "$MARIADBD" -- \
		--user="$MARIADB_OS_USER" \
		--datadir="$MARIADB_DATADIR" \
		--bind-address="$MARIADB_HOST" \
		--port="$MARIADB_PORT" \
		--socket="$MARIADB_SOCKET" \
		--pid-file="$MARIADB_PIDFILE" \
		--log-error="$MARIADB_LOG" \
		${MARIADB_ARGS:-} 9>&- ||
		die "mariadb: start-stop-daemon could not start $MARIADBD"

	if ! wait_until "$SERVICES_WAIT" mariadb_alive; then
		show_log_tail "$MARIADB_LOG"
		die "mariadb: not answering on $MARIADB_HOST:$MARIADB_PORT after ${SERVICES_WAIT}s (log: $MARIADB_LOG)"
	fi
}

# On a fresh Debian install root@localhost logs in through unix_socket only; let it also log in
# over TCP with an empty password, the way the DSNs do. With skip-name-resolve on, a TCP client
# from 127.0.0.1 is 'root'@'127.0.0.1' rather than root@localhost, so make sure that account works.
mariadb_root_over_tcp() {
	sql_tcp 'SELECT 1' >/dev/null 2>&1 && return 0

	sql_socket 'SELECT 1' >/dev/null 2>&1 ||
		die "mariadb: root can log in neither over TCP with an empty password nor as the OS root" \
			"through $MARIADB_SOCKET; give 'root'@'$MARIADB_HOST' an empty password by hand"

	note "mariadb: letting root log in over TCP with an empty password"
	sql_socket "ALTER USER root@localhost IDENTIFIED VIA mysql_native_password USING PASSWORD('') OR unix_socket" ||
		die "mariadb: could not change the authentication of root@localhost"
	sql_tcp 'SELECT 1' >/dev/null 2>&1 && return 0

	sql_socket "CREATE USER IF NOT EXISTS 'root'@'$MARIADB_HOST' IDENTIFIED VIA mysql_native_password USING PASSWORD('');
		GRANT ALL PRIVILEGES ON *.* TO 'root'@'$MARIADB_HOST' WITH GRANT OPTION;" ||
		die "mariadb: could not create 'root'@'$MARIADB_HOST'"
	sql_tcp 'SELECT 1' >/dev/null 2>&1 ||
		die "mariadb: root still cannot log in over TCP to $MARIADB_HOST:$MARIADB_PORT with an empty password"
}

# The table that marks a database this script created, and that scripts/reset-dev.sh may therefore
# drop; a database without it (made by hand, or by anything else) is never reset.
MARK_TABLE=miniauth_dev_mark

mariadb_database() {
	local exists
	exists=$(sql_tcp "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '$MINIAUTH_DB'") ||
		die "mariadb: could not look for the database $MINIAUTH_DB"
	[[ $exists == 0 ]] || return 0
	note "mariadb: creating the database $MINIAUTH_DB (marked as made by services.sh, so make reset-dev may drop it)"
	sql_tcp "CREATE DATABASE \`$MINIAUTH_DB\` CHARACTER SET utf8mb4;
		CREATE TABLE \`$MINIAUTH_DB\`.$MARK_TABLE (created_by VARCHAR(64) NOT NULL, created_at DATETIME NOT NULL)
			COMMENT 'made by miniauth scripts/services.sh: a development database that make reset-dev may drop';
		INSERT INTO \`$MINIAUTH_DB\`.$MARK_TABLE VALUES ('scripts/services.sh', NOW());" ||
		die "mariadb: could not create the database $MINIAUTH_DB"
}

mariadb_up() {
	local state=running

	mariadb_find_bins || true
	if [[ -n $MARIADB_ADMIN && -n $MARIADB ]] && mariadb_alive; then
		:
	else
		if [[ -z $SSD || -z $MARIADBD || -z $MARIADB || -z $MARIADB_ADMIN || -z $MARIADB_INSTALL_DB ]]; then
			apt_install mariadb-server mariadb-client
			mariadb_find_bins || die "mariadb: mariadb-server installed but its programs are not found"
			state="installed and started"
			# The package may have started the server itself.
			if ! mariadb_alive; then
				if port_open "$MARIADB_HOST" "$MARIADB_PORT"; then
					die "mariadb: something that is not MariaDB listens on $MARIADB_HOST:$MARIADB_PORT"
				fi
				mariadb_start
			fi
		else
			if port_open "$MARIADB_HOST" "$MARIADB_PORT"; then
				die "mariadb: something that is not MariaDB listens on $MARIADB_HOST:$MARIADB_PORT"
			fi
			mariadb_start
			state=started
		fi
	fi

	mariadb_root_over_tcp
	mariadb_database
	printf 'mariadb: %s on %s:%s\n' "$state" "$MARIADB_HOST" "$MARIADB_PORT"
}

# ---------------------------------------------------------------------------------------------
# Redis

REDIS_SERVER= REDIS_CLI=
redis_find_bins() {
	REDIS_SERVER=$(find_bin redis-server) || return 1
	REDIS_CLI=$(find_bin redis-cli) || return 1
}

redis_alive() {
	local reply
	reply=$(with_timeout 5 "$REDIS_CLI" -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null) || return 1
	[[ $reply == PONG ]]
}

redis_start() {
	local dir
	for dir in "$REDIS_DIR" "$(dirname "$REDIS_LOG")" "$(dirname "$REDIS_PIDFILE")"; do
		as_root mkdir -p "$dir"
	done
	as_root "$REDIS_SERVER" --daemonize yes --bind "$REDIS_HOST" -::1 --port "$REDIS_PORT" \
		--save "" --appendonly no --dir "$REDIS_DIR" --logfile "$REDIS_LOG" \
		--pidfile "$REDIS_PIDFILE" 9>&- ||
		die "redis: $REDIS_SERVER failed to start"
	if ! wait_until "$SERVICES_WAIT" redis_alive; then
		show_log_tail "$REDIS_LOG"
		die "redis: not answering PONG on $REDIS_HOST:$REDIS_PORT after ${SERVICES_WAIT}s (log: $REDIS_LOG)"
	fi
}

redis_up() {
	local state=running

	redis_find_bins || true
	if [[ -n $REDIS_CLI ]] && redis_alive; then
		:
	else
		if port_open "$REDIS_HOST" "$REDIS_PORT"; then
			die "redis: something listens on $REDIS_HOST:$REDIS_PORT but does not answer PING with PONG" \
				"(another program, or a Redis that wants a password)"
		fi
		if [[ -z $REDIS_SERVER || -z $REDIS_CLI ]]; then
			apt_install redis-server
			redis_find_bins || die "redis: redis-server installed but its programs are not found"
			state="installed and started"
			# The package may have started the server itself.
			redis_alive || redis_start
		else
			redis_start
			state=started
		fi
	fi
	printf 'redis: %s on %s:%s\n' "$state" "$REDIS_HOST" "$REDIS_PORT"
}

mariadb_up
redis_up
