// Element-wise throughput: ops::binary(add) and ops::unary(exp/gelu) on contiguous f32, reported as
// GB/s of memory traffic (reads + writes), next to a plain C++ loop doing the same add on the same
// buffers as the in-run baseline.
#include <benchmark/benchmark.h>

#include "llmkit/base/context.h"
#include "llmkit/ops/elementwise.h"
#include "llmkit/tensor/creation.h"

namespace {
using namespace llmkit;

void set_bytes(benchmark::State& state, int64_t bytes_per_iter) {
  state.counters["GB/s"] = benchmark::Counter(static_cast<double>(bytes_per_iter),
                                              benchmark::Counter::kIsIterationInvariantRate,
                                              benchmark::Counter::kIs1000);
}

void BM_AddLoopBaseline(benchmark::State& state) {
  int64_t n = state.range(0);
  Generator gen(1);
  Tensor a = randn({n}, gen), b = randn({n}, gen), c = zeros({n});
  const float* pa = a.data<float>();
  const float* pb = b.data<float>();
  float* pc = c.data<float>();
  for (auto _ : state) {
    for (int64_t i = 0; i < n; ++i) pc[i] = pa[i] + pb[i];
    benchmark::ClobberMemory();
  }
  set_bytes(state, 12 * n);
}

void BM_OpsAdd(benchmark::State& state) {
  int64_t n = state.range(0);
  Generator gen(1);
  Tensor a = randn({n}, gen), b = randn({n}, gen);
  for (auto _ : state) benchmark::DoNotOptimize(ops::binary(ops::BinaryOp::kAdd, a, b));
  set_bytes(state, 12 * n);
}

void BM_OpsUnary(benchmark::State& state, ops::UnaryOp op) {
  int64_t n = state.range(0);
  Generator gen(1);
  Tensor a = randn({n}, gen);
  for (auto _ : state) benchmark::DoNotOptimize(ops::unary(op, a));
  set_bytes(state, 8 * n);
}

BENCHMARK(BM_AddLoopBaseline)->Arg(1 << 16)->Arg(1 << 22);
BENCHMARK(BM_OpsAdd)->Arg(1 << 16)->Arg(1 << 22);
BENCHMARK_CAPTURE(BM_OpsUnary, exp, ops::UnaryOp::kExp)->Arg(1 << 16)->Arg(1 << 22);
BENCHMARK_CAPTURE(BM_OpsUnary, gelu_tanh, ops::UnaryOp::kGeluTanh)->Arg(1 << 16)->Arg(1 << 22);

}  // namespace

BENCHMARK_MAIN();
