# clawbridge — see README.md. The two commands a newcomer needs:
#   make run    build and run the daemon in the foreground with the default config
#   make test   provision the real peers (Ollama, npm clients, Clawdbot) and run every test

SHELL := /bin/bash
export PATH := $(PATH):/usr/local/go/bin:$(HOME)/go/bin
# go.mod's toolchain line names the Go release with the latest security
# fixes; "auto" lets the go command fetch it through the module proxy when
# the installed Go is older (Debian's and Go's own go.env default to
# "local", which ignores the line). A newer installed Go is used as is.
export GOTOOLCHAIN ?= auto

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null)
DATE    ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.date=$(DATE)

# Machine-local cache for the test peers (outside the repo, so a fresh clone reuses it).
export CLAWBRIDGE_CACHE ?= $(HOME)/.cache/clawbridge-test
PEERS_ENV := $(CLAWBRIDGE_CACHE)/peers.env

.PHONY: build run test unit lint provision bench soak screenshot clean compare

build:
	go build -trimpath -ldflags '$(LDFLAGS)' -o bin/clawbridge ./cmd/clawbridge

run: build
	./bin/clawbridge run

# lint: formatting, vet, the build of everything but the tray for macOS
# (the real tray needs cgo + Cocoa and a Mac) with its tests, and govulncheck against a
# pinned copy of the Go vulnerability database (.ci/vulndb.sh).
lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	go vet ./...
	GOOS=darwin GOARCH=arm64 CGO_ENABLED=0 go build ./...
	@# ...and its tests, which the macOS workflow runs: vet compiles them.
	GOOS=darwin GOARCH=arm64 CGO_ENABLED=0 go vet ./...
	GOOS=darwin GOARCH=amd64 CGO_ENABLED=0 go build ./...
	bash .ci/vulndb.sh

# provision: build or fetch every real peer the tests talk to and record
# where they are in $(PEERS_ENV). Idempotent and cached; fails loudly.
provision:
	bash .ci/provision.sh "$(PEERS_ENV)"

# unit: the tests that need no provisioned peer (real-peer suites skip with a message).
unit:
	go test ./...

test: lint provision check-packaging
	set -a && source "$(PEERS_ENV)" && set +a && \
	  CLAWBRIDGE_REQUIRE_PEERS=1 go test -count=1 -timeout 75m ./...
	bash .ci/fuzz.sh
	@# The real tray in a real panel: Xvfb + xfce4-panel, icon clicked, menu
	@# and a model submenu opened (the same run as make screenshot, kept out
	@# of the tree).
	shot=$$(mktemp -d) && bash .ci/screenshot.sh "$$shot/tray.png" && rm -rf "$$shot"

# fuzz: every fuzzer for FUZZTIME each (default 60s; make test runs 5s);
# a failing input lands in testdata/fuzz as a regression case.
.PHONY: fuzz
fuzz:
	FUZZTIME=$${FUZZTIME:-60s} bash .ci/fuzz.sh

# soak: 64 concurrent streams through the translator for SOAK (default 5m);
# `make test` runs the same test for 5 seconds. Results go in docs/reliability.md.
SOAK ?= 5m
soak:
	CLAWBRIDGE_SOAK=$(SOAK) go test -count=1 -run '^TestSoak$$' -timeout 0 -v ./daemon/translator/

# bench: micro-benchmarks and the relay comparison; writes docs/benchmarks.md.
bench: build
	bash .ci/bench.sh

# screenshot: the real tray menu under Xvfb + xfce4-panel, for the README.
screenshot: build
	bash .ci/screenshot.sh

clean:
	rm -rf bin dist

# app, dist and the packaging checks live beside the packaging files.
-include packaging/packaging.mk

# compare: issue 19's side-by-side run of real OpenClaw 2026.9.6 through its
# own ollama provider and through clawbridge, on the same real Ollama; writes
# docs/comparison.md. Not part of `make test` or CI: it takes about 40
# minutes (two silences longer than OpenClaw's 300 s watchdog, and a ~20k-token
# prompt per turn). Needs the provisioned peers.
compare: build provision
	set -a && source "$(PEERS_ENV)" && set +a && \
	  CLAWBRIDGE_REQUIRE_PEERS=1 CLAWBRIDGE_COMPARE=docs/comparison.md \
	  go test -count=1 -run '^TestCompare$$' -timeout 120m -v ./cmd/clawbridge/
