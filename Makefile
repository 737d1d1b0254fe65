# Trellis. `make run` starts it; `make test` is what CI runs.
GO        ?= go
BIN       := bin/trellis
DATA      ?= ./data
CHROMIUM  ?= /usr/bin/chromium
BENCH_CSV ?= /tmp/bench-peers/data/batch_1m.csv

.PHONY: all build run test test-short lint browser-deps screenshots generate assets check-generated bench bench-data fuzz deps clean

all: build

build:
	$(GO) build -o $(BIN) .

run: build
	./$(BIN) serve --data $(DATA)

# Everything CI checks: formatting, vet, generated code, and the tests with the race detector.
# The browser tests (e2e/) run after the others, alone, so that their timings (the designer's
# 1,000-node benchmark) do not share the two cores with the rest of the suite.
test: lint browser-deps
	$(GO) test -race -count=1 $$($(GO) list ./... | grep -v '/e2e$$')
	$(GO) test -race -count=1 ./e2e/

test-short:
	$(GO) test -count=1 ./...

# The browser tests (e2e/) drive Debian's chromium; a fresh machine has none.
browser-deps:
	@command -v chromium >/dev/null 2>&1 || test -x $(CHROMIUM) || (apt-get update && apt-get install -y chromium)

# The README's pictures of the designer, an output and a dataset, taken by the browser test.
screenshots: browser-deps
	TRELLIS_SCREENSHOTS=$(CURDIR)/docs $(GO) test -count=1 -run 'TestDesignerAcceptance|TestDesignerTrainsAndEvaluates' ./e2e/

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	@# The portable build of the vector kernels, as non-amd64 machines get it.
	$(GO) vet -tags purego ./modules/ml/...
	GOARCH=arm64 $(GO) vet ./modules/ml/internal/vecmath
	@# Committed templ output must be what templ generates (the bundles need
	@# npm, so only check-generated compares them).
	@sum() { find . -name '*_templ.go' -not -path './node_modules/*' | sort | xargs cat | sha256sum; }; \
	  before=$$(sum); $(GO) tool templ generate >/dev/null 2>&1; \
	  if [ "$$(sum)" != "$$before" ]; then echo "the *_templ.go files were stale (now regenerated): commit them"; exit 1; fi

# Templ components (web/*.templ → *_templ.go, committed) and anything else generated.
generate:
	$(GO) tool templ generate
	$(GO) generate ./...

# The browser bundles in static/dist are committed, so `go build` needs no
# Node; rebuild them after changing static/src or static/package.json.
assets:
	cd static && npm ci && npm run build

# Fails when a committed generated file (templ output, bundles) is not what
# its sources give.
check-generated: generate assets
	@stale=$$(git status --porcelain -- '*_templ.go' static/dist); \
	  if [ -n "$$stale" ]; then echo "generated files are stale; run make generate assets and commit:"; echo "$$stale"; exit 1; fi

# Benchmarks use the peers' 1M-row loan file; `make bench-data` generates it.
bench: bench-data
	TRELLIS_BENCH_CSV=$(BENCH_CSV) $(GO) test -run='^$$' -bench=. -benchmem -count=1 -timeout=60m ./...

bench-data:
	@test -f $(BENCH_CSV) || bash ../shared/bench/peers/run.sh data

# Each fuzz target for a minute (the acceptance bar for parsers of outside input).
FUZZTIME ?= 60s
fuzz:
	$(GO) test -run='^$$' -fuzz=FuzzReadCSV -fuzztime=$(FUZZTIME) ./modules/table/
	$(GO) test -run='^$$' -fuzz=FuzzReadJSON -fuzztime=$(FUZZTIME) ./modules/table/
	$(GO) test -run='^$$' -fuzz=FuzzCompile -fuzztime=$(FUZZTIME) ./modules/expression/
	$(GO) test -run='^$$' -fuzz=FuzzParse -fuzztime=$(FUZZTIME) ./workflow/
	$(GO) test -run='^$$' -fuzz=FuzzDecodeJSON -fuzztime=$(FUZZTIME) ./server/
	$(GO) test -run='^$$' -fuzz=FuzzDatasetUpload -fuzztime=$(FUZZTIME) ./server/
	$(GO) test -run='^$$' -fuzz=FuzzUnmarshalModel -fuzztime=$(FUZZTIME) ./modules/ml/

clean:
	rm -rf bin
