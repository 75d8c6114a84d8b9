// `llmkit quantize IN.gguf OUT.gguf --type q8_0|q4_0|q4_k|q6_k|f16|bf16|f32
// [--output-tensor-type T] [--token-embedding-type T] [-t N]`: rewrites a GGUF model that llmkit
// loads with its matrices in another type, keeping every metadata key (tokenizer included); the
// per-tensor type rules are llama-quantize's for pure types (models/gguf_quantize.h). The output
// is replaced atomically; a summary (tensors per type, sizes before and after) goes to stderr.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "cli/commands.h"
#include "llmkit/base/error.h"
#include "llmkit/base/logging.h"
#include "llmkit/base/timer.h"
#include "llmkit/io/gguf.h"
#include "llmkit/models/gguf_quantize.h"
#include "llmkit/models/model_file.h"

namespace llmkit::cli {
namespace {

namespace fs = std::filesystem;

struct QuantizeCommand {
  std::string in;
  std::string out;
  std::string type;
  std::string output_type;
  std::string token_embedding_type;
  int threads = 0;
};

io::GgmlType parse_type(const std::string& value, const char* option) {
  try {
    return io::parse_writable_ggml_type(value);
  } catch (const Error& e) {
    throw_error(ErrorCode::kInvalidArgument, str_cat("quantize: ", option, ": ", e.what()));
  }
}

// Errors for the paths before anything is read: a missing input, a folder or a file that is not
// GGUF (with the command that converts those), and an output that is the input.
void check_paths(const QuantizeCommand& c) {
  std::error_code ec;
  LLMKIT_CHECK_CODE(fs::exists(c.in, ec), ErrorCode::kNotFound, "quantize: input '", c.in,
                    "' does not exist");
  const char* convert_hint =
      "; quantize reads GGUF files (convert run, model or Hugging Face folders with `llmkit "
      "export --from IN --to OUT.gguf --type T`)";
  LLMKIT_CHECK(!fs::is_directory(c.in, ec), "quantize: input '", c.in, "' is a folder",
               convert_hint);
  char magic[4] = {};
  std::ifstream f(c.in, std::ios::binary);
  f.read(magic, 4);
  LLMKIT_CHECK_CODE(f.gcount() == 4 && std::string(magic, 4) == "GGUF", ErrorCode::kCorruptData,
                    "quantize: input '", c.in, "' is not a GGUF file (it does not start with ",
                    "\"GGUF\")", convert_hint);
  const bool same = fs::exists(c.out, ec)
                        ? fs::equivalent(c.in, c.out, ec)
                        : fs::weakly_canonical(c.in, ec) == fs::weakly_canonical(c.out, ec);
  LLMKIT_CHECK(!same, "quantize: the output '", c.out,
               "' is the input file; write to another path");
}

void run_quantize(const QuantizeCommand& c) {
  Timer timer;
  models::QuantizeOptions options;
  options.type = parse_type(c.type, "--type");
  if (!c.output_type.empty()) {
    options.output_type = parse_type(c.output_type, "--output-tensor-type");
  }
  if (!c.token_embedding_type.empty()) {
    options.token_embedding_type = parse_type(c.token_embedding_type, "--token-embedding-type");
  }
  options.n_threads = c.threads > 0
                          ? c.threads
                          : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  check_paths(c);

  const io::GgufFile in(c.in);
  // Only models llmkit loads: the config check names an unknown architecture or bad metadata.
  const models::ModelConfig config = models::config_from_gguf(in);
  io::GgufWriter writer;
  const models::QuantizeSummary s = models::quantize_gguf(in, options, writer);
  if (s.requantized > 0) {
    LLMKIT_LOG(kWarn, "quantize: ", s.requantized, " tensors of '", c.in,
               "' were already quantized and were converted again (errors add up; quantize from "
               "an f32/f16/bf16 file where possible)");
  }
  writer.write(c.out);

  std::string per_type;
  for (const auto& [type, n] : s.tensors_per_type) {
    per_type += str_cat(per_type.empty() ? "" : ", ", io::ggml_type_name(type), " x", n);
  }
  std::fprintf(stderr,
               "quantize: %s (%s, %zu tensors) -> %s (%s)\n"
               "  tensors: %s; %d converted, %d fallbacks (rows not a multiple of the block)\n"
               "  tensor data %.2f MiB -> %.2f MiB, file %.2f MiB, %.1f s\n",
               c.in.c_str(), models::arch_name(config.arch), in.tensors().size(), c.out.c_str(),
               io::ggml_type_name(options.type), per_type.c_str(), s.converted, s.fallbacks,
               static_cast<double>(s.bytes_before) / 1048576.0,
               static_cast<double>(s.bytes_after) / 1048576.0,
               static_cast<double>(fs::file_size(c.out)) / 1048576.0, timer.seconds());
}

void register_quantize(CLI::App& app) {
  auto c = std::make_shared<QuantizeCommand>();
  CLI::App* cmd = app.add_subcommand(
      "quantize", "Rewrite a GGUF model with its weight matrices in another type");
  cmd->add_option("input", c->in, "GGUF file to read")->required();
  cmd->add_option("output", c->out, "GGUF file to write")->required();
  cmd->add_option("--type", c->type, "matrix type: q8_0, q4_0, q4_k, q6_k, f16, bf16, f32")
      ->required();
  cmd->add_option("--output-tensor-type", c->output_type,
                  "type of output.weight (and of token_embd.weight when the embeddings are tied); "
                  "default: q6_k for q4_0/q4_k/q6_k, else --type");
  cmd->add_option("--token-embedding-type", c->token_embedding_type,
                  "type of token_embd.weight (default: --type; with tied embeddings the output's)");
  cmd->add_option("-t,--threads", c->threads, "threads converting rows (0 = all hardware threads)")
      ->capture_default_str();
  cmd->callback([c] { run_quantize(*c); });
}

}  // namespace

LLMKIT_REGISTER_COMMAND(460, register_quantize)

}  // namespace llmkit::cli
