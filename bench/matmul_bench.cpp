// f32 matrix products: ops::matmul / ops::linear against cblas_sgemm called directly on
// preallocated buffers, so the difference is llmkit's overhead (checks, output allocation).
// Arguments: {n or rows, threads}. Counter "GFLOP" is a rate (shown as GFLOP/s): 2 * M * N * K
// per iteration over wall time (real time, since OpenBLAS runs on several threads).
//   ./matmul_bench --benchmark_filter='n:256/'   (only the 256 cases)
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <thread>
#include <vector>

#include "llmkit/base/context.h"
#include "llmkit/ops/matmul.h"
#include "llmkit/tensor/creation.h"

namespace {
using namespace llmkit;

void set_gflops(benchmark::State& state, double flops_per_iteration) {
  state.counters["GFLOP"] =
      benchmark::Counter(flops_per_iteration * static_cast<double>(state.iterations()) * 1e-9,
                         benchmark::Counter::kIsRate);
}

std::vector<float> random_buffer(int64_t n, uint64_t seed) {
  Generator gen(seed);
  return randn({n}, gen).to_vector();
}

// C[n, n] = A B through ops::matmul (a new output tensor per call).
void BM_OpsMatmul(benchmark::State& state) {
  const int64_t n = state.range(0);
  Context ctx(static_cast<int>(state.range(1)));
  Context::Scope scope(ctx);
  Generator gen(1);
  Tensor a = randn({n, n}, gen), b = randn({n, n}, gen);
  for (auto _ : state) {
    Tensor c = ops::matmul(a, b);
    benchmark::DoNotOptimize(c.raw_data());
  }
  set_gflops(state, 2.0 * n * n * n);
}

// The same product with cblas_sgemm on buffers allocated once.
void BM_DirectSgemm(benchmark::State& state) {
  const int64_t n = state.range(0);
  openblas_set_num_threads(static_cast<int>(state.range(1)));
  std::vector<float> a = random_buffer(n * n, 1), b = random_buffer(n * n, 2), c(n * n);
  const int ni = static_cast<int>(n);
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, ni, ni, ni, 1.0f, a.data(), ni, b.data(),
                ni, 0.0f, c.data(), ni);
    benchmark::DoNotOptimize(c.data());
  }
  set_gflops(state, 2.0 * n * n * n);
}

// A Transformer projection: x [B*T = 512, C = 256] by w [N = 1024, C] plus bias.
constexpr int64_t kRows = 512, kIn = 256, kOut = 1024;

void BM_OpsLinear(benchmark::State& state) {
  Context ctx(static_cast<int>(state.range(1)));
  Context::Scope scope(ctx);
  Generator gen(3);
  Tensor x = randn({kRows, kIn}, gen), w = randn({kOut, kIn}, gen), bias = randn({kOut}, gen);
  for (auto _ : state) {
    Tensor y = ops::linear(x, w, bias);
    benchmark::DoNotOptimize(y.raw_data());
  }
  set_gflops(state, 2.0 * kRows * kIn * kOut);
}

void BM_DirectSgemmLinear(benchmark::State& state) {
  openblas_set_num_threads(static_cast<int>(state.range(1)));
  std::vector<float> x = random_buffer(kRows * kIn, 3), w = random_buffer(kOut * kIn, 4);
  std::vector<float> bias = random_buffer(kOut, 5), y(kRows * kOut);
  for (auto _ : state) {
    for (int64_t i = 0; i < kRows; ++i) std::copy(bias.begin(), bias.end(), y.begin() + i * kOut);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, kRows, kOut, kIn, 1.0f, x.data(), kIn,
                w.data(), kIn, 1.0f, y.data(), kOut);
    benchmark::DoNotOptimize(y.data());
  }
  set_gflops(state, 2.0 * kRows * kIn * kOut);
}

void square_sizes(benchmark::internal::Benchmark* b) {
  int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int64_t n : {256, 1024, 2048}) {
    b->Args({n, 1});
    if (hw > 1) b->Args({n, hw});
  }
  b->ArgNames({"n", "threads"})->Unit(benchmark::kMillisecond)->UseRealTime();
}

void linear_shape(benchmark::internal::Benchmark* b) {
  int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  b->Args({kRows, 1});
  if (hw > 1) b->Args({kRows, hw});
  b->ArgNames({"rows", "threads"})->Unit(benchmark::kMillisecond)->UseRealTime();
}

BENCHMARK(BM_OpsMatmul)->Apply(square_sizes);
BENCHMARK(BM_DirectSgemm)->Apply(square_sizes);
BENCHMARK(BM_OpsLinear)->Apply(linear_shape);
BENCHMARK(BM_DirectSgemmLinear)->Apply(linear_shape);

}  // namespace

BENCHMARK_MAIN();
