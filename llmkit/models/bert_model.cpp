#include "llmkit/models/bert_model.h"

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "llmkit/autograd/functions.h"
#include "llmkit/base/error.h"

namespace llmkit::models {
namespace {

using Json = nlohmann::ordered_json;

// The integer fields of BertConfig with their JSON names (norm_eps and init_std are floats).
struct IntField {
  const char* name;
  int64_t BertConfig::*member;
};
constexpr IntField kIntFields[] = {
    {"n_vocab", &BertConfig::n_vocab},
    {"n_ctx", &BertConfig::n_ctx},
    {"n_embd", &BertConfig::n_embd},
    {"n_head", &BertConfig::n_head},
    {"n_ff", &BertConfig::n_ff},
    {"n_layer", &BertConfig::n_layer},
    {"n_token_types", &BertConfig::n_token_types},
};

}  // namespace

void validate(const BertConfig& c) {
  for (const IntField& f : kIntFields) {
    LLMKIT_CHECK_CODE(c.*f.member > 0, ErrorCode::kInvalidArgument, "bert config: ", f.name,
                      " must be positive, got ", c.*f.member);
  }
  LLMKIT_CHECK_CODE(c.n_embd % c.n_head == 0, ErrorCode::kInvalidArgument, "bert config: n_embd ",
                    c.n_embd, " must be a multiple of n_head ", c.n_head);
  LLMKIT_CHECK_CODE(c.norm_eps > 0.0f && std::isfinite(c.norm_eps), ErrorCode::kInvalidArgument,
                    "bert config: norm_eps must be positive, got ", c.norm_eps);
}

std::string bert_config_to_json(const BertConfig& c) {
  Json j;
  for (const IntField& f : kIntFields) j[f.name] = c.*f.member;
  j["norm_eps"] = c.norm_eps;
  j["init_std"] = c.init_std;
  return j.dump(2) + "\n";
}

BertConfig bert_config_from_json(const std::string& text, const std::string& what) {
  Json j;
  try {
    j = Json::parse(text);
  } catch (const std::exception& e) {
    throw_error(ErrorCode::kCorruptData, str_cat(what, ": not valid JSON: ", e.what()));
  }
  LLMKIT_CHECK_CODE(j.is_object(), ErrorCode::kCorruptData, what, ": expected a JSON object");
  BertConfig c;
  for (const auto& [key, value] : j.items()) {
    bool known = false;
    for (const IntField& f : kIntFields) {
      if (key == f.name) {
        LLMKIT_CHECK_CODE(value.is_number_integer(), ErrorCode::kCorruptData, what, ": '", key,
                          "' must be an integer");
        c.*f.member = value.get<int64_t>();
        known = true;
      }
    }
    if (key == "norm_eps" || key == "init_std") {
      LLMKIT_CHECK_CODE(value.is_number(), ErrorCode::kCorruptData, what, ": '", key,
                        "' must be a number");
      (key == "norm_eps" ? c.norm_eps : c.init_std) = value.get<float>();
      known = true;
    }
    LLMKIT_CHECK_CODE(known, ErrorCode::kCorruptData, what, ": unknown key '", key, "'");
  }
  validate(c);
  return c;
}

std::vector<BertTensorSpec> bert_tensor_specs(const BertConfig& c) {
  const int64_t C = c.n_embd, F = c.n_ff;
  std::vector<BertTensorSpec> specs = {
      {"token_embd.weight", {c.n_vocab, C}},  {"token_types.weight", {c.n_token_types, C}},
      {"position_embd.weight", {c.n_ctx, C}}, {"token_embd_norm.weight", {C}},
      {"token_embd_norm.bias", {C}},
  };
  for (int64_t i = 0; i < c.n_layer; ++i) {
    const std::string p = "blk." + std::to_string(i) + ".";
    for (const char* m : {"attn_q", "attn_k", "attn_v", "attn_output"}) {
      specs.push_back({p + m + ".weight", {C, C}});
      specs.push_back({p + m + ".bias", {C}});
    }
    specs.push_back({p + "attn_output_norm.weight", {C}});
    specs.push_back({p + "attn_output_norm.bias", {C}});
    specs.push_back({p + "ffn_up.weight", {F, C}});
    specs.push_back({p + "ffn_up.bias", {F}});
    specs.push_back({p + "ffn_down.weight", {C, F}});
    specs.push_back({p + "ffn_down.bias", {C}});
    specs.push_back({p + "layer_output_norm.weight", {C}});
    specs.push_back({p + "layer_output_norm.bias", {C}});
  }
  return specs;
}

BertLayer::BertLayer(const BertConfig& c, Generator& gen) : config_(c) {
  const int64_t C = c.n_embd;
  q_ = register_module("attn_q", std::make_shared<nn::Linear>(C, C, true, gen, c.init_std));
  k_ = register_module("attn_k", std::make_shared<nn::Linear>(C, C, true, gen, c.init_std));
  v_ = register_module("attn_v", std::make_shared<nn::Linear>(C, C, true, gen, c.init_std));
  o_ = register_module("attn_output", std::make_shared<nn::Linear>(C, C, true, gen, c.init_std));
  attn_norm_ =
      register_module("attn_output_norm", std::make_shared<nn::LayerNorm>(C, c.norm_eps, true));
  up_ = register_module("ffn_up", std::make_shared<nn::Linear>(C, c.n_ff, true, gen, c.init_std));
  down_ =
      register_module("ffn_down", std::make_shared<nn::Linear>(c.n_ff, C, true, gen, c.init_std));
  out_norm_ =
      register_module("layer_output_norm", std::make_shared<nn::LayerNorm>(C, c.norm_eps, true));
}

Tensor BertLayer::forward(const Tensor& x) const {
  const int64_t B = x.size(0), T = x.size(1), H = config_.n_head, D = config_.n_embd / H;
  // [B, T, C] -> [B, H, T, D]
  auto heads = [&](const Tensor& t) { return transpose(reshape(t, {B, T, H, D}), 1, 2); };
  ops::AttentionOptions options;
  options.scale = 1.0f / std::sqrt(static_cast<float>(D));
  options.causal = false;
  Tensor att =
      llmkit::attention(heads(q_->forward(x)), heads(k_->forward(x)), heads(v_->forward(x)),
                        options);  // [B, H, T, D]
  Tensor a = o_->forward(reshape(transpose(att, 1, 2), {B, T, H * D}));
  Tensor h = attn_norm_->forward(add(x, a));
  Tensor f = down_->forward(gelu(up_->forward(h), /*approximate_tanh=*/false));
  return out_norm_->forward(add(h, f));
}

BertModel::BertModel(const BertConfig& config, uint64_t seed) : config_(config) {
  validate(config_);
  const BertConfig& c = config_;
  Generator gen(seed);
  token_embd_ = register_module(
      "token_embd", std::make_shared<nn::Embedding>(c.n_vocab, c.n_embd, gen, c.init_std));
  token_types_ = register_module(
      "token_types", std::make_shared<nn::Embedding>(c.n_token_types, c.n_embd, gen, c.init_std));
  position_embd_ = register_module(
      "position_embd", std::make_shared<nn::Embedding>(c.n_ctx, c.n_embd, gen, c.init_std));
  embd_norm_ =
      register_module("token_embd_norm", std::make_shared<nn::LayerNorm>(c.n_embd, c.norm_eps));
  for (int64_t i = 0; i < c.n_layer; ++i) {
    layers_.push_back(
        register_module("blk." + std::to_string(i), std::make_shared<BertLayer>(c, gen)));
  }
}

Tensor BertModel::forward(const Tensor& ids) const {
  const BertConfig& c = config_;
  LLMKIT_CHECK(ids.defined() && ids.dim() == 2 && ids.dtype() == DType::kI32, "BertModel: ids ",
               ids.defined() ? describe(ids) : std::string("(undefined)"), " must be i32 [B, T]");
  const int64_t T = ids.size(1);
  LLMKIT_CHECK(T >= 1 && T <= c.n_ctx, "BertModel: sequence length ", T,
               " must be in [1, n_ctx = ", c.n_ctx, "]; truncate the input");
  Tensor x = token_embd_->forward(ids);                         // [B, T, C]
  x = add(x, position_embd_->forward(arange(T, DType::kI32)));  // + [T, C]
  x = add(x, slice(token_types_->weight(), 0, 0, 1));           // + [1, C]
  x = embd_norm_->forward(x);
  for (const auto& layer : layers_) x = layer->forward(x);
  return x;
}

Tensor BertModel::pooled(const Tensor& ids) const {
  return mean_pool_normalize(forward(ids));
}

Tensor BertModel::embed(const std::vector<std::vector<int32_t>>& sequences) const {
  LLMKIT_CHECK(!sequences.empty(), "BertModel::embed: no sequences");
  std::map<size_t, std::vector<size_t>> by_length;  // length -> indices into sequences
  for (size_t i = 0; i < sequences.size(); ++i) by_length[sequences[i].size()].push_back(i);
  std::vector<Tensor> rows(sequences.size());
  for (const auto& [length, indices] : by_length) {
    std::vector<int32_t> flat;
    flat.reserve(length * indices.size());
    for (size_t i : indices) flat.insert(flat.end(), sequences[i].begin(), sequences[i].end());
    Tensor ids =
        from_ints(flat, {static_cast<int64_t>(indices.size()), static_cast<int64_t>(length)});
    Tensor pooled_group = pooled(ids);  // [G, C]
    for (size_t g = 0; g < indices.size(); ++g) {
      rows[indices[g]] = select(pooled_group, 0, static_cast<int64_t>(g));
    }
  }
  return stack(rows, 0);
}

Tensor mean_pool_normalize(const Tensor& hidden) {
  LLMKIT_CHECK(hidden.dim() == 3, "mean_pool_normalize: hidden ", describe(hidden),
               " must be [B, T, C]");
  return l2_normalize(mean(hidden, {1}));
}

Tensor l2_normalize(const Tensor& x) {
  return mul(x, rsqrt(add_scalar(sum(square(x), {-1}, true), 1e-12f)));
}

}  // namespace llmkit::models
