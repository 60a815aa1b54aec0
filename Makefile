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

.PHONY: all build deps demo test clean

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

clean:
	rm -rf build build-san
