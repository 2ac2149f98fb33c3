# miniauth — developer and CI entry points. `make help` lists the targets.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# Go: $(GO) when it runs, else the standard install location when go is not on PATH.
GO ?= go
ifeq ($(shell command -v $(GO) 2>/dev/null),)
  ifneq ($(wildcard /usr/local/go/bin/go),)
    GO := /usr/local/go/bin/go
    export PATH := /usr/local/go/bin:$(PATH)
  endif
endif
export GO
GOFMT = $(shell $(GO) env GOROOT)/bin/gofmt

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS ?= -X main.version=$(VERSION)
TESTFLAGS ?=
BENCHFLAGS ?=

# Where the tests find MariaDB and Redis; scripts/services.sh brings them up there.
export MARIADB_HOST ?= 127.0.0.1
export MARIADB_PORT ?= 3306
export REDIS_HOST ?= 127.0.0.1
export REDIS_PORT ?= 6379
export MINIAUTH_TEST_MYSQL_DSN ?= root:@tcp($(MARIADB_HOST):$(MARIADB_PORT))/?parseTime=true&charset=utf8mb4&multiStatements=true
export MINIAUTH_TEST_REDIS_URL ?= redis://$(REDIS_HOST):$(REDIS_PORT)/0
# The mini-program SDK's Node tests (run by TestMiniProgramSDK) fail rather than skip without node.
export MINIAUTH_TEST_REQUIRE_NODE ?= 1

# Run a command as root: directly when root, else through sudo.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help run reset-dev cli test bench build fmt vet lint clean services deps-chromium

help: ## list the targets
	@echo "usage: make <target>"
	@echo
	@grep -E '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) | \
		awk -F':.*## ' '{ printf "  %-15s %s\n", $$1, $$2 }'

run: ## build, bring up MariaDB/Redis, seed a demo tenant, run wxmock and the server until Ctrl-C
	scripts/run.sh

reset-dev: ## drop make run's development database (only one scripts/services.sh made), for make run to start afresh
	scripts/reset-dev.sh

# ARGS is split by the shell: quote an argument with spaces inside it, e.g. ARGS="tenant list".
# Quiet, so that its output is only miniauth's (make cli ARGS='tenant list' | jq).
cli: ## run bin/miniauth against the make run instance with its dev secrets: make cli ARGS='tenant list'
	@mkdir -p bin
	@$(GO) build -ldflags '$(LDFLAGS)' -o bin/ ./cmd/miniauth >&2
	@scripts/cli.sh $(ARGS)

services: ## make sure MariaDB and Redis run (installing them from Debian packages if missing)
	scripts/services.sh

# The packages with concurrent code run under the race detector: the
# domain packages, the commands, and the e2e harness, whose miniauth and
# wxmock binaries are then built with -race too (tenantstest.Build), so the
# HTTP layer is raced under real load there. The api package's own tests
# run without it: under -race they take longer than the rest together.
# -timeout 30m: a machine half as fast, or a busy one, is not a hang (go test's
# default of 10 minutes per package is not far from the api package's time there).
RACE_PKGS = ./tenants/... ./cmd/... ./migrations/...
PLAIN_PKGS = ./api/... ./web/... ./scripts/...

# The console tests drive Debian's chromium (api/console_browser_test.go).
test: lint services deps-chromium ## lint, then the whole suite (race detector on concurrent packages, SDK tests under Node) against real MariaDB and Redis
	@command -v node >/dev/null || { echo "make test needs Node 20+ for the mini-program SDK tests"; exit 1; }
	$(GO) test -count=1 -timeout 30m -race $(TESTFLAGS) $(RACE_PKGS)
	$(GO) test -count=1 -timeout 30m $(TESTFLAGS) $(PLAIN_PKGS)

bench: services ## Go benchmarks, then the load run against real processes and the floor (BENCH_QUICK=1: short); docs/performance.md
	BENCHFLAGS='$(BENCHFLAGS)' scripts/bench.sh

build: ## build bin/miniauth, bin/wxmock, bin/smsmock and the other commands
	@mkdir -p bin
	$(GO) build -ldflags '$(LDFLAGS)' -o bin/ ./cmd/...

fmt: ## format the Go code in place
	$(GO) fmt ./...

vet: ## go vet
	$(GO) vet ./...

# staticcheck at a pinned version, fetched and built by the Go toolchain
# (cached after the first run).
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

lint: ## gofmt, go vet and staticcheck (pinned); fails on any finding
	@out=$$($(GOFMT) -l .); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi; \
	echo "gofmt: ok"
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

clean: ## remove build and test outputs (the development secrets live outside the checkout: scripts/devenv.sh)
	rm -rf bin coverage* *.out *.test

deps-chromium: ## install Debian's chromium and a Chinese font (for the zh-CN screenshots) for the console tests, if missing
	@if command -v chromium >/dev/null 2>&1 && fc-list :lang=zh 2>/dev/null | grep -q .; then \
		echo "chromium: $$(command -v chromium)"; \
	else \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-wqy-microhei; \
	fi
