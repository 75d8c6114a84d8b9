// Training throughput of a whole model (forward + backward + AdamW, f32) as an end-to-end
// command, for the side-by-side comparison with PyTorch (bench/train_vs_torch.sh).
//
//   train_throughput_bench OUT_DIR [STEPS] [THREADS]
// Builds the benchmark model (gemma3: n_embd 256, 4 layers, 4 heads, 1 KV head, head dim 64,
// n_ff 1024, vocab 8192; batch 8 x seq 256), writes its initial weights and config to
// OUT_DIR/model (models::save_model) and the fixed batch to OUT_DIR/batch.bin (i32 inputs then
// targets, row-major [8, 256] each), then runs STEPS optimizer steps on that batch and prints one
// JSON line: first-step loss and tokens/s over the steps after the first (warm-up excluded).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "llmkit/autograd/backward.h"
#include "llmkit/autograd/functions.h"
#include "llmkit/base/allocator_tuning.h"
#include "llmkit/base/atomic_file.h"
#include "llmkit/base/context.h"
#include "llmkit/base/timer.h"
#include "llmkit/models/arch.h"
#include "llmkit/models/model_io.h"
#include "llmkit/optim/adamw.h"
#include "llmkit/optim/param_groups.h"

using namespace llmkit;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR [STEPS] [THREADS]\n", argv[0]);
    return 2;
  }
  tune_allocator_for_tensors();
  std::string out = argv[1];
  int steps = argc > 2 ? std::atoi(argv[2]) : 6;
  int threads = argc > 3 ? std::atoi(argv[3]) : 2;
  const int64_t B = 8, T = 256;
  try {
    models::ModelConfig c = models::preset(models::Arch::kGemma3, "small");
    c.n_layer = 4;
    c.n_vocab = 8192;
    c.n_ctx = 512;
    auto model = std::make_shared<models::TransformerLM>(c, 1234);
    std::filesystem::create_directories(out);
    models::save_model(*model, out + "/model");

    Generator gen(99);
    std::vector<int32_t> ids(B * (T + 1));
    for (auto& id : ids) id = static_cast<int32_t>(gen.next_bits() % c.n_vocab);
    Tensor all = from_ints(ids, {B, T + 1});
    Tensor inputs = contiguous(slice(all, 1, 0, T)), targets = contiguous(slice(all, 1, 1, T + 1));
    std::string bytes(reinterpret_cast<const char*>(inputs.data<int32_t>()), B * T * 4);
    bytes.append(reinterpret_cast<const char*>(targets.data<int32_t>()), B * T * 4);
    write_file_atomic(out + "/batch.bin", bytes);

    Context ctx(threads);
    Context::Scope scope(ctx);
    optim::AdamWOptions o;
    o.lr = 1e-3f;
    optim::AdamW opt(optim::decay_groups(*model, 0.0f), o);
    double first_loss = 0.0, timed = 0.0;
    for (int s = 0; s < steps; ++s) {
      Timer t;
      opt.zero_grad();
      Tensor loss = cross_entropy(model->forward(inputs), targets);
      if (s == 0) first_loss = loss.item();
      backward(loss);
      opt.step();
      if (s > 0) timed += t.seconds();
    }
    double tps = steps > 1 ? static_cast<double>(B * T * (steps - 1)) / timed : 0.0;
    std::printf(
        "{\"impl\": \"llmkit\", \"threads\": %d, \"steps\": %d, \"first_loss\": %.7f, "
        "\"tokens_per_s\": %.1f}\n",
        threads, steps, first_loss, tps);
  } catch (const Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
