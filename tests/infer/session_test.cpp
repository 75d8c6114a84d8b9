// infer::Session against the training path (models::TransformerLM) on the same random weights,
// for every architecture: batched prefill, token-by-token decode, split batches, sliding windows,
// truncate / reset, threads, quantised weights, memory report and input errors.
#include "llmkit/infer/session.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include "infer_test_util.h"
#include "llmkit/base/error.h"
#include "llmkit/infer/kv_cache.h"
#include "llmkit/io/quantize.h"
#include "llmkit/models/arch.h"
#include "llmkit/models/tensor_names.h"
#include "llmkit/models/transformer_lm.h"
#include "llmkit/tensor/creation.h"
#include "llmkit/tensor/rng.h"

namespace llmkit::infer {
namespace {

using models::Arch;

constexpr int64_t kVocab = 64;

// The tiny preset with a small vocabulary; local layers of gemma2/gemma3 get a window of 5 so
// that it binds within the test sequences.
models::ModelConfig tiny_config(Arch arch) {
  models::ModelConfig c = models::preset(arch, "tiny");
  c.n_vocab = kVocab;
  c.n_ctx = 64;
  if (c.sliding_window > 0) c.sliding_window = 5;
  return c;
}

// Three layers (gemma3: local, local, global) for the slower multi-model tests.
models::ModelConfig short_config(Arch arch) {
  models::ModelConfig c = tiny_config(arch);
  c.n_layer = 3;
  if (arch == Arch::kGemma3) c.sliding_window_pattern = 3;
  return c;
}

std::vector<int32_t> random_tokens(int64_t n, uint32_t seed) {
  return testing::random_tokens(n, kVocab, seed);
}

std::vector<float> decode_all(Session& s, const std::vector<int32_t>& ids) {
  std::vector<float> out(ids.size() * static_cast<size_t>(kVocab));
  s.decode_all(ids, out.data());
  return out;
}

SessionOptions options(int64_t n_ctx = 32, int64_t n_batch = 64, int threads = 1) {
  SessionOptions o;
  o.n_ctx = n_ctx;
  o.n_batch = n_batch;
  o.n_threads = threads;
  return o;
}

class PerArch : public ::testing::TestWithParam<Arch> {};

TEST_P(PerArch, PrefillLogitsEqualTrainingPath) {
  const models::ModelConfig config = tiny_config(GetParam());
  auto lm = testing::random_lm(config, 11);
  auto model = Model::from_weights(config, lm->named_parameters());
  const std::vector<int32_t> ids = random_tokens(20, 1);
  const std::vector<float> want = testing::training_logits(*lm, ids);
  float scale = 0.0f;
  for (float v : want) scale = std::max(scale, std::fabs(v));
  EXPECT_GT(scale, 3.0f);  // logits large enough for the bound below to mean something
  Session s(model, options());
  const float diff = testing::max_abs_diff(decode_all(s, ids), want);
  std::printf("%s: prefill vs training max |diff| = %.3g (max |logit| %.3g)\n",
              models::arch_name(GetParam()), diff, scale);
  EXPECT_LE(diff, 1e-4f);
  EXPECT_EQ(s.position(), 20);
}

// An f16 KV cache gives the logits of an f32 cache up to the f16 rounding of keys and values
// (relative 2^-11 each), and token-by-token decode stays as close to prefill as that rounding
// allows.
TEST_P(PerArch, F16KvCacheStaysCloseToF32) {
  const models::ModelConfig config = tiny_config(GetParam());
  auto model = Model::from_weights(config, testing::random_lm(config, 13)->named_parameters());
  const std::vector<int32_t> ids = random_tokens(20, 3);
  Session exact(model, options());
  const std::vector<float> want = decode_all(exact, ids);
  SessionOptions o = options();
  o.kv_type = KvType::kF16;
  Session half(model, o);
  const std::vector<float> got = decode_all(half, ids);
  float scale = 0.0f;
  for (float v : want) scale = std::max(scale, std::fabs(v));
  const float diff = testing::max_abs_diff(got, want);
  std::printf("%s: f16 vs f32 KV cache max |logit diff| = %.3g (max |logit| %.3g)\n",
              models::arch_name(GetParam()), diff, scale);
  EXPECT_GT(diff, 0.0f);  // the cache really is f16
  EXPECT_LE(diff, 2e-2f * scale);
  Session step(model, o);
  float step_diff = 0.0f;
  for (size_t t = 0; t < ids.size(); ++t) {
    std::span<const float> logits = step.decode(std::span<const int32_t>(&ids[t], 1));
    step_diff =
        std::max(step_diff, testing::max_abs_diff(logits.data(), got.data() + t * kVocab, kVocab));
  }
  // (prefill's and decode's K/V differ in the last bits, which f16 rounding can turn into one f16
  // step of a value)
  EXPECT_LE(step_diff, 1e-4f * scale);
}

TEST_P(PerArch, TokenByTokenDecodeEqualsPrefill) {
  const models::ModelConfig config = tiny_config(GetParam());
  auto model = Model::from_weights(config, testing::random_lm(config, 12)->named_parameters());
  const std::vector<int32_t> ids = random_tokens(16, 2);
  Session batch(model, options());
  const std::vector<float> want = decode_all(batch, ids);
  Session step(model, options());
  float diff = 0.0f;
  for (size_t t = 0; t < ids.size(); ++t) {
    std::span<const float> logits = step.decode(std::span<const int32_t>(&ids[t], 1));
    ASSERT_EQ(logits.size(), static_cast<size_t>(kVocab));
    diff = std::max(diff, testing::max_abs_diff(logits.data(), want.data() + t * kVocab, kVocab));
  }
  std::printf("%s: decode vs prefill max |diff| = %.3g\n", models::arch_name(GetParam()), diff);
  EXPECT_LE(diff, 1e-4f);
  // decode() of several tokens returns the last one's logits.
  Session multi(model, options());
  std::span<const float> last = multi.decode(ids);
  EXPECT_LE(testing::max_abs_diff(last.data(), want.data() + (ids.size() - 1) * kVocab, kVocab),
            1e-5f);
}

TEST_P(PerArch, SplitBatchesAndThreadsEqualOneBatch) {
  const models::ModelConfig config = tiny_config(GetParam());
  auto model = Model::from_weights(config, testing::random_lm(config, 13)->named_parameters());
  const std::vector<int32_t> ids = random_tokens(19, 3);
  Session one(model, options());
  const std::vector<float> want = decode_all(one, ids);
  Session split(model, options(32, 4));
  EXPECT_EQ(split.options().n_batch, 4);
  EXPECT_LE(testing::max_abs_diff(decode_all(split, ids), want), 1e-4f);
  Session threaded(model, options(32, 7, 3));
  EXPECT_LE(testing::max_abs_diff(decode_all(threaded, ids), want), 1e-4f);
}

TEST_P(PerArch, TruncateAndResetReproduceLogits) {
  const models::ModelConfig config = tiny_config(GetParam());
  auto model = Model::from_weights(config, testing::random_lm(config, 14)->named_parameters());
  const std::vector<int32_t> ids = random_tokens(12, 4);
  Session s(model, options());
  const std::vector<float> want = decode_all(s, ids);
  s.truncate(5);
  EXPECT_EQ(s.position(), 5);
  const std::vector<int32_t> tail(ids.begin() + 5, ids.end());
  const std::vector<float> again = decode_all(s, tail);
  EXPECT_LE(testing::max_abs_diff(again.data(), want.data() + 5 * kVocab, again.size()), 1e-4f);
  s.reset();
  EXPECT_EQ(s.position(), 0);
  EXPECT_EQ(decode_all(s, ids), want);  // same path, same numbers
}

INSTANTIATE_TEST_SUITE_P(
    Archs, PerArch, ::testing::Values(Arch::kGemma, Arch::kGemma2, Arch::kGemma3, Arch::kLlama),
    [](const auto& info) { return std::string(models::arch_name(info.param)); });

TEST(Session, SlidingWindowIsEffective) {
  for (Arch arch : {Arch::kGemma2, Arch::kGemma3}) {
    models::ModelConfig local = tiny_config(arch);
    models::ModelConfig wide = local;
    wide.sliding_window = 64;  // >= every position: the same as global attention
    auto lm = testing::random_lm(local, 15);
    auto m_local = Model::from_weights(local, lm->named_parameters());
    auto m_wide = Model::from_weights(wide, lm->named_parameters());
    const std::vector<int32_t> ids = random_tokens(12, 5);
    Session a(m_local, options()), b(m_wide, options());
    const std::vector<float> la = decode_all(a, ids), lb = decode_all(b, ids);
    // Positions < window see the same keys either way; later ones do not.
    EXPECT_LE(testing::max_abs_diff(la.data(), lb.data(), 5 * kVocab), 1e-5f)
        << models::arch_name(arch);
    EXPECT_GT(testing::max_abs_diff(la.data() + 5 * kVocab, lb.data() + 5 * kVocab, 7 * kVocab),
              1e-2f)
        << models::arch_name(arch);
  }
}

// A ModelFile holding the LM's weights with the matrices stored as `type`.
models::ModelFile model_file(const models::ModelConfig& config, const models::TransformerLM& lm,
                             io::GgmlType type) {
  models::ModelFile f;
  f.path = "<test>";
  f.format = "test";
  f.config = models::resolve(config);
  for (const auto& [name, t] : lm.named_parameters()) {
    const std::vector<float> v = t.to_vector();
    models::WeightData w;
    w.shape = t.shape();
    w.type = t.dim() == 2 ? type : io::GgmlType::kF32;
    const int64_t cols = t.shape().back(), rows = t.numel() / cols;
    const int64_t row_bytes = io::ggml_row_bytes(w.type, cols);
    auto buf = std::shared_ptr<uint8_t[]>(new uint8_t[rows * row_bytes]);
    for (int64_t r = 0; r < rows; ++r) {
      io::quantize_row(w.type, v.data() + r * cols, buf.get() + r * row_bytes, cols);
    }
    w.data = buf.get();
    w.owner = std::shared_ptr<const void>(buf, buf.get());
    f.weights[name] = w;
  }
  return f;
}

TEST(Session, ModelFileWeightsOfEveryType) {
  const models::ModelConfig config = short_config(Arch::kGemma3);
  auto lm = testing::random_lm(config, 16);
  const std::vector<int32_t> ids = random_tokens(16, 6);
  Session ref_session(Model::from_weights(config, lm->named_parameters()), options());
  const std::vector<float> want = decode_all(ref_session, ids);
  const float scale = testing::max_abs(want);

  auto f32 = Model::from_file(model_file(config, *lm, io::GgmlType::kF32));
  EXPECT_EQ(f32->weight_type_name(), "F32");
  Session s32(f32, options());
  EXPECT_EQ(decode_all(s32, ids), want);

  for (io::GgmlType type :
       {io::GgmlType::kF16, io::GgmlType::kBF16, io::GgmlType::kQ8_0, io::GgmlType::kQ4_0}) {
    auto q = Model::from_file(model_file(config, *lm, type));
    // Prefill multiplies with the stored weights exactly (f32 panels), so it equals the training
    // path on the rounded weights. Decode also rounds the activations to Q8_0 for Q8_0 / Q4_0
    // matrices (llama.cpp's scheme), which costs a little more.
    const std::vector<float> want_rounded =
        testing::training_logits(*testing::rounded_lm(*lm, type), ids);
    Session prefill(q, options()), step(q, options());
    const std::vector<float> got = decode_all(prefill, ids);
    float step_diff = 0.0f;
    for (size_t t = 0; t < ids.size(); ++t) {
      auto l = step.decode(std::span<const int32_t>(&ids[t], 1));
      step_diff = std::max(
          step_diff, testing::max_abs_diff(l.data(), want_rounded.data() + t * kVocab, kVocab));
    }
    const float diff = testing::max_abs_diff(got, want_rounded);
    std::printf(
        "%s: max |logit diff| vs training on rounded weights: prefill %.3g, decode %.3g; vs f32 "
        "weights %.3g (max |logit| %.3g)\n",
        q->weight_type_name().c_str(), diff, step_diff, testing::max_abs_diff(got, want), scale);
    const bool q8_input = type == io::GgmlType::kQ8_0 || type == io::GgmlType::kQ4_0;
    EXPECT_LE(diff, 1e-4f) << q->weight_type_name();
    EXPECT_LE(step_diff, q8_input ? 0.02f * scale : 1e-4f) << q->weight_type_name();
    EXPECT_GT(testing::max_abs_diff(got, want), 0.0f);  // the rounding is real
  }
}

TEST(Session, MemoryReportMatchesAllocation) {
  for (Arch arch : models::all_archs()) {
    const models::ModelConfig config = short_config(arch);
    auto lm = testing::random_lm(config, 17);
    auto model = Model::from_weights(config, lm->named_parameters());
    const MemoryReport m = model->memory(48, 16);
    EXPECT_EQ(m.weights, 4 * models::parameter_count(config)) << models::arch_name(arch);
    const models::ModelConfig& c = model->config();
    EXPECT_EQ(m.kv_cache, 2 * c.n_layer * c.n_head_kv * 48 * c.head_dim * 4);
    Session s(model, options(48, 16));
    EXPECT_EQ(m.activations, Session::buffer_bytes(*model, 16, 1));
    // f32 weights need no product scratch: the activation rows, RoPE tables (two bases on
    // gemma3) and the logits.
    const int64_t tables = arch == Arch::kGemma3 ? 2 : 1;
    const int64_t floats = 16 * (3 * c.n_embd + 2 * c.n_head * c.head_dim +
                                 2 * c.n_head_kv * c.head_dim + 2 * c.n_ff) +
                           2 * tables * 16 * c.head_dim / 2 + c.n_vocab;
    EXPECT_EQ(m.activations, 4 * floats) << models::arch_name(arch);
    // Quantised matrices add the Q8_0 input row and per-thread dequantisation panels.
    auto q = Model::from_file(model_file(config, *lm, io::GgmlType::kQ8_0));
    EXPECT_GT(q->memory(48, 16).activations, m.activations);
    EXPECT_LT(q->memory(48, 16).weights, m.weights / 3);
    EXPECT_EQ(m.total(), m.weights + m.kv_cache + m.activations);
  }
}

TEST(Session, BadInputGivesClearErrors) {
  const models::ModelConfig config = tiny_config(Arch::kLlama);
  auto model = Model::from_weights(config, testing::random_lm(config, 18)->named_parameters());
  Session s(model, options(8));
  auto code_of = [](auto&& fn) {
    try {
      fn();
    } catch (const Error& e) {
      return std::make_pair(e.code(), std::string(e.what()));
    }
    return std::make_pair(ErrorCode::kInternal, std::string("no error"));
  };
  std::vector<int32_t> bad{1, kVocab};
  auto [code, msg] = code_of([&] { s.decode(bad); });
  EXPECT_EQ(code, ErrorCode::kOutOfRange) << msg;
  EXPECT_NE(msg.find("64"), std::string::npos) << msg;
  EXPECT_EQ(code_of([&] { s.decode(std::vector<int32_t>{-1}); }).first, ErrorCode::kOutOfRange);
  EXPECT_EQ(s.position(), 0);  // nothing was decoded
  EXPECT_THROW(s.decode(std::vector<int32_t>{}), Error);

  s.decode(random_tokens(6, 7));
  std::tie(code, msg) = code_of([&] { s.decode(random_tokens(3, 8)); });
  EXPECT_EQ(code, ErrorCode::kOutOfRange) << msg;
  EXPECT_NE(msg.find("--ctx"), std::string::npos) << msg;
  EXPECT_EQ(s.position(), 6);
  s.decode(random_tokens(2, 9));  // exactly fills the context
  EXPECT_EQ(s.position(), 8);
  EXPECT_THROW(s.truncate(9), Error);
  EXPECT_THROW(s.truncate(-1), Error);

  EXPECT_THROW(Session(model, options(65)), Error);  // above the model's n_ctx of 64
  EXPECT_THROW(Session(model, options(8, 0)), Error);
  Session dflt(model, SessionOptions{});
  EXPECT_EQ(dflt.n_ctx(), 64);
  EXPECT_THROW(model->require_tokenizer(), Error);
}

TEST(Model, FromWeightsRejectsMissingAndMisshapenTensors) {
  const models::ModelConfig config = tiny_config(Arch::kGemma);
  auto lm = testing::random_lm(config, 19);
  io::NamedTensorList w = lm->named_parameters();
  io::NamedTensorList missing(w.begin() + 1, w.end());
  try {
    Model::from_weights(config, missing);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_NE(std::string(e.what()).find("token_embd.weight"), std::string::npos) << e.what();
  }
  io::NamedTensorList wrong = w;
  wrong[1].second = zeros({3});
  EXPECT_THROW(Model::from_weights(config, wrong), Error);
  io::NamedTensorList extra = w;
  extra.emplace_back("blk.99.attn_q.weight", zeros({2, 2}));
  EXPECT_THROW(Model::from_weights(config, extra), Error);
}

}  // namespace
}  // namespace llmkit::infer
