// Inference kernels and steps: WeightMatrix::matvec of a 2048 x 2048 matrix per weight type (the
// single-token decode product) next to OpenBLAS cblas_sgemv on the same matrix in f32, and one
// decode step / one 64-token prefill of the gemma3 "small" preset (random weights).
//
//   build/release/infer_bench [--benchmark_filter=Matvec]
// Counters: tokens_per_s (matvecs or decode steps per second); vs_sgemv = matvec rate / sgemv
// rate on the same shape (> 1: faster than OpenBLAS f32).
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <chrono>
#include <random>
#include <span>
#include <vector>

#include "llmkit/base/context.h"
#include "llmkit/infer/session.h"
#include "llmkit/infer/weight_matrix.h"
#include "llmkit/io/quantize.h"
#include "llmkit/models/arch.h"
#include "llmkit/models/model_io.h"
#include "llmkit/tensor/rng.h"
#include "tests/support/random_floats.h"

namespace {

using llmkit::io::GgmlType;

constexpr int64_t kDim = 2048;

// Seconds per cblas_sgemv of an n x n f32 matrix (average over repeated calls).
double sgemv_seconds(const std::vector<float>& w, const std::vector<float>& x, int64_t n) {
  std::vector<float> y(static_cast<size_t>(n));
  const int reps = 50;
  cblas_sgemv(CblasRowMajor, CblasNoTrans, static_cast<int>(n), static_cast<int>(n), 1.0f, w.data(),
              static_cast<int>(n), x.data(), 1, 0.0f, y.data(), 1);
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < reps; ++i) {
    cblas_sgemv(CblasRowMajor, CblasNoTrans, static_cast<int>(n), static_cast<int>(n), 1.0f,
                w.data(), static_cast<int>(n), x.data(), 1, 0.0f, y.data(), 1);
  }
  benchmark::DoNotOptimize(y.data());
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / reps;
}

void BM_Matvec(benchmark::State& state, GgmlType type) {
  const int threads = static_cast<int>(state.range(0));
  const std::vector<float> w = llmkit::test::normal_floats(kDim * kDim, 1);
  const std::vector<float> x = llmkit::test::normal_floats(kDim, 2);
  const llmkit::infer::WeightMatrix m =
      llmkit::infer::WeightMatrix::from_f32(w.data(), kDim, kDim, type);
  llmkit::Context ctx(threads);
  llmkit::Context::Scope scope(ctx);
  openblas_set_num_threads(threads);
  const double baseline = sgemv_seconds(w, x, kDim);
  llmkit::infer::MatmulScratch scratch;
  std::vector<float> y(kDim);
  for (auto _ : state) {
    m.matvec(x.data(), y.data(), scratch);
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["tokens_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["sgemv_per_s"] = 1.0 / baseline;
  state.counters["bytes"] = static_cast<double>(m.n_bytes());
  state.SetLabel(llmkit::io::ggml_type_name(type));
  // A rate counter is divided by the elapsed time: iterations * t_sgemv / time = matvec rate /
  // sgemv rate.
  state.counters["vs_sgemv"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * baseline, benchmark::Counter::kIsRate);
}
BENCHMARK_CAPTURE(BM_Matvec, f32, GgmlType::kF32)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK_CAPTURE(BM_Matvec, f16, GgmlType::kF16)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK_CAPTURE(BM_Matvec, q8_0, GgmlType::kQ8_0)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK_CAPTURE(BM_Matvec, q4_0, GgmlType::kQ4_0)->Arg(1)->Arg(2)->UseRealTime();

std::shared_ptr<const llmkit::infer::Model> small_model() {
  static std::shared_ptr<const llmkit::infer::Model> model = [] {
    llmkit::models::ModelConfig c = llmkit::models::preset(llmkit::models::Arch::kGemma3, "small");
    llmkit::Generator gen(1);
    return llmkit::infer::Model::from_weights(c, llmkit::models::random_weights(c, gen));
  }();
  return model;
}

// One single-token decode step (context reset when full).
void BM_DecodeStep(benchmark::State& state) {
  llmkit::infer::SessionOptions o;
  o.n_ctx = 256;
  o.n_threads = static_cast<int>(state.range(0));
  llmkit::infer::Session session(small_model(), o);
  int32_t token = 1;
  for (auto _ : state) {
    if (session.position() == session.n_ctx()) session.reset();
    auto logits = session.decode(std::span<const int32_t>(&token, 1));
    benchmark::DoNotOptimize(logits.data());
    token = (token * 31 + 7) % 1000;
  }
  state.counters["tokens_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_DecodeStep)->Arg(1)->Arg(2)->UseRealTime();

// A 64-token prefill from an empty context.
void BM_Prefill64(benchmark::State& state) {
  llmkit::infer::SessionOptions o;
  o.n_ctx = 256;
  o.n_threads = static_cast<int>(state.range(0));
  llmkit::infer::Session session(small_model(), o);
  std::vector<int32_t> tokens(64);
  for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = static_cast<int32_t>(i * 13 % 1000);
  for (auto _ : state) {
    session.reset();
    auto logits = session.decode(tokens);
    benchmark::DoNotOptimize(logits.data());
  }
  state.counters["tokens_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations() * 64), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Prefill64)->Arg(1)->Arg(2)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
