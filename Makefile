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

.PHONY: help run test bench build fmt vet lint clean services deps-chromium

help: ## list the targets
	@echo "usage: make <target>"
	@echo
	@grep -E '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) | \
		awk -F':.*## ' '{ printf "  %-15s %s\n", $$1, $$2 }'

run: ## build, bring up MariaDB/Redis, seed a demo tenant, run wxmock and the server until Ctrl-C
	scripts/run.sh

services: ## make sure MariaDB and Redis run (installing them from Debian packages if missing)
	scripts/services.sh

# The console tests drive Debian's chromium (api/console_browser_test.go).
test: services deps-chromium ## go vet and the whole test suite (SDK tests under Node included) against real MariaDB and Redis
	@command -v node >/dev/null || { echo "make test needs Node 20+ for the mini-program SDK tests"; exit 1; }
	$(GO) vet ./...
	$(GO) test -count=1 $(TESTFLAGS) ./...

bench: services ## Go benchmarks, then the load run against real processes and the floor (BENCH_QUICK=1: short); docs/performance.md
	BENCHFLAGS='$(BENCHFLAGS)' scripts/bench.sh

build: ## build bin/miniauth and bin/wxmock
	@mkdir -p bin
	$(GO) build -ldflags '$(LDFLAGS)' -o bin/ ./cmd/...

fmt: ## format the Go code in place
	$(GO) fmt ./...

vet: ## go vet
	$(GO) vet ./...

lint: ## fail when a Go file is not gofmt-formatted
	@out=$$($(GOFMT) -l .); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi; \
	echo "gofmt: ok"

clean: ## remove build and test outputs (keeps .miniauth/dev.env, which the local database depends on)
	rm -rf bin coverage* *.out *.test

deps-chromium: ## install Debian's chromium and a Chinese font (for the zh-CN screenshots) for the console tests, if missing
	@if command -v chromium >/dev/null 2>&1 && fc-list :lang=zh 2>/dev/null | grep -q .; then \
		echo "chromium: $$(command -v chromium)"; \
	else \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-wqy-microhei; \
	fi
