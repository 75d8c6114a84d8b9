#include "cli/model_args.h"

#include <fstream>
#include <sstream>

#include <algorithm>
#include <cstdio>
#include <thread>

#include "llmkit/base/atomic_file.h"
#include "llmkit/base/error.h"

namespace llmkit::cli {

void add_model_args(CLI::App& command, ModelArgs& args, bool with_ctx) {
  command.add_option("-m,--model", args.model, "GGUF file, model folder or run folder")->required();
  command.add_option("-t,--threads", args.threads, "threads (0: all hardware threads)")
      ->check(CLI::NonNegativeNumber);
  if (with_ctx) {
    command.add_option("-c,--ctx", args.ctx, "context length in tokens (0: min(model, 4096))")
        ->check(CLI::NonNegativeNumber);
    command.add_option("-b,--batch", args.batch, "most tokens per forward step")
        ->check(CLI::PositiveNumber);
    add_cache_type_option(command, args);
  }
}

void add_cache_type_option(CLI::App& command, ModelArgs& args) {
  command
      .add_option("--cache-type", args.cache_type,
                  "KV cache element type: f32 (exact, fastest prefill) or f16 (half the memory, "
                  "llama.cpp's default)")
      ->check(CLI::IsMember({"f16", "f32"}))
      ->capture_default_str();
}

int resolve_threads(const ModelArgs& args) {
  if (args.threads > 0) return args.threads;
  return std::max(1u, std::thread::hardware_concurrency());
}

infer::SessionOptions session_options(const infer::Model& model, const ModelArgs& args) {
  infer::SessionOptions o;
  const int64_t model_ctx = model.config().n_ctx;
  o.n_ctx = args.ctx > 0 ? args.ctx : std::min<int64_t>(model_ctx, 4096);
  LLMKIT_CHECK(o.n_ctx <= model_ctx, "--ctx ", args.ctx, " exceeds the model's context length ",
               model_ctx, "; pass a value up to ", model_ctx);
  o.n_batch = std::min(args.batch, o.n_ctx);
  o.n_threads = resolve_threads(args);
  o.kv_type = infer::parse_kv_type(args.cache_type);
  return o;
}

std::shared_ptr<const infer::Model> load_model_for_inference(const ModelArgs& args) {
  auto model = infer::Model::load(args.model);
  const infer::SessionOptions o = session_options(*model, args);
  const infer::MemoryReport m = model->memory(o.n_ctx, o.n_batch, o.n_threads, o.kv_type);
  constexpr double kMiB = 1024.0 * 1024.0;
  const models::ModelConfig& c = model->config();
  std::fprintf(stderr,
               "model: %s (%s, %lld layers, n_embd %lld, vocab %lld, %s)\n"
               "memory: weights %.1f MiB + KV cache %.1f MiB (ctx %lld) + buffers %.1f MiB = "
               "%.1f MiB\n",
               args.model.c_str(), models::arch_name(c.arch), static_cast<long long>(c.n_layer),
               static_cast<long long>(c.n_embd), static_cast<long long>(c.n_vocab),
               model->weight_type_name().c_str(), m.weights / kMiB, m.kv_cache / kMiB,
               static_cast<long long>(o.n_ctx), m.activations / kMiB, m.total() / kMiB);
  return model;
}

std::string read_chat_template(const std::string& path) {
  return path.empty() ? "" : read_file(path);
}

}  // namespace llmkit::cli
