#include "llmkit/rag/encoder_embeddings.h"

#include <filesystem>

#include "llmkit/base/error.h"

namespace llmkit::rag {

EncoderEmbeddings::EncoderEmbeddings(std::shared_ptr<const infer::BertEncoder> encoder)
    : encoder_(std::move(encoder)) {
  LLMKIT_CHECK(encoder_ != nullptr, "EncoderEmbeddings: no encoder given");
  LLMKIT_CHECK(encoder_->config().pooling != infer::BertPooling::kNone,
               "EncoderEmbeddings: ", encoder_->path(),
               " has pooling type none; load it with a pooling override");
}

std::shared_ptr<EncoderEmbeddings> EncoderEmbeddings::load(const std::string& path,
                                                           infer::BertEncoderOptions options) {
  return std::make_shared<EncoderEmbeddings>(infer::BertEncoder::load(path, options));
}

std::vector<std::vector<float>> EncoderEmbeddings::embed(
    const std::vector<std::string>& texts) const {
  return encoder_->embed(texts);
}

std::string EncoderEmbeddings::name() const {
  return "bert:" + std::filesystem::path(encoder_->path()).filename().string() + ":" +
         infer::bert_pooling_name(encoder_->config().pooling);
}

}  // namespace llmkit::rag
