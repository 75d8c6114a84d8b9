# Wraps the CMake presets. `make run` and `make test` install what they need first.
.PHONY: setup build debug asan run test test-release test-asan bench distill-report format clean

JOBS ?= 2

setup:
	@bash scripts/setup.sh

build: setup
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)

debug: setup
	@cmake --preset debug >/dev/null
	@cmake --build --preset debug -j $(JOBS)

asan: setup
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan -j $(JOBS)

run: build
	@bash scripts/main_job.sh

test-release: build
	@ctest --preset release

test-asan: asan
	@ASAN_OPTIONS=detect_leaks=1 ctest --preset asan

test: test-release test-asan

distill-report: build
	@bash scripts/distill_report.sh

bench: build
	@./build/release/matmul_bench --benchmark_min_time=0.2

format:
	@find llmkit cli tests bench \( -name '*.h' -o -name '*.cpp' \) | xargs clang-format -i

clean:
	@rm -rf build
