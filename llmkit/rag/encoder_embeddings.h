// EncoderEmbeddings: chain::Embeddings over a BERT-architecture GGUF encoder (infer::BertEncoder):
// pooled, L2-normalised sentence vectors (per the encoder's options). The default embedder of
// RAG indexes.
//
// Thread safety: embed() is const and may run concurrently (the encoder serialises its loops).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "llmkit/chain/chat_model.h"
#include "llmkit/infer/bert_encoder.h"

namespace llmkit::rag {

class EncoderEmbeddings : public chain::Embeddings {
 public:
  // Throws Error(kInvalidArgument) for a null encoder or one whose pooling is none.
  explicit EncoderEmbeddings(std::shared_ptr<const infer::BertEncoder> encoder);
  // Loads path with infer::BertEncoder::load (its errors).
  static std::shared_ptr<EncoderEmbeddings> load(const std::string& path,
                                                 infer::BertEncoderOptions options = {});

  // One vector of dim() floats per text, in order.
  std::vector<std::vector<float>> embed(const std::vector<std::string>& texts) const override;
  int dim() const override { return encoder_->dim(); }
  // "bert:<file name>:<pooling>", for caches keyed by embedder.
  std::string name() const;
  const infer::BertEncoder& encoder() const { return *encoder_; }

 private:
  std::shared_ptr<const infer::BertEncoder> encoder_;
};

}  // namespace llmkit::rag
