// `llmkit init`: writes a randomly initialised model folder (config.json + model.safetensors) for
// an architecture preset.
//
//   llmkit init --arch gemma3 --preset small --out DIR [--seed S] [--vocab N] [--dtype f32|bf16]
//
// Weights are drawn tensor by tensor (models::random_weights: the same values TransformerLM would
// draw with that seed) and stored in the chosen dtype, so peak memory is about the file size plus
// one f32 tensor. Before drawing anything the command estimates that peak and refuses, with the
// numbers, when it exceeds the memory available (MemAvailable in /proc/meminfo) or --max-memory-gb
// (default 12): gemma-2b needs ~10.0 GB in f32 and ~7.1 GB in bf16. Existing model files in DIR are
// not overwritten without --force.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "llmkit/base/context.h"
#include "llmkit/base/error.h"
#include "llmkit/base/progress_bar.h"
#include "llmkit/base/timer.h"
#include "llmkit/models/arch.h"
#include "llmkit/models/model_io.h"
#include "llmkit/models/tensor_names.h"

namespace llmkit::cli {
namespace {

struct InitOptions {
  std::string arch;
  std::string preset;
  std::string out;
  uint64_t seed = 0;
  int64_t vocab = 0;  // 0: the preset's
  std::string dtype = "f32";
  int threads = 2;
  double max_memory_gb = 12.0;
  bool force = false;
};

// MemAvailable from /proc/meminfo in bytes, or -1 when unknown.
double available_memory_bytes() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  double kb = 0;
  std::string unit;
  while (in >> key >> kb >> unit) {
    if (key == "MemAvailable:") return kb * 1024.0;
  }
  return -1.0;
}

std::string gb(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f GB", bytes / 1e9);
  return buf;
}

void run_init(const InitOptions& o) {
  const models::Arch arch = models::parse_arch(o.arch);
  models::ModelConfig config = models::preset(arch, o.preset);
  if (o.vocab > 0) config.n_vocab = o.vocab;
  models::validate(config, o.vocab > 0
                               ? str_cat(o.arch, " preset '", o.preset, "' with --vocab ", o.vocab)
                               : std::string());
  LLMKIT_CHECK(o.dtype == "f32" || o.dtype == "bf16", "--dtype must be f32 or bf16, got '", o.dtype,
               "'");
  const DType dtype = o.dtype == "bf16" ? DType::kBF16 : DType::kF32;

  namespace fs = std::filesystem;
  for (const char* file : {models::kConfigFile, models::kWeightsFile}) {
    const fs::path path = fs::path(o.out) / file;
    LLMKIT_CHECK(o.force || !fs::exists(path), "'", path.string(),
                 "' already exists; pass --force to overwrite it");
  }

  // Peak memory: the weights in their dtype, plus (bf16) the largest tensor drawn in f32 before
  // its conversion. An f32 draw is stored as drawn.
  const int64_t n_params = models::parameter_count(config);
  int64_t largest = 0;
  for (const models::TensorSpec& s : models::tensor_specs(config)) {
    largest = std::max(largest, shape_numel(s.shape));
  }
  const double need = static_cast<double>(n_params) * dtype_size(dtype) +
                      (dtype == DType::kF32 ? 0.0 : static_cast<double>(largest) * 4);
  const double limit_cap = o.max_memory_gb * 1e9;
  const double available = available_memory_bytes();
  LLMKIT_CHECK_CODE(need <= limit_cap, ErrorCode::kUnsupported, o.preset, " in ", o.dtype,
                    " needs about ", gb(need), " of memory, above --max-memory-gb ",
                    o.max_memory_gb, dtype == DType::kF32 ? "; try --dtype bf16" : "");
  LLMKIT_CHECK_CODE(available < 0 || need <= 0.9 * available, ErrorCode::kUnsupported, o.preset,
                    " in ", o.dtype, " needs about ", gb(need), " of memory but only ",
                    gb(available), " is available",
                    dtype == DType::kF32 ? "; try --dtype bf16" : "");

  std::string description;
  for (const models::NamedPreset& p : models::arch_traits(arch).presets()) {
    if (p.name == o.preset) description = p.description;
  }
  std::fprintf(stderr, "llmkit init: %s preset '%s' (%s)\n%s", models::arch_name(arch),
               o.preset.c_str(), description.c_str(), models::describe_config(config).c_str());
  Context ctx(o.threads);
  Context::Scope scope(ctx);
  Timer timer;
  Generator gen(o.seed);
  io::NamedTensorList weights;
  {
    ProgressBar bar("init", n_params, "params");
    weights = models::random_weights(config, gen, dtype, [&](int64_t done) { bar.update(done); });
    bar.finish();
  }
  models::save_model_weights(config, weights, o.out);
  const double bytes = static_cast<double>(n_params) * dtype_size(dtype);
  std::printf("wrote %s: %s %s, %lld parameters (%s, %s) in %.1f s\n", o.out.c_str(),
              models::arch_name(arch), o.preset.c_str(), static_cast<long long>(n_params),
              o.dtype.c_str(), gb(bytes).c_str(), timer.seconds());
}

}  // namespace

void register_init(CLI::App& app) {
  auto opts = std::make_shared<InitOptions>();
  auto* cmd = app.add_subcommand("init", "Write a randomly initialised model folder");
  cmd->add_option("--arch", opts->arch, "architecture: gemma, gemma2, gemma3, llama")->required();
  cmd->add_option("--preset", opts->preset,
                  "tiny, small, base, or a real shape (gemma-2b, gemma2-2b, gemma3-270m, llama-1b)")
      ->required();
  cmd->add_option("--out", opts->out, "model folder to write")->required();
  cmd->add_option("--seed", opts->seed, "random seed");
  cmd->add_option("--vocab", opts->vocab, "vocabulary size (default: the preset's)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 30));
  cmd->add_option("--dtype", opts->dtype, "weight dtype in the file: f32 or bf16");
  cmd->add_option("--threads", opts->threads, "threads")->check(CLI::Range(1, 256));
  cmd->add_option("--max-memory-gb", opts->max_memory_gb, "refuse above this estimated peak")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--force", opts->force, "overwrite an existing model in --out");
  cmd->callback([opts] { run_init(*opts); });
}

LLMKIT_REGISTER_COMMAND(100, register_init)

}  // namespace llmkit::cli
