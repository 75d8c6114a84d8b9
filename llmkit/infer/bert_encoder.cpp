// BertEncoder: loading, tokens and pooling (see bert_encoder.h); the forward pass is in
// bert_forward.cpp.
#include "llmkit/infer/bert_encoder.h"

#include <algorithm>
#include <cmath>

#include "llmkit/base/error.h"
#include "llmkit/tokenizer/gguf_vocab.h"
#include "llmkit/tokenizer/wordpiece_tokenizer.h"

namespace llmkit::infer {
namespace {

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// Reads tensors of one file with shape checks; names in messages.
class TensorReader {
 public:
  explicit TensorReader(std::shared_ptr<const io::GgufFile> file) : file_(std::move(file)) {}

  bool has(const std::string& name) const { return file_->find_tensor(name) != nullptr; }

  // Row-major shape of the tensor (ne reversed).
  std::vector<int64_t> shape(const std::string& name) const {
    const io::GgufTensorInfo& info = file_->tensor_info(name);
    return std::vector<int64_t>(info.ne.rbegin(), info.ne.rend());
  }

  void expect(const std::string& name, const std::vector<int64_t>& want) const {
    const std::vector<int64_t> got = shape(name);
    LLMKIT_CHECK_CODE(got == want, ErrorCode::kCorruptData, file_->path(), ": tensor '", name,
                      "' has shape ", shape_string(got), "; expected ", shape_string(want));
  }

  // A matrix [rows, cols]: zero-copy for the types the kernels use, else dequantized.
  WeightMatrix matrix(const std::string& name, int64_t rows, int64_t cols) const {
    expect(name, {rows, cols});
    const io::GgufTensorInfo& info = file_->tensor_info(name);
    if (WeightMatrix::supports(info.type)) {
      return WeightMatrix(info.type, rows, cols, info.data, file_->mapping());
    }
    const std::vector<float> values = file_->tensor(name).to_vector();
    return WeightMatrix::from_f32(values.data(), rows, cols);
  }

  // A matrix whose row count is read from the file (checked >= min_rows).
  WeightMatrix matrix_min_rows(const std::string& name, int64_t min_rows, int64_t cols) const {
    const std::vector<int64_t> s = shape(name);
    LLMKIT_CHECK_CODE(s.size() == 2 && s[0] >= min_rows && s[1] == cols, ErrorCode::kCorruptData,
                      file_->path(), ": tensor '", name, "' has shape ", shape_string(s),
                      "; expected [>= ", min_rows, ", ", cols, "]");
    return matrix(name, s[0], cols);
  }

  std::vector<float> vector(const std::string& name, int64_t n) const {
    expect(name, {n});
    return file_->tensor(name).to_vector();
  }
  std::vector<float> optional_vector(const std::string& name, int64_t n) const {
    return has(name) ? vector(name, n) : std::vector<float>();
  }

 private:
  std::shared_ptr<const io::GgufFile> file_;
};

}  // namespace

const char* bert_pooling_name(BertPooling pooling) {
  switch (pooling) {
    case BertPooling::kNone:
      return "none";
    case BertPooling::kMean:
      return "mean";
    case BertPooling::kCls:
      return "cls";
    case BertPooling::kLast:
      return "last";
  }
  return "?";
}

std::shared_ptr<const BertEncoder> BertEncoder::load(const std::string& path,
                                                     BertEncoderOptions options) {
  std::shared_ptr<BertEncoder> e(new BertEncoder());
  e->path_ = path;
  e->options_ = options;
  auto file = std::make_shared<const io::GgufFile>(path);
  e->file_ = file;
  const io::GgufFile& f = *file;
  BertConfig& c = e->config_;
  c.architecture = f.get_string("general.architecture");
  LLMKIT_CHECK_CODE(c.architecture == "bert", ErrorCode::kUnsupported, path,
                    ": general.architecture is '", c.architecture,
                    "'; BertEncoder reads \"bert\" encoders");
  const std::string a = c.architecture + ".";
  c.n_ctx = f.get_int(a + "context_length");
  c.n_embd = f.get_int(a + "embedding_length");
  c.n_ff = f.get_int(a + "feed_forward_length");
  c.n_layer = f.get_int(a + "block_count");
  c.n_head = f.get_int(a + "attention.head_count");
  c.eps = static_cast<float>(f.get_float_or(a + "attention.layer_norm_epsilon", 1e-12));
  LLMKIT_CHECK_CODE(c.n_ctx > 0 && c.n_embd > 0 && c.n_ff > 0 && c.n_layer > 0 && c.n_head > 0 &&
                        c.n_embd % c.n_head == 0,
                    ErrorCode::kCorruptData, path, ": inconsistent hyper-parameters (n_ctx ",
                    c.n_ctx, ", n_embd ", c.n_embd, ", n_ff ", c.n_ff, ", n_layer ", c.n_layer,
                    ", n_head ", c.n_head, ")");
  LLMKIT_CHECK_CODE(f.get_int_or(a + "attention.head_count_kv", c.n_head) == c.n_head,
                    ErrorCode::kUnsupported, path,
                    ": grouped-query attention is not supported by BertEncoder");
  const int64_t pooling = f.get_int_or(a + "pooling_type", 1);
  if (options.pooling) {
    c.pooling = *options.pooling;
  } else {
    LLMKIT_CHECK_CODE(pooling >= 0 && pooling <= 3, ErrorCode::kUnsupported, path,
                      ": pooling type ", pooling,
                      " is not supported (0 none, 1 mean, 2 cls, 3 last); override it with "
                      "BertEncoderOptions::pooling");
    c.pooling = static_cast<BertPooling>(pooling);
  }

  // Tokenizer and the specials around a text.
  const std::string model =
      f.has("tokenizer.ggml.model") ? f.get_string("tokenizer.ggml.model") : std::string();
  if (model == "bert") {
    auto wp = tokenizer::WordPieceTokenizer::from_gguf(f);
    LLMKIT_CHECK_CODE(wp->cls_id() >= 0 && wp->sep_id() >= 0, ErrorCode::kCorruptData, path,
                      ": the WordPiece vocabulary has no [CLS] or [SEP] token");
    e->prefix_id_ = wp->cls_id();
    e->suffix_id_ = wp->sep_id();
    e->tokenizer_ = std::move(wp);
  } else {
    e->tokenizer_ = tokenizer::tokenizer_from_gguf(f);
    const tokenizer::Tokenizer& t = *e->tokenizer_;
    if (f.get_bool_or("tokenizer.ggml.add_bos_token", t.uses_bos()) && t.bos_id() >= 0) {
      e->prefix_id_ = t.bos_id();
    }
    const int64_t sep = f.get_int_or("tokenizer.ggml.seperator_token_id", -1);
    if (f.get_bool_or("tokenizer.ggml.add_eos_token", false) && t.eos_id() >= 0) {
      e->suffix_id_ = t.eos_id();
    } else if (f.get_bool_or("tokenizer.ggml.add_sep_token", false) && sep >= 0 &&
               sep < t.n_vocab()) {
      e->suffix_id_ = static_cast<int32_t>(sep);
    }
  }

  // Weights.
  const TensorReader r(file);
  const int64_t C = c.n_embd, F = c.n_ff;
  const std::vector<int64_t> embd_shape = r.shape("token_embd.weight");
  LLMKIT_CHECK_CODE(embd_shape.size() == 2 && embd_shape[1] == C, ErrorCode::kCorruptData, path,
                    ": tensor 'token_embd.weight' has shape ", shape_string(embd_shape),
                    "; expected [n_vocab, ", C, "]");
  c.n_vocab = embd_shape[0];
  LLMKIT_CHECK_CODE(e->tokenizer_->n_vocab() <= c.n_vocab, ErrorCode::kCorruptData, path,
                    ": the tokenizer has ", e->tokenizer_->n_vocab(),
                    " tokens but token_embd.weight only ", c.n_vocab, " rows");
  e->token_embd_ = r.matrix("token_embd.weight", c.n_vocab, C);
  e->position_embd_ = r.matrix_min_rows("position_embd.weight", c.n_ctx, C);
  if (r.has("token_types.weight")) {
    const WeightMatrix types = r.matrix_min_rows("token_types.weight", 1, C);
    e->token_type0_.resize(C);
    types.row(0, e->token_type0_.data());
  }
  e->embd_norm_w_ = r.vector("token_embd_norm.weight", C);
  e->embd_norm_b_ = r.vector("token_embd_norm.bias", C);
  for (int64_t i = 0; i < c.n_layer; ++i) {
    const std::string p = "blk." + std::to_string(i) + ".";
    BertLayerWeights w;
    if (r.has(p + "attn_qkv.weight")) {
      w.qkv = r.matrix(p + "attn_qkv.weight", 3 * C, C);
      w.qkv_b = r.optional_vector(p + "attn_qkv.bias", 3 * C);
    } else {
      w.q = r.matrix(p + "attn_q.weight", C, C);
      w.k = r.matrix(p + "attn_k.weight", C, C);
      w.v = r.matrix(p + "attn_v.weight", C, C);
      w.q_b = r.optional_vector(p + "attn_q.bias", C);
      w.k_b = r.optional_vector(p + "attn_k.bias", C);
      w.v_b = r.optional_vector(p + "attn_v.bias", C);
    }
    w.out = r.matrix(p + "attn_output.weight", C, C);
    w.out_b = r.optional_vector(p + "attn_output.bias", C);
    w.attn_norm_w = r.vector(p + "attn_output_norm.weight", C);
    w.attn_norm_b = r.vector(p + "attn_output_norm.bias", C);
    w.up = r.matrix(p + "ffn_up.weight", F, C);
    w.up_b = r.optional_vector(p + "ffn_up.bias", F);
    w.down = r.matrix(p + "ffn_down.weight", C, F);
    w.down_b = r.optional_vector(p + "ffn_down.bias", C);
    w.out_norm_w = r.vector(p + "layer_output_norm.weight", C);
    w.out_norm_b = r.vector(p + "layer_output_norm.bias", C);
    e->layers_.push_back(std::move(w));
  }
  e->context_ = std::make_unique<Context>(options.n_threads);
  return e;
}

std::vector<int32_t> BertEncoder::tokenize(std::string_view text) const {
  const int64_t limit =
      options_.max_tokens > 0 ? std::min(options_.max_tokens, config_.n_ctx) : config_.n_ctx;
  const int64_t n_special = (prefix_id_ >= 0) + (suffix_id_ >= 0);
  LLMKIT_CHECK(limit > n_special, "BertEncoder: max_tokens ", limit,
               " leaves no room for text besides the special tokens");
  std::vector<int32_t> body = tokenizer_->encode(text);
  if (static_cast<int64_t>(body.size()) > limit - n_special) body.resize(limit - n_special);
  std::vector<int32_t> ids;
  ids.reserve(body.size() + 2);
  if (prefix_id_ >= 0) ids.push_back(prefix_id_);
  ids.insert(ids.end(), body.begin(), body.end());
  if (suffix_id_ >= 0) ids.push_back(suffix_id_);
  // An empty text with no specials still needs one position: the pad (or unk) token.
  if (ids.empty()) ids.push_back(std::max<int32_t>(0, tokenizer_->pad_id()));
  return ids;
}

void BertEncoder::check_ids(const std::vector<int32_t>& ids) const {
  LLMKIT_CHECK(!ids.empty() && static_cast<int64_t>(ids.size()) <= config_.n_ctx,
               "BertEncoder: a sequence of ", ids.size(), " ids; 1 .. ", config_.n_ctx,
               " (the context length) are allowed");
  for (int32_t id : ids) {
    LLMKIT_CHECK_CODE(id >= 0 && id < config_.n_vocab, ErrorCode::kOutOfRange, "BertEncoder: id ",
                      id, " is outside the vocabulary of ", config_.n_vocab);
  }
}

std::vector<std::vector<float>> BertEncoder::embed(const std::vector<std::string>& texts) const {
  std::vector<std::vector<int32_t>> ids;
  ids.reserve(texts.size());
  for (const std::string& t : texts) ids.push_back(tokenize(t));
  return embed_ids(ids);
}

std::vector<std::vector<float>> BertEncoder::embed_ids(
    const std::vector<std::vector<int32_t>>& ids) const {
  LLMKIT_CHECK(config_.pooling != BertPooling::kNone, path_,
               ": the pooling type is none, so there is no single vector per text; set "
               "BertEncoderOptions::pooling or use hidden_states()");
  for (const auto& s : ids) check_ids(s);
  const int64_t C = config_.n_embd;
  std::vector<std::vector<float>> out(ids.size());
  const Context::Scope scope(*context_);
  size_t next = 0;
  while (next < ids.size()) {
    // Pack sequences until the batch holds about batch_tokens tokens (at least one sequence).
    std::vector<const std::vector<int32_t>*> batch;
    int64_t tokens = 0;
    const size_t first = next;
    while (next < ids.size() && (batch.empty() || tokens + static_cast<int64_t>(ids[next].size()) <=
                                                      options_.batch_tokens)) {
      tokens += static_cast<int64_t>(ids[next].size());
      batch.push_back(&ids[next++]);
    }
    const std::vector<float> h = forward(batch);
    int64_t row = 0;
    for (size_t s = 0; s < batch.size(); ++s) {
      const auto T = static_cast<int64_t>(batch[s]->size());
      std::vector<float> v(C, 0.0f);
      if (config_.pooling == BertPooling::kMean) {
        for (int64_t t = 0; t < T; ++t) {
          for (int64_t j = 0; j < C; ++j) v[j] += h[(row + t) * C + j];
        }
        for (float& x : v) x /= static_cast<float>(T);
      } else {
        const int64_t t = config_.pooling == BertPooling::kCls ? 0 : T - 1;
        std::copy(h.begin() + (row + t) * C, h.begin() + (row + t + 1) * C, v.begin());
      }
      if (options_.normalize) {
        double norm = 0.0;
        for (float x : v) norm += static_cast<double>(x) * x;
        norm = std::sqrt(norm);
        if (norm > 0.0) {
          for (float& x : v) x = static_cast<float>(x / norm);
        }
      }
      out[first + s] = std::move(v);
      row += T;
    }
  }
  return out;
}

std::vector<float> BertEncoder::hidden_states(const std::vector<int32_t>& ids) const {
  check_ids(ids);
  const Context::Scope scope(*context_);
  return forward({&ids});
}

}  // namespace llmkit::infer
