// Loading the embedder of a RAG index from a model file: a BERT-architecture GGUF becomes
// EncoderEmbeddings (infer::BertEncoder); any other model the engine loads (GGUF decoder, model
// or run folder) becomes chain::LocalEmbeddings over its final hidden states (mean or last-token
// pooling). The id names the model and its settings in the index and the embedding cache.
#pragma once

#include <memory>
#include <string>

#include "llmkit/chain/chat_model.h"

namespace llmkit::rag {

struct EmbedderSpec {
  std::string path;              // GGUF file, model folder or run folder
  std::string pooling = "mean";  // "mean", "cls" (BERT only), "last"
  int threads = 1;
};

struct LoadedEmbedder {
  std::shared_ptr<const chain::Embeddings> embeddings;
  std::string id;    // "bert:<file name>:<pooling>" or "decoder:<file name>:<pooling>"
  std::string kind;  // "bert" or "decoder"
};

// True when path is a GGUF file whose general.architecture is "bert".
bool is_bert_gguf(const std::string& path);

// Throws Error(kNotFound) for a missing path, Error(kInvalidArgument) for an unknown pooling or
// one the model kind cannot do; the loaders' errors otherwise.
LoadedEmbedder load_embedder(const EmbedderSpec& spec);

}  // namespace llmkit::rag
