# Keel's two commands are `make demo` and `make test`; the rest are steps they use.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
# What `make build` and `make demo` build: the four programs (keel-shim brings its
# containerd-shim-keel-v2 link). The test suites and benchmarks, a third of the compiles and
# nearly half of a cold build's compile time, are built by `make test` (everything).
BINARIES := keel keel-shim keeld keelctl

.PHONY: all deps configure build build-all test demo bench clean format format-check

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

# GCC 12 at -O3 reports false positives inside libstdc++'s string code (-Wnull-dereference,
# -Wrestrict); in the benchmark build they stay warnings. Only what bench/run.sh runs is built.
BENCH_CXX_FLAGS ?= -Wno-error=null-dereference -Wno-error=restrict -Wno-error=array-bounds \
	-Wno-error=stringop-overflow -Wno-error=stringop-overread -Wno-error=maybe-uninitialized
bench: deps
	$(MAKE) configure BUILD_DIR=build-release BUILD_TYPE=Release \
		CMAKE_FLAGS='-DCMAKE_CXX_FLAGS="$(BENCH_CXX_FLAGS)"'
	cmake --build build-release -j $(JOBS) --target keel keel-shim keel_tree_timer keel_valgrind_preload \
		keel_micro_bench
	bench/run.sh build-release/bin

clean:
	rm -rf $(BUILD_DIR) build-release

format:
	@git ls-files '*.cpp' '*.h' | xargs clang-format -i

format-check:
	@git ls-files '*.cpp' '*.h' | xargs clang-format --dry-run -Werror
