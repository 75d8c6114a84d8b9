// The machine's limits, the rooflines the inference figures are compared against
// (docs/benchmarks.md). Each benchmark runs on 1 and 2 threads that it starts itself, all working
// at once, and reports the wall-clock rate of them together; kernels are Highway SIMD code for the
// best target the CPU has (dynamic dispatch, the label names it).
//
//   BM_MemoryReadBandwidth/N: sustained DRAM read bandwidth on N threads. A 1 GiB f32 buffer (far
//     larger than any last-level cache, touched once before timing) is split evenly between them;
//     each iteration sum-reduces a thread's whole share with vector loads into 8 independent vector
//     accumulators, so the loads, not the adds, limit the loop. GBps = 10^9 bytes read per
//     second, all threads together (decode's roofline: weights streamed once per token).
//   BM_PeakFmaF32: peak f32 fused multiply-add throughput. Each thread runs 12 independent chains
//     acc = acc * m + a held in vector registers (12 >= FMA latency x FMA ports on current x86,
//     so the pipelines stay full), with no memory traffic. GFLOPS = 2 flops per lane per FMA,
//     all threads together (prefill's roofline).
//
// Run: build/release/machine_limits_bench (a few seconds).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "bench/machine_limits_bench.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
// clang-format off
#include "hwy/highway.h"
// clang-format on

#include <cstddef>
#include <cstdint>
#include <thread>
#include <vector>

HWY_BEFORE_NAMESPACE();
namespace llmkit_bench {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Sum of p[0, n); n a multiple of 8 vectors.
float SumF32Impl(const float* p, size_t n) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  auto s0 = hn::Zero(d), s1 = hn::Zero(d), s2 = hn::Zero(d), s3 = hn::Zero(d);
  auto s4 = hn::Zero(d), s5 = hn::Zero(d), s6 = hn::Zero(d), s7 = hn::Zero(d);
  for (size_t i = 0; i + 8 * N <= n; i += 8 * N) {
    s0 = hn::Add(s0, hn::Load(d, p + i));
    s1 = hn::Add(s1, hn::Load(d, p + i + N));
    s2 = hn::Add(s2, hn::Load(d, p + i + 2 * N));
    s3 = hn::Add(s3, hn::Load(d, p + i + 3 * N));
    s4 = hn::Add(s4, hn::Load(d, p + i + 4 * N));
    s5 = hn::Add(s5, hn::Load(d, p + i + 5 * N));
    s6 = hn::Add(s6, hn::Load(d, p + i + 6 * N));
    s7 = hn::Add(s7, hn::Load(d, p + i + 7 * N));
  }
  s0 =
      hn::Add(hn::Add(hn::Add(s0, s1), hn::Add(s2, s3)), hn::Add(hn::Add(s4, s5), hn::Add(s6, s7)));
  return hn::GetLane(hn::SumOfLanes(d, s0));
}

// `iters` rounds of 12 independent FMAs per lane; returns a value depending on all chains.
// Returns the flops done through *flops (2 per lane per FMA).
float FmaChainsImpl(int64_t iters, double* flops) {
  const hn::ScalableTag<float> d;
  const auto m = hn::Set(d, 0.999999f);  // acc converges to a / (1 - m) = 1: no overflow or
  const auto a = hn::Set(d, 1e-6f);      // denormals, whatever the iteration count
  auto c0 = hn::Set(d, 0.1f), c1 = hn::Set(d, 0.2f), c2 = hn::Set(d, 0.3f), c3 = hn::Set(d, 0.4f);
  auto c4 = hn::Set(d, 0.5f), c5 = hn::Set(d, 0.6f), c6 = hn::Set(d, 0.7f), c7 = hn::Set(d, 0.8f);
  auto c8 = hn::Set(d, 0.9f), c9 = hn::Set(d, 1.1f), c10 = hn::Set(d, 1.2f), c11 = hn::Set(d, 1.3f);
  for (int64_t i = 0; i < iters; ++i) {
    c0 = hn::MulAdd(c0, m, a);
    c1 = hn::MulAdd(c1, m, a);
    c2 = hn::MulAdd(c2, m, a);
    c3 = hn::MulAdd(c3, m, a);
    c4 = hn::MulAdd(c4, m, a);
    c5 = hn::MulAdd(c5, m, a);
    c6 = hn::MulAdd(c6, m, a);
    c7 = hn::MulAdd(c7, m, a);
    c8 = hn::MulAdd(c8, m, a);
    c9 = hn::MulAdd(c9, m, a);
    c10 = hn::MulAdd(c10, m, a);
    c11 = hn::MulAdd(c11, m, a);
  }
  *flops = 2.0 * 12.0 * static_cast<double>(hn::Lanes(d)) * static_cast<double>(iters);
  const auto s = hn::Add(
      hn::Add(hn::Add(hn::Add(c0, c1), hn::Add(c2, c3)), hn::Add(hn::Add(c4, c5), hn::Add(c6, c7))),
      hn::Add(hn::Add(c8, c9), hn::Add(c10, c11)));
  return hn::GetLane(hn::SumOfLanes(d, s));
}

const char* TargetNameImpl() {
  return hwy::TargetName(HWY_TARGET);
}

}  // namespace HWY_NAMESPACE
}  // namespace llmkit_bench
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <benchmark/benchmark.h>

#include <cstring>
#include <memory>

#include "hwy/aligned_allocator.h"

namespace llmkit_bench {

HWY_EXPORT(SumF32Impl);
HWY_EXPORT(FmaChainsImpl);
HWY_EXPORT(TargetNameImpl);

namespace {

constexpr size_t kBufferBytes = size_t{1} << 30;

// The shared read buffer, allocated and written once (every page touched) by the first thread
// that asks; function-local static initialisation is thread-safe.
const float* read_buffer() {
  static const hwy::AlignedFreeUniquePtr<float[]> buffer = [] {
    auto p = hwy::AllocateAligned<float>(kBufferBytes / sizeof(float));
    for (size_t i = 0; i < kBufferBytes / sizeof(float); ++i) p[i] = static_cast<float>(i & 1023);
    return p;
  }();
  return buffer.get();
}

// state.range(0) threads started by the benchmark itself in every iteration (their start-up, tens
// of microseconds, is noise next to a 1 GiB pass), so GBps is plainly the whole buffer's bytes
// over the wall time of one pass.
void BM_MemoryReadBandwidth(benchmark::State& state) {
  const float* all = read_buffer();
  const int n_threads = static_cast<int>(state.range(0));
  const size_t share = kBufferBytes / sizeof(float) / static_cast<size_t>(n_threads);
  std::vector<float> sums(static_cast<size_t>(n_threads));
  for (auto _ : state) {
    std::vector<std::thread> threads;
    for (int t = 1; t < n_threads; ++t) {
      threads.emplace_back([&, t] {
        sums[static_cast<size_t>(t)] =
            HWY_DYNAMIC_DISPATCH(SumF32Impl)(all + share * static_cast<size_t>(t), share);
      });
    }
    sums[0] = HWY_DYNAMIC_DISPATCH(SumF32Impl)(all, share);
    for (std::thread& t : threads) t.join();
    benchmark::DoNotOptimize(sums.data());
  }
  state.counters["GBps"] = benchmark::Counter(
      1e-9 * static_cast<double>(state.iterations()) * static_cast<double>(kBufferBytes),
      benchmark::Counter::kIsRate);
  state.SetLabel(HWY_DYNAMIC_DISPATCH(TargetNameImpl)());
}

// Threads started per iteration as above, all running the FMA chains at once.
void BM_PeakFmaF32(benchmark::State& state) {
  constexpr int64_t kIters = int64_t{1} << 22;
  const int n_threads = static_cast<int>(state.range(0));
  std::vector<double> flops(static_cast<size_t>(n_threads));
  std::vector<float> results(static_cast<size_t>(n_threads));
  double total_flops = 0;
  for (auto _ : state) {
    std::vector<std::thread> threads;
    for (int t = 1; t < n_threads; ++t) {
      threads.emplace_back([&, t] {
        results[static_cast<size_t>(t)] =
            HWY_DYNAMIC_DISPATCH(FmaChainsImpl)(kIters, &flops[static_cast<size_t>(t)]);
      });
    }
    results[0] = HWY_DYNAMIC_DISPATCH(FmaChainsImpl)(kIters, &flops[0]);
    for (std::thread& t : threads) t.join();
    benchmark::DoNotOptimize(results.data());
    for (double f : flops) total_flops += f;
  }
  state.counters["GFLOPS"] = benchmark::Counter(total_flops * 1e-9, benchmark::Counter::kIsRate);
  state.SetLabel(HWY_DYNAMIC_DISPATCH(TargetNameImpl)());
}

}  // namespace

BENCHMARK(BM_MemoryReadBandwidth)->Arg(1)->Arg(2)->UseRealTime()->MinTime(0.5);
BENCHMARK(BM_PeakFmaF32)->Arg(1)->Arg(2)->UseRealTime()->MinTime(0.3);

}  // namespace llmkit_bench

BENCHMARK_MAIN();
#endif  // HWY_ONCE
