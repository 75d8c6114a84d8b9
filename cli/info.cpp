// `llmkit info -m MODEL [--ctx N]`: what a model file holds: format, architecture and every config
// field, tokenizer, each tensor's shape and type, and the memory an inference setup would take.
#include <cstdio>
#include <map>

#include "cli/commands.h"
#include "cli/model_args.h"
#include "llmkit/models/model_file.h"
#include "llmkit/models/tensor_names.h"

namespace llmkit::cli {
namespace {

struct InfoCommand {
  ModelArgs model;
  bool tensors = false;
};

void run_info(const InfoCommand& c) {
  models::ModelFile file = models::open_model_file(c.model.model);
  std::printf("file:      %s\nformat:    %s\n", file.path.c_str(), file.format.c_str());
  std::printf("arch:      %s\nparams:    %lld\n", models::arch_name(file.config.arch),
              static_cast<long long>(models::parameter_count(file.config)));
  std::printf("\nconfig:\n%s\n", models::describe_config(file.config).c_str());
  std::map<std::string, int64_t> type_counts;
  int64_t bytes = 0;
  for (const auto& [name, w] : file.weights) {
    type_counts[io::ggml_type_name(w.type)] += 1;
    bytes += w.n_bytes();
  }
  std::printf("weights:   %zu tensors, %.2f MiB (", file.weights.size(), bytes / 1048576.0);
  bool first = true;
  for (const auto& [type, n] : type_counts) {
    std::printf("%s%s x%lld", first ? "" : ", ", type.c_str(), static_cast<long long>(n));
    first = false;
  }
  std::printf(")\n");
  if (c.tensors) {
    for (const auto& [name, w] : file.weights) {
      std::printf("  %-36s %-6s %s\n", name.c_str(), io::ggml_type_name(w.type),
                  shape_to_string(w.shape).c_str());
    }
  }
  auto model = infer::Model::load(c.model.model);  // with its tokenizer
  if (const tokenizer::Tokenizer* tok = model->tokenizer()) {
    std::printf("tokenizer: %d tokens, bos %d, eos %d, pad %d, unk %d\n", tok->n_vocab(),
                tok->bos_id(), tok->eos_id(), tok->pad_id(), tok->unk_id());
  } else {
    std::printf("tokenizer: none\n");
  }
  const infer::SessionOptions so = session_options(*model, c.model);
  const infer::MemoryReport m = model->memory(so.n_ctx, so.n_batch, so.n_threads, so.kv_type);
  std::printf("memory:    weights %.1f MiB, KV cache %.1f MiB (ctx %lld), buffers %.1f MiB\n",
              m.weights / 1048576.0, m.kv_cache / 1048576.0, static_cast<long long>(so.n_ctx),
              m.activations / 1048576.0);
}

void register_info(CLI::App& app) {
  auto c = std::make_shared<InfoCommand>();
  CLI::App* cmd = app.add_subcommand("info", "architecture, shapes, types and memory of a model");
  add_model_args(*cmd, c->model);
  cmd->add_flag("--tensors", c->tensors, "list every tensor");
  cmd->callback([c] { run_info(*c); });
}

}  // namespace

LLMKIT_REGISTER_COMMAND(670, register_info)

}  // namespace llmkit::cli
