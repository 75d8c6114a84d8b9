// Shared by the generation tests: a small SentencePiece tokenizer trained once per program on
// generated text (with the Gemma and Llama 3 chat tokens as user-defined symbols) and a tiny
// random-weight model of any architecture using it.
#pragma once

#include <memory>

#include "llmkit/infer/model.h"
#include "llmkit/models/arch.h"
#include "llmkit/models/transformer_lm.h"
#include "llmkit/tokenizer/sentencepiece_tokenizer.h"
#include "llmkit/tokenizer/trainer.h"
#include "tests/tokenizer/tokenizer_test_util.h"

namespace llmkit::infer::testing {

// Trained once per program: BPE, vocabulary 400, ids 0 <pad> 1 <eos> 2 <bos> 3 <unk>, then the
// five chat tokens.
inline std::shared_ptr<const tokenizer::SentencePieceTokenizer> chat_tokenizer() {
  static std::shared_ptr<const tokenizer::SentencePieceTokenizer> tok = [] {
    tokenizer::testing::TempDir dir;
    const std::string corpus = dir.file("corpus.txt");
    tokenizer::testing::write_text(corpus, tokenizer::testing::make_corpus(300, 11));
    tokenizer::TokenizerTrainOptions o;
    o.inputs = {corpus};
    o.vocab_size = 400;
    o.user_defined_symbols = {"<start_of_turn>", "<end_of_turn>", "<|start_header_id|>",
                              "<|end_header_id|>", "<|eot_id|>"};
    o.num_threads = 1;
    const std::string path = dir.file("tok.model");
    tokenizer::train_sentencepiece(o, path);
    return std::make_shared<const tokenizer::SentencePieceTokenizer>(
        tokenizer::SentencePieceTokenizer::load(path));
  }();
  return tok;
}

struct TinyModel {
  std::shared_ptr<models::TransformerLM> lm;  // the training path, for reference logits
  std::shared_ptr<const Model> model;         // the same weights for inference
};

// The "tiny" preset of arch with the test tokenizer's vocabulary and special ids and random
// weights drawn from seed.
inline TinyModel tiny_model(models::Arch arch, uint64_t seed = 1) {
  auto tok = chat_tokenizer();
  models::ModelConfig c = models::preset(arch, "tiny");
  c.n_vocab = tok->n_vocab();
  c.bos_id = tok->bos_id();
  c.eos_id = tok->eos_id();
  c.pad_id = tok->pad_id();
  c.init_std = 0.1f;  // larger than the default: varied (not one repeated) greedy text
  auto lm = std::make_shared<models::TransformerLM>(c, seed);
  lm->eval();
  return {lm, Model::from_weights(lm->config(), lm->named_parameters(), tok)};
}

}  // namespace llmkit::infer::testing
