// The full path a user takes: a model (random weights of each architecture) with its tokenizer is
// exported to GGUF the way `llmkit export` does it (weights + vocabulary), loaded back through
// Model::load (config, weights and tokenizer all from the file), and generates greedily. The
// tokens must be exactly those the in-memory model generates for F32; for Q8_0 the first token
// (from the prefill) must equal the in-memory model's on the same rounded weights.
#include <gtest/gtest.h>

#include "llmkit/infer/generator.h"
#include "llmkit/io/quantize.h"
#include "llmkit/models/model_file.h"
#include "llmkit/tensor/view.h"
#include "llmkit/tokenizer/gguf_vocab.h"
#include "tests/infer/generate_test_util.h"

namespace llmkit::infer {
namespace {

using models::Arch;

GenerateStats greedy(std::shared_ptr<const Model> model, const std::string& prompt_text) {
  SessionOptions so;
  so.n_ctx = 64;
  Session session(model, so);
  const tokenizer::Tokenizer& tok = model->require_tokenizer();
  std::vector<int32_t> prompt{tok.bos_id()};
  for (int32_t id : tok.encode(prompt_text)) prompt.push_back(id);
  GenerateOptions o;
  o.max_tokens = 12;
  o.stop_tokens = std::vector<int32_t>{};  // a random model: run to max_tokens
  o.sampler.temperature = 0.0f;
  return generate(session, prompt, o, {});
}

// The weights rounded through `type` and back, as the GGUF file will hold them.
io::NamedTensorList rounded(const io::NamedTensorList& weights, io::GgmlType type) {
  io::NamedTensorList out;
  for (const auto& [name, t] : weights) {
    Tensor c = ops::contiguous(t);
    if (c.dim() == 2 && type != io::GgmlType::kF32) {
      const int64_t cols = c.size(1);
      std::string bytes(io::ggml_row_bytes(type, cols), '\0');
      Tensor r = Tensor::empty(c.shape(), DType::kF32);
      for (int64_t i = 0; i < c.size(0); ++i) {
        io::quantize_row(type, c.data<float>() + i * cols, bytes.data(), cols);
        io::dequantize_row(type, bytes.data(), r.data<float>() + i * cols, cols);
      }
      c = r;
    }
    out.emplace_back(name, c);
  }
  return out;
}

class ExportGenerate : public ::testing::TestWithParam<Arch> {};

TEST_P(ExportGenerate, ExportedGgufWithVocabularyLoadsAndGeneratesTheSameTokens) {
  const testing::TinyModel tiny = testing::tiny_model(GetParam(), 5);
  auto tok = testing::chat_tokenizer();
  const io::NamedTensorList weights = tiny.lm->named_parameters();
  tokenizer::testing::TempDir dir;
  for (io::GgmlType type : {io::GgmlType::kF32, io::GgmlType::kQ8_0}) {
    const std::string path = dir.file(std::string(io::ggml_type_name(type)) + ".gguf");
    io::GgufWriter writer;
    models::ExportOptions eo;
    eo.type = type;
    models::add_model_to_gguf(tiny.lm->config(), weights, eo, writer);
    tokenizer::add_vocab_to_gguf(*tok, writer);
    writer.write(path);

    auto loaded = Model::load(path);
    ASSERT_NE(loaded->tokenizer(), nullptr);
    EXPECT_EQ(loaded->tokenizer()->n_vocab(), tok->n_vocab());
    auto reference = Model::from_weights(tiny.lm->config(), rounded(weights, type), tok);

    const std::string prompt = "the quick brown fox";
    const GenerateStats got = greedy(loaded, prompt);
    const GenerateStats want = greedy(reference, prompt);
    EXPECT_EQ(got.generated_tokens, 12);
    EXPECT_EQ(got.stop_reason, "max tokens");
    ASSERT_EQ(got.tokens.size(), want.tokens.size());
    // The first token comes from the prefill, which multiplies with the stored weights exactly.
    // Later ones come from single-token decode, whose Q8_0 kernels also round the activations
    // to Q8_0 (as llama.cpp does), so only F32 must match token for token.
    EXPECT_EQ(got.tokens[0], want.tokens[0]) << io::ggml_type_name(type);
    if (type == io::GgmlType::kF32) {
      EXPECT_EQ(got.tokens, want.tokens);
      EXPECT_EQ(got.text, want.text);
    }
    EXPECT_EQ(got.text, tok->decode(got.tokens));
  }
}

INSTANTIATE_TEST_SUITE_P(Archs, ExportGenerate,
                         ::testing::Values(Arch::kGemma, Arch::kGemma2, Arch::kGemma3,
                                           Arch::kLlama),
                         [](const auto& info) {
                           return std::string(models::arch_name(info.param));
                         });

}  // namespace
}  // namespace llmkit::infer
