# velin — see README.md. `make test` is what CI runs (through .ci/run).
GO        ?= go
PKGS      := ./...
FUZZTIME  ?= 4s
BIN       := bin/velin
# End-to-end tests run again with short passphrases: output, restore, recovery, files.
SHORT_PASS_TESTS := TestE2EOutput|TestRestore|TestRecovery|TestKeyManagement|TestE2EFiles|TestSecretsNeverLeak

.PHONY: all build test vet unit fuzz-short fuzz bench bench-db bench-s3 quickstart clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/velin

## test: vet, unit and end-to-end tests with the race detector, then a short fuzz pass.
test: vet unit fuzz-short

## vet also type-checks for macOS and FreeBSD (tests run on Linux only) and
## fails when go.mod / go.sum are not tidy.
vet:
	$(GO) mod tidy -diff
	$(GO) vet $(PKGS)
	GOOS=darwin GOARCH=arm64 $(GO) vet $(PKGS)
	GOOS=freebsd GOARCH=amd64 $(GO) build $(PKGS)

## unit: every test with the race detector (the end-to-end tests' velin binary
## is built without it unless VELIN_E2E_RACE=1), then the tests at users'
## scale (files tagged !race, too slow under it) without.
unit:
	$(GO) test -race -count=1 -timeout 20m $(PKGS)
	$(GO) test -count=1 -timeout 5m -run '^TestLargeDirectory$$' ./engine/repo/
	@# Output with 1- and 3-character passphrases: nothing mangled (issue 6 §5).
	for pass in x abc; do VELIN_E2E_PASSPHRASE=$$pass $(GO) test -count=1 -timeout 10m \
		-run '$(SHORT_PASS_TESTS)' ./cmd/velin/ || exit 1; done

## fuzz-short: every fuzz target for $(FUZZTIME) (CI); `make fuzz FUZZTIME=5m` for longer.
fuzz-short fuzz:
	@set -e; for spec in $$(scripts/fuzz-targets.sh); do \
		pkg=$${spec%%:*}; fn=$${spec##*:}; \
		echo "fuzz $$pkg $$fn ($(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) $$pkg; \
	done

## bench: velin against restic on ../shared/bench's dataset (not part of test).
bench:
	bash scripts/bench/run.sh

## bench-db: velin's postgres, mysql and redis sources against pg_dump, restic,
## mariadb-dump and redis-cli --rdb (not part of test; DBS="pg mysql redis").
DBS ?= pg mysql redis
bench-db:
	set -e; for db in $(DBS); do bash scripts/bench/$$db.sh; done

## bench-s3: velin over S3 (its own MinIO, a counting proxy) against restic's S3
## backend and rclone sync (not part of test; PARTS="repo bucket").
bench-s3:
	bash scripts/bench/s3.sh

quickstart:
	$(GO) run ./examples/quickstart

clean:
	rm -rf bin
