# Mu — the two commands: `make run` and `make test`. See README.md.
SHELL := /bin/bash
PRESET ?= release
BUILD := build/$(PRESET)
MU := $(BUILD)/mu
LISTEN ?= 127.0.0.1:8080
JOBS ?= $(shell nproc)

.PHONY: all bootstrap configure build run demo cluster test test-release test-asan test-fuzz bench format lint clean web docs

all: build

bootstrap:
	@scripts/bootstrap

$(BUILD)/build.ninja: CMakeLists.txt CMakePresets.json | bootstrap
	cmake --preset $(PRESET) >/dev/null

configure: bootstrap $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD) -j $(JOBS)

web:
	@scripts/build-web

# Build and run Mu with embedded SQLite (var/mu.db), fetching the real sites.
run: build web
	@mkdir -p var
	$(MU) serve --listen $(LISTEN)

# The same app, every fetch answered from the recorded fixtures (no internet needed).
demo: build web
	@mkdir -p var
	MU_STORAGE_URL=sqlite://var/demo.db $(MU) serve --listen $(LISTEN) --replay src/sources

# A local distributed cluster (Redis, PostgreSQL, 3 schedulers, 4 collectors, 2 APIs) fed
# from the fixtures; `scripts/cluster status|down`. See docs/operations.md.
cluster: build web
	scripts/cluster up

# Build and pass every test: release build + all tests, unit tests under ASan+UBSan, then
# each libFuzzer target for FUZZ_SECONDS.
FUZZ_SECONDS ?= 30
test: test-release test-asan test-fuzz

test-release: build web
	ctest --preset release -j $(JOBS)

test-asan: bootstrap
	cmake --preset asan >/dev/null
	cmake --build build/asan -j $(JOBS)
	ctest --preset asan -j $(JOBS)

test-fuzz: bootstrap
	scripts/fuzz $(FUZZ_SECONDS)

bench: build
	bench/api.sh

# Regenerate the files generated from code (docs/sources.md).
docs: build
	$(MU) sources --markdown > docs/sources.md

format:
	git ls-files '*.cc' '*.h' | xargs clang-format -i

lint:
	git ls-files '*.cc' '*.h' | xargs clang-format --dry-run --Werror
	git ls-files 'src/*.cc' | grep -v _test.cc | xargs clang-tidy -p $(BUILD) --quiet

clean:
	rm -rf build
