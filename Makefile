# Keel's two commands are `make demo` and `make test`; the rest are steps they use.
BUILD_DIR ?= build
# Release (-O2, no debug info: see CMakeLists.txt) is what the benchmarks measure and what the
# quick start installs; BUILD_TYPE=RelWithDebInfo gives a build to debug.
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc)
SHELL := /bin/bash
CMAKE_FLAGS ?=
# What `make build` and `make demo` build: the four programs (keel-shim brings its
# containerd-shim-keel-v2 link). The test suites and benchmarks, a third of the compiles and of
# a cold build's CPU time, are built by `make test` (everything).
BINARIES := keel keel-shim keeld keelctl

.PHONY: all deps configure build build-all test demo bench clean format format-check tidy

all: build

deps:
	@scripts/install-deps.sh

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS)

configure: deps $(BUILD_DIR)/build.ninja

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS) --target $(BINARIES)

build-all: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

test: build-all
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS) --timeout 300

demo: build
	@scripts/demo.sh $(BUILD_DIR)/bin/keel
	@scripts/demo-keeld.sh $(BUILD_DIR)/bin

# The benchmarks measure the binaries `make build` makes, in the same build tree.
bench: configure
	@scripts/install-bench-deps.sh
	cmake --build $(BUILD_DIR) -j $(JOBS) --target $(BINARIES) keel_tree_timer \
		keel_valgrind_preload keel_micro_bench
	bench/run.sh $(BUILD_DIR)/bin
	bench/pull.sh $(BUILD_DIR)/bin
	bench/manager.sh $(BUILD_DIR)/bin

clean:
	rm -rf $(BUILD_DIR)

format:
	@git ls-files '*.cpp' '*.h' | xargs clang-format -i

format-check: configure
	@git ls-files '*.cpp' '*.h' | xargs clang-format --dry-run -Werror
	@$(MAKE) --no-print-directory tidy

# clang-tidy (checks in .clang-tidy) over every tracked .cpp the build compiles, with its compile
# database; any finding fails. The sources include generated protobuf headers, so protoc runs
# first (it compiles nothing). -Wno-error: the compiler's own warnings are not clang-tidy's to
# report, and GCC-only flags in the database would otherwise stop clang.
tidy: configure
	@ninja -C $(BUILD_DIR) $$(ninja -C $(BUILD_DIR) -t targets all | sed -n 's/^\(.*\.pb\.h\): .*/\1/p') >/dev/null
	@jq -r '.[].file' $(BUILD_DIR)/compile_commands.json | sort -u >$(BUILD_DIR)/tidy-files.txt
	@git ls-files '*.cpp' | sed 's|^|$(CURDIR)/|' | sort | comm -12 - $(BUILD_DIR)/tidy-files.txt \
		| xargs -r -n 1 -P $(JOBS) clang-tidy -p $(BUILD_DIR) --quiet \
		  --extra-arg=-Wno-error --extra-arg=-Wno-unknown-warning-option \
		  2> >(grep -v '^[0-9]* warnings\? generated\.$$' >&2)
