#include "llmkit/rag/embedder_loader.h"

#include <cstring>
#include <filesystem>
#include <fstream>

#include "llmkit/base/error.h"
#include "llmkit/chain/local_chat_model.h"
#include "llmkit/infer/bert_encoder.h"
#include "llmkit/infer/model.h"
#include "llmkit/io/gguf.h"
#include "llmkit/rag/encoder_embeddings.h"

namespace llmkit::rag {

bool is_bert_gguf(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return false;
  char magic[4] = {};
  std::ifstream in(path, std::ios::binary);
  if (!in.read(magic, 4) || std::memcmp(magic, "GGUF", 4) != 0) return false;
  const io::GgufFile file(path);
  const io::GgufValue* arch = file.find("general.architecture");
  return arch != nullptr && arch->as_string("general.architecture") == "bert";
}

LoadedEmbedder load_embedder(const EmbedderSpec& spec) {
  std::error_code ec;
  LLMKIT_CHECK_CODE(std::filesystem::exists(spec.path, ec), ErrorCode::kNotFound,
                    "embedding model '", spec.path,
                    "' does not exist; give a GGUF file, model folder or run folder");
  const std::string file_name = std::filesystem::path(spec.path).filename().string();
  LoadedEmbedder out;
  if (is_bert_gguf(spec.path)) {
    infer::BertEncoderOptions options;
    options.n_threads = spec.threads;
    if (spec.pooling == "mean") {
      options.pooling = infer::BertPooling::kMean;
    } else if (spec.pooling == "cls") {
      options.pooling = infer::BertPooling::kCls;
    } else if (spec.pooling == "last") {
      options.pooling = infer::BertPooling::kLast;
    } else {
      throw_error(ErrorCode::kInvalidArgument,
                  str_cat("unknown pooling '", spec.pooling, "'; use mean, cls or last"));
    }
    out.embeddings = EncoderEmbeddings::load(spec.path, options);
    out.kind = "bert";
  } else {
    chain::Pooling pooling = chain::Pooling::kMean;
    if (spec.pooling == "last") {
      pooling = chain::Pooling::kLast;
    } else if (spec.pooling != "mean") {
      throw_error(ErrorCode::kInvalidArgument,
                  str_cat("pooling '", spec.pooling, "' is not available for decoder model '",
                          spec.path, "'; use mean or last"));
    }
    infer::SessionOptions session;
    session.n_threads = spec.threads;
    out.embeddings = std::make_shared<chain::LocalEmbeddings>(infer::Model::load(spec.path),
                                                              pooling, true, session);
    out.kind = "decoder";
  }
  out.id = str_cat(out.kind, ":", file_name, ":", spec.pooling);
  return out;
}

}  // namespace llmkit::rag
