#!/usr/bin/env bash
# bench.sh — what `make bench` does (docs/performance.md explains the figures).
#
#   1. Go benchmarks (testing.B, -benchmem) of the per-request work, against the real MariaDB and
#      Redis that scripts/services.sh brings up.
#   2. The load run: bin/mabench starts miniauth, the WeChat simulator and a floor server as real
#      processes, seeds its own database (miniauth_bench) and Redis database (9), drives /login,
#      /me and /introspect with vegeta, prints every result beside its floor, measures memory,
#      repeats /me and /login with 1,000 tenants, 100,000 users and 1,000,000 live sessions, and
#      drops what it seeded.
#
# BENCH_QUICK=1 makes both short (a few hundred iterations, 3 s runs, 50,000 sessions).
# BENCHFLAGS go to `go test`; MABENCH_FLAGS to mabench (e.g. "--c 32 --duration 10s").
# Results are also written to bin/bench/go-bench.txt and bin/bench/load.md.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

GO=${GO:-go}
if ! command -v "$GO" >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
	GO=/usr/local/go/bin/go
fi

scripts/services.sh

out=bin/bench
mkdir -p "$out"

benchtime=1s
if [[ -n ${BENCH_QUICK:-} ]]; then
	benchtime=300x
fi

# The server sends queries with their arguments in one round trip (cmd/miniauth/config.go);
# let the benchmarks' database handles do the same.
dsn=${MINIAUTH_TEST_MYSQL_DSN:-root:@tcp(${MARIADB_HOST:-127.0.0.1}:${MARIADB_PORT:-3306})/?parseTime=true&charset=utf8mb4&multiStatements=true}
if [[ $dsn != *interpolateParams* ]]; then
	case $dsn in
	*\?*) dsn="$dsn&interpolateParams=true" ;;
	*) dsn="$dsn?interpolateParams=true" ;;
	esac
fi
export MINIAUTH_TEST_MYSQL_DSN=$dsn

echo "== Go benchmarks (benchtime $benchtime)"
# shellcheck disable=SC2086 # BENCHFLAGS is a list of flags
"$GO" test -run '^$' -bench . -benchmem -benchtime "$benchtime" ${BENCHFLAGS:-} ./... | tee "$out/go-bench.txt"

echo "== load run"
mkdir -p bin
"$GO" build -o bin/ ./cmd/miniauth ./cmd/wxmock ./cmd/smsmock ./cmd/mabench
# shellcheck disable=SC2086 # MABENCH_FLAGS is a list of flags
bin/mabench --report "$out/load.md" ${MABENCH_FLAGS:-}
