// One Transformer block (Gemma-3 style: GQA, QK-norm, GeGLU, post-norms): forward + backward
// through the autograd tape, reported as tokens/s, with the forward alone beside it.
// Shape: B = 4, T = 256, C = 256, H = 4, Hkv = 1, D = 64, n_ff = 1024.
#include <benchmark/benchmark.h>

#include "llmkit/autograd/backward.h"
#include "llmkit/autograd/functions.h"
#include "llmkit/base/context.h"
#include "llmkit/nn/transformer_block.h"

namespace {
using namespace llmkit;

nn::BlockConfig block_config() {
  nn::BlockConfig c;
  c.attention.n_embd = 256;
  c.attention.n_head = 4;
  c.attention.n_head_kv = 1;
  c.attention.head_dim = 64;
  c.attention.qk_norm = true;
  c.attention.norm_unit_offset = true;
  c.mlp.n_embd = 256;
  c.mlp.n_ff = 1024;
  c.mlp.kind = nn::MlpKind::kGeGLU;
  c.norm_unit_offset = true;
  c.post_norms = true;
  return c;
}

void BM_BlockStep(benchmark::State& state, bool with_backward) {
  int threads = static_cast<int>(state.range(0));
  Context ctx(threads);
  Context::Scope scope(ctx);
  const int64_t B = 4, T = 256;
  Generator gen(1);
  nn::TransformerBlock block(block_config(), gen);
  Tensor x = randn({B, T, 256}, gen);
  Tensor pos = arange(T);
  for (auto _ : state) {
    Tensor y = block.forward(x, pos);
    if (with_backward) {
      Tensor loss = mean(square(y));
      backward(loss);
      block.zero_grad();
    }
    benchmark::DoNotOptimize(y);
  }
  state.counters["tokens/s"] =
      benchmark::Counter(static_cast<double>(B * T), benchmark::Counter::kIsIterationInvariantRate);
}

BENCHMARK_CAPTURE(BM_BlockStep, forward, false)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_BlockStep, forward_backward, true)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
