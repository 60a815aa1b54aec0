# Thin wrapper around CMake.  The two commands the README starts with:
#   make demo   install what is missing, build, start the local database with the
#               example project loaded, and run pgwarden on it
#   make test   install what is missing, build, run every test against a private
#               cluster that is gone afterwards, pass or fail
# SAN=1 builds into build-san/ with AddressSanitizer + UBSan.

SAN ?= 0
ifeq ($(SAN),1)
BUILD := build-san
CMAKE_FLAGS := -DSAN=ON
else
BUILD := build
CMAKE_FLAGS :=
endif
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all build deps demo test fuzz clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

demo: build
	@scripts/demo.sh $(BUILD)/pgwarden

test: build
	@scripts/test.sh $(BUILD)

# make fuzz: libFuzzer on the SQL reader/splitter/rules for FUZZ_TIME seconds
# (default 60), seeded from tests/fuzz/corpus; new inputs go to
# build-fuzz/corpus, crashes to build-fuzz/crash-*.  Not part of make test.
FUZZ_TIME ?= 60
fuzz: deps
	@cmake -S . -B build-fuzz -DFUZZ=ON -DCMAKE_C_COMPILER=clang >/dev/null
	@cmake --build build-fuzz -j $(JOBS) --target fuzz_sql
	@mkdir -p build-fuzz/corpus
	cd build-fuzz && ASAN_OPTIONS=detect_leaks=0 ./fuzz_sql -max_total_time=$(FUZZ_TIME) \
		-max_len=65536 -timeout=10 corpus ../tests/fuzz/corpus

clean:
	rm -rf build build-san build-fuzz
