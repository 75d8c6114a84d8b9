// `llmkit export --from runs/NAME|MODEL_DIR|MODEL.gguf --to OUT.gguf [--type
// f32|f16|bf16|q8_0|q4_0|q4_k|q6_k]
// [--name NAME]`: writes a GGUF file that llama.cpp loads (models::add_model_to_gguf for the
// weights and metadata, tokenizer::add_vocab_to_gguf for the vocabulary).
//
// The tokenizer comes from the folder's tokenizer.model (a run: its checkpoint's copy, else the
// run folder's); a GGUF source keeps its tokenizer.* metadata as is (so --from a GGUF re-exports
// it with another weight type). Matrices are written in --type (f16 where a row length is not a
// multiple of the type's block), norms in f32. The file is replaced atomically; a summary goes to
// stderr.
#include <cstdio>
#include <filesystem>

#include "cli/commands.h"
#include "llmkit/base/error.h"
#include "llmkit/base/logging.h"
#include "llmkit/base/timer.h"
#include "llmkit/io/gguf.h"
#include "llmkit/models/model_file.h"
#include "llmkit/models/tensor_names.h"
#include "llmkit/tokenizer/gguf_vocab.h"

namespace llmkit::cli {
namespace {

struct ExportCommand {
  std::string from;
  std::string to;
  std::string type = "f32";
  std::string name;
  bool pad_vocab = false;
};

// The weight as a tensor: zero-copy for f32 / f16 / bf16 (borrowing the file), else dequantized.
Tensor weight_tensor(const models::WeightData& w) {
  DType dtype;
  switch (w.type) {
    case io::GgmlType::kF32:
      dtype = DType::kF32;
      break;
    case io::GgmlType::kF16:
      dtype = DType::kF16;
      break;
    case io::GgmlType::kBF16:
      dtype = DType::kBF16;
      break;
    default:
      return w.to_f32();
  }
  auto storage = Storage::borrow(const_cast<void*>(w.data), static_cast<size_t>(w.n_bytes()),
                                 std::const_pointer_cast<void>(w.owner));
  return Tensor::from_storage(storage, w.shape, contiguous_strides(w.shape), 0, dtype);
}

std::string default_name(const std::string& from) {
  std::filesystem::path p(from);
  if (p.filename().empty()) p = p.parent_path();
  return p.stem().string();
}

void run_export(const ExportCommand& c) {
  Timer timer;
  models::ExportOptions options;
  options.type = io::parse_writable_ggml_type(c.type);
  options.name = c.name.empty() ? default_name(c.from) : c.name;
  const models::ModelFile mf = models::open_model_file(c.from);
  const models::ModelConfig& config = mf.config;

  io::NamedTensorList weights;
  for (const models::TensorSpec& s : models::tensor_specs(config)) {
    weights.emplace_back(s.name, weight_tensor(mf.weights.at(s.name)));
  }
  io::GgufWriter writer;
  models::add_model_to_gguf(config, weights, options, writer);

  std::string vocab_source;
  if (mf.gguf != nullptr) {
    int copied = 0;
    for (const auto& [key, value] : mf.gguf->metadata()) {
      if (key.starts_with("tokenizer.")) {
        writer.set(key, value);
        ++copied;
      }
    }
    LLMKIT_CHECK_CODE(copied > 0, ErrorCode::kNotFound, "export: '", c.from,
                      "' has no tokenizer metadata to carry over");
    vocab_source = "tokenizer metadata of " + c.from;
  } else {
    LLMKIT_CHECK_CODE(!mf.tokenizer_model_path.empty(), ErrorCode::kNotFound, "export: no ",
                      "tokenizer.model in '", c.from, "' (looked for '",
                      (std::filesystem::path(c.from) / "tokenizer.model").string(),
                      "' and, for a run, in its checkpoint); llama.cpp needs the vocabulary");
    const auto tok = tokenizer::SentencePieceTokenizer::load(mf.tokenizer_model_path);
    LLMKIT_CHECK(tok.n_vocab() == config.n_vocab || (c.pad_vocab && tok.n_vocab() < config.n_vocab),
                 "export: the tokenizer '", mf.tokenizer_model_path, "' has ", tok.n_vocab(),
                 " tokens but the model's vocabulary (token_embd.weight rows) is ", config.n_vocab,
                 "; llama.cpp needs them equal (--pad-vocab fills a smaller tokenizer with unused "
                 "pieces)");
    const std::pair<int64_t, int32_t> ids[] = {{config.bos_id, tok.bos_id()},
                                               {config.eos_id, tok.eos_id()}};
    for (const auto& [model_id, tok_id] : ids) {
      if (model_id >= 0 && model_id != tok_id) {
        LLMKIT_LOG(kWarn, "export: the config's special token ", model_id,
                   " differs from the tokenizer's ", tok_id, "; the tokenizer's is written");
      }
    }
    tokenizer::add_vocab_to_gguf(tok, writer, c.pad_vocab ? config.n_vocab : 0);
    vocab_source = mf.tokenizer_model_path;
    // The folder's chat template goes with the vocabulary, as llama.cpp's converter writes it.
    if (!mf.chat_template.empty()) {
      writer.set("tokenizer.chat_template", io::GgufValue::string(mf.chat_template));
    }
  }
  writer.write(c.to);
  const double mib = static_cast<double>(std::filesystem::file_size(c.to)) / (1024.0 * 1024.0);
  std::fprintf(stderr,
               "export: %s (%s, %s, %lld layers, %lld parameters) -> %s\n"
               "  weights %s (norms f32), %zu tensors, %.1f MiB, vocabulary from %s, %.1f s\n",
               c.from.c_str(), mf.format.c_str(), models::arch_name(config.arch),
               static_cast<long long>(config.n_layer),
               static_cast<long long>(models::parameter_count(config)), c.to.c_str(),
               io::ggml_type_name(options.type), writer.tensor_count(), mib, vocab_source.c_str(),
               timer.seconds());
}

void register_export(CLI::App& app) {
  auto c = std::make_shared<ExportCommand>();
  CLI::App* cmd = app.add_subcommand("export", "Write a model as a GGUF file for llama.cpp");
  cmd->add_option("--from", c->from, "run folder (runs/NAME), model folder or GGUF file")
      ->required();
  cmd->add_option("--to", c->to, "GGUF file to write")->required();
  cmd->add_option("--type", c->type, "matrix type: f32, f16, bf16, q8_0, q4_0, q4_k, q6_k")
      ->capture_default_str();
  cmd->add_option("--name", c->name, "general.name (default: the source's name)");
  cmd->add_flag("--pad-vocab", c->pad_vocab,
                "pad a tokenizer smaller than the model's vocabulary with unused pieces (random "
                "benchmark models)");
  cmd->callback([c] { run_export(*c); });
}

}  // namespace

LLMKIT_REGISTER_COMMAND(450, register_export)

}  // namespace llmkit::cli
