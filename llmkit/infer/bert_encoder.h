// BertEncoder: sentence embeddings from a BERT-architecture GGUF (general.architecture "bert", as
// llama.cpp's convert_hf_to_gguf writes BERT / MiniLM / BGE models, and as llmkit exports its own
// embedder).
//
// File contract (llama.cpp's names; the prefix "bert." is general.architecture):
//   bert.context_length (n_ctx), .embedding_length (C), .feed_forward_length (F), .block_count,
//   .attention.head_count (H; C % H == 0, D = C / H), .attention.layer_norm_epsilon (default
//   1e-12), .pooling_type (0 none, 1 mean, 2 cls, 3 last; absent: mean).
//   token_embd.weight [V, C], position_embd.weight [P >= n_ctx, C],
//   token_types.weight [types, C] (optional; row 0 is added, as llama.cpp does),
//   token_embd_norm.weight / .bias [C];
//   per layer i (blk.i.): attn_q / attn_k / attn_v .weight [C, C] (or one attn_qkv [3C, C]) with
//   optional .bias, attn_output.weight [C, C] (+ optional bias), attn_output_norm.weight / .bias,
//   ffn_up.weight [F, C] (+ bias), ffn_down.weight [C, F] (+ bias), layer_output_norm.weight /
//   .bias. Matrices in F32, F16, BF16, Q8_0, Q4_0 are used as stored; other GGUF types
//   (Q4_K, Q6_K, ...) are dequantized to f32 at load.
//
// Forward (post-norm BERT) for one sequence of T ids at positions 0 .. T-1:
//   x = LN_emb(token_embd[id] + position_embd[t] + token_types[0])
//   per layer: a = softmax(Q K^T / sqrt(D)) V per head (bidirectional, every token sees all T)
//              x = LN_attn(x + a Wo^T + bo);  x = LN_out(x + GELU(x Wup^T + bup) Wdown^T + bdown)
//   pooled: mean over the T tokens, the first token ([CLS]) or the last; then L2-normalised.
//   LN(v) = (v - mean) / sqrt(var + eps) * w + b (biased variance). GELU is the exact erf form
//   (BERT's "gelu"; llmkit's nn::gelu default), or the tanh approximation llama.cpp's ggml_gelu
//   computes when BertEncoderOptions::gelu_tanh.
//
// Tokens: the tokenizer comes from the GGUF. A "bert" vocabulary is WordPiece
// (tokenizer/wordpiece_tokenizer.h) and a text becomes [CLS] ids [SEP]; any other vocabulary is
// read by tokenizer_from_gguf (SentencePiece "llama", byte-level BPE "gpt2") and a text becomes
// ids with BOS first when tokenizer.ggml.add_bos_token (default: the tokenizer's BOS policy), EOS
// last when .add_eos_token (default false), the separator (.seperator_token_id) last when
// .add_sep_token (default false): llama.cpp's rules, so its llama-embedding reads the same ids.
// A text longer than max_tokens (default n_ctx) keeps its special tokens and its first text tokens.
//
// Thread safety: immutable after load; embed() may be called from any number of threads (the
// encoder's thread pool runs one call's loops at a time).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "llmkit/base/context.h"
#include "llmkit/infer/weight_matrix.h"
#include "llmkit/io/gguf.h"
#include "llmkit/tokenizer/tokenizer.h"

namespace llmkit::infer {

// llama.cpp's LLAMA_POOLING_TYPE values.
enum class BertPooling { kNone = 0, kMean = 1, kCls = 2, kLast = 3 };
const char* bert_pooling_name(BertPooling pooling);  // "none", "mean", "cls", "last"

struct BertEncoderOptions {
  int n_threads = 1;                   // the encoder's own pool (<= 0: hardware threads)
  std::optional<BertPooling> pooling;  // overrides bert.pooling_type
  bool normalize = true;               // L2-normalise pooled vectors
  bool gelu_tanh = false;              // tanh-approximated GELU instead of the erf form
  int64_t max_tokens = 0;              // per text, special tokens included; 0: n_ctx
  int64_t batch_tokens = 4096;         // texts are packed into forward batches of about this many
};

struct BertConfig {
  std::string architecture = "bert";
  int64_t n_vocab = 0, n_ctx = 0, n_embd = 0, n_ff = 0, n_layer = 0, n_head = 0;
  float eps = 1e-12f;
  BertPooling pooling = BertPooling::kMean;  // from the file (or the override)
};

struct BertLayerWeights {
  WeightMatrix q, k, v, qkv, out, up, down;  // qkv defined instead of q/k/v for a fused file
  std::vector<float> q_b, k_b, v_b, qkv_b, out_b, up_b, down_b;  // empty: no bias
  std::vector<float> attn_norm_w, attn_norm_b, out_norm_w, out_norm_b;
};

class BertEncoder {
 public:
  // Errors: Error(kNotFound) for a missing file, key or tensor (naming it); Error(kUnsupported)
  // for another architecture, pooling type 4 (rank) or grouped-query attention;
  // Error(kCorruptData) for tensors of the wrong shape (naming the tensor, its shape and the
  // expected one) or inconsistent hyper-parameters; tokenizer errors as the loaders throw them.
  static std::shared_ptr<const BertEncoder> load(const std::string& path,
                                                 BertEncoderOptions options = {});

  const BertConfig& config() const { return config_; }
  const BertEncoderOptions& options() const { return options_; }
  const std::string& path() const { return path_; }
  int dim() const { return static_cast<int>(config_.n_embd); }
  const tokenizer::Tokenizer& tokenizer() const { return *tokenizer_; }
  std::shared_ptr<const tokenizer::Tokenizer> shared_tokenizer() const { return tokenizer_; }

  // The ids the model reads for text (specials added, cut to max_tokens; see above).
  std::vector<int32_t> tokenize(std::string_view text) const;

  // One pooled (and normalised, per options) vector of dim() floats per text, in order. Throws
  // Error(kInvalidArgument) when the pooling is none (use hidden_states).
  std::vector<std::vector<float>> embed(const std::vector<std::string>& texts) const;
  // The same for id sequences given as is (no specials added). Each must hold 1 .. n_ctx ids in
  // [0, n_vocab) (Error(kInvalidArgument) / Error(kOutOfRange) otherwise).
  std::vector<std::vector<float>> embed_ids(const std::vector<std::vector<int32_t>>& ids) const;
  // The last layer's output for one id sequence: [T, C] row-major.
  std::vector<float> hidden_states(const std::vector<int32_t>& ids) const;

 private:
  BertEncoder() = default;
  // Hidden states of several sequences packed one after another: [sum T, C].
  std::vector<float> forward(const std::vector<const std::vector<int32_t>*>& seqs) const;
  void check_ids(const std::vector<int32_t>& ids) const;

  std::string path_;
  BertConfig config_;
  BertEncoderOptions options_;
  std::shared_ptr<const io::GgufFile> file_;  // keeps the mapped weights alive
  std::shared_ptr<const tokenizer::Tokenizer> tokenizer_;
  int32_t prefix_id_ = -1, suffix_id_ = -1;  // added around every text; -1: none
  WeightMatrix token_embd_, position_embd_;
  std::vector<float> token_type0_;  // row 0 of token_types, or empty
  std::vector<float> embd_norm_w_, embd_norm_b_;
  std::vector<BertLayerWeights> layers_;
  std::unique_ptr<Context> context_;
};

}  // namespace llmkit::infer
