# Strata top-level targets. `make test` is what CI runs.
BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps configure build test test-asan demo bench format format-check tidy clean

all: build

deps:
	@bash scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The whole test suite under AddressSanitizer + LeakSanitizer + UndefinedBehaviorSanitizer (UB fails the test;
# runtime options in tests/CMakeLists.txt, docs/reliability.md). -O1 with line tables only: Debug (-O0) runs the
# training tests several times slower. Only the library and the tests are built (no bench, examples, CLI).
ASAN_CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1" -DSTRATA_SANITIZE=ON \
                    -DSTRATA_BUILD_BENCH=OFF -DSTRATA_BUILD_EXAMPLES=OFF -DSTRATA_BUILD_TOOLS=OFF \
                    -DSTRATA_WITH_CUDA=OFF
test-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -G Ninja $(ASAN_CMAKE_FLAGS) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	@cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS)

# Trains a LeNet-style CNN on Fashion-MNIST (examples/lenet) with a live progress bar; writes runs/lenet/.
# The CLI picks OpenMP's waiting itself: passive on a busy machine, a bounded spin on a quiet one
# (docs/performance.md, "Busy machines").
# Builds only the library and the CLI (about a third of `make build`); `make build` and `make test` build everything.
demo: configure
	@cmake --build $(BUILD) -j $(JOBS) --target strata_cli
	@$(BUILD)/tools/strata/strata train examples/lenet/config.json

# Side-by-side with PyTorch (docs/benchmarks.md); e.g. make bench BENCH_ARGS="--filter gemm --rounds 5".
BENCH_ARGS ?=
bench: build
	@bash scripts/install-deps.sh --with-torch
	@/usr/bin/python3 bench/run.py --strata $(BUILD)/bench/strata_bench $(BENCH_ARGS)

# Style (.clang-format, .clang-tidy): `format` rewrites in place; the other two only report and fail on findings.
format:
	@bash scripts/check-style.sh --format --fix

format-check:
	@bash scripts/check-style.sh --format

tidy: configure
	@bash scripts/check-style.sh --tidy -p $(BUILD) -j $(JOBS) src

# libFuzzer targets for every reader (fuzz/, docs/reliability.md), built with clang in their own folder (the
# readers instrumented, the rest from $(BUILD)/libstrata.a); each target runs FUZZ_SECONDS seconds from the
# committed seeds, and the run prints executions and exec/s per target. FUZZ_RUNS=N stops each target after N
# executions instead (e.g. make fuzz FUZZ_RUNS=1000000 FUZZ_SECONDS=7200). CI runs FUZZ_SECONDS=20 (.ci/run).
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_RUNS ?=
FUZZ_TARGETS ?= json safetensors checkpoint idx idx_gzip csv text

.PHONY: fuzz
fuzz: configure
	@bash scripts/install-deps.sh --with-fuzz
	@cmake --build $(BUILD) -j $(JOBS) --target strata
	@cmake -S fuzz -B $(FUZZ_BUILD) -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DSTRATA_LIBRARY=$(abspath $(BUILD))/libstrata.a >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) --target $(addprefix fuzz_,$(FUZZ_TARGETS))
	@FUZZ_RUNS=$(FUZZ_RUNS) bash fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

clean:
	@rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
