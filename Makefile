# Trellis. `make run` starts it; `make test` is what CI runs.
GO        ?= go
BIN       := bin/trellis
DATA      ?= ./data
CHROMIUM  ?= /usr/bin/chromium
BENCH_CSV ?= /tmp/bench-peers/data/batch_1m.csv

.PHONY: all build run test test-short lint generate check-generated bench bench-data fuzz deps clean

all: build

build:
	$(GO) build -o $(BIN) .

run: build
	./$(BIN) serve --data $(DATA)

# Everything CI checks: formatting, vet, generated code, and the tests with the race detector.
test: lint
	$(GO) test -race -count=1 ./...

test-short:
	$(GO) test -count=1 ./...

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

generate:
	$(GO) generate ./...

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

clean:
	rm -rf bin
