// BertEncoder against an independent reference: tests/infer/bert_reference.py (python3 + numpy)
// writes small random-weight BERT GGUF files with its own GGUF writer (f32; f16 + its own Q8_0
// quantiser + a fused attn_qkv; a SentencePiece vocabulary), tokenizes texts with its own BERT
// tokenizer and computes the pooled, normalised embeddings in float64. Tolerance 1e-4 (f32
// arithmetic on 2-layer, 32-wide models with values of order 1).
#include "llmkit/infer/bert_encoder.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "llmkit/base/error.h"
#include "llmkit/io/gguf.h"

namespace llmkit::infer {
namespace {

using Ids = std::vector<int32_t>;
using Vecs = std::vector<std::vector<float>>;

constexpr double kTol = 1e-4;

// Runs the reference once per test program into a temporary folder.
struct Reference {
  std::string dir;
  nlohmann::json expected;

  static const Reference& get() {
    static const Reference r = [] {
      Reference ref;
      std::string tmpl = (std::filesystem::temp_directory_path() / "llmkit_bert_XXXXXX").string();
      if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
      ref.dir = tmpl;
      const std::string cmd = std::string("/usr/bin/python3 '") + LLMKIT_SOURCE_DIR +
                              "/tests/infer/bert_reference.py' '" + ref.dir + "'";
      if (std::system(cmd.c_str()) != 0) {
        throw std::runtime_error(cmd + " failed (needs python3-numpy: scripts/setup.sh)");
      }
      std::ifstream in(ref.dir + "/expected.json");
      ref.expected = nlohmann::json::parse(in);
      return ref;
    }();
    // Removes the folder at exit.
    static const struct Remover {
      std::string dir;
      ~Remover() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
      }
    } remover{r.dir};
    return r;
  }
  std::string gguf(const std::string& model) const { return dir + "/" + model + ".gguf"; }
  const nlohmann::json& operator[](const std::string& model) const { return expected[model]; }
};

std::vector<Ids> id_cases(const nlohmann::json& m) {
  return m["id_cases"].get<std::vector<Ids>>();
}

// Expected vectors [first, first + n) of a model's "embeddings" (or another key).
Vecs expected(const nlohmann::json& m, size_t first, size_t n, const char* key = "embeddings") {
  Vecs out;
  for (size_t i = first; i < first + n; ++i) out.push_back(m[key][i].get<std::vector<float>>());
  return out;
}

double max_abs_diff(const Vecs& a, const Vecs& b) {
  EXPECT_EQ(a.size(), b.size());
  double d = 0.0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    EXPECT_EQ(a[i].size(), b[i].size());
    for (size_t j = 0; j < std::min(a[i].size(), b[i].size()); ++j) {
      d = std::max(d, std::abs(static_cast<double>(a[i][j]) - b[i][j]));
    }
  }
  return d;
}

void check_wordpiece_model(const std::string& name, BertPooling pooling) {
  const Reference& ref = Reference::get();
  const nlohmann::json& m = ref[name];
  BertEncoderOptions o;
  o.n_threads = 2;
  const auto enc = BertEncoder::load(ref.gguf(name), o);
  EXPECT_EQ(enc->dim(), 32);
  EXPECT_EQ(enc->config().pooling, pooling);
  const auto texts = m["texts"].get<std::vector<std::string>>();
  const auto text_ids = m["text_ids"].get<std::vector<Ids>>();
  ASSERT_EQ(texts.size(), text_ids.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    EXPECT_EQ(enc->tokenize(texts[i]), text_ids[i]) << name << ": \"" << texts[i] << "\"";
  }
  const double d_text = max_abs_diff(enc->embed(texts), expected(m, 0, texts.size()));
  EXPECT_LT(d_text, kTol) << name;
  const std::vector<Ids> cases = id_cases(m);
  const double d_ids = max_abs_diff(enc->embed_ids(cases), expected(m, texts.size(), cases.size()));
  EXPECT_LT(d_ids, kTol) << name;
  std::printf("%s: max |llmkit - numpy| %.2e (texts), %.2e (id cases)\n", name.c_str(), d_text,
              d_ids);

  o.gelu_tanh = true;
  const auto tanh_enc = BertEncoder::load(ref.gguf(name), o);
  EXPECT_LT(max_abs_diff(tanh_enc->embed(texts), expected(m, 0, texts.size(), "embeddings_tanh")),
            kTol);
  // The two GELUs differ by up to ~1e-3 per activation: the reference can tell them apart.
  EXPECT_GT(max_abs_diff(tanh_enc->embed(texts), expected(m, 0, texts.size())), 1e-6);

  const std::vector<float> hidden = enc->hidden_states(cases[0]);
  const auto want = m["hidden"].get<std::vector<float>>();
  EXPECT_LT(max_abs_diff({hidden}, {want}), kTol);
}

TEST(BertEncoder, F32WordPieceMatchesNumpy) {
  check_wordpiece_model("wp_f32", BertPooling::kMean);
}

TEST(BertEncoder, F16Q8FusedQkvMatchesNumpy) {
  check_wordpiece_model("wp_mixed", BertPooling::kCls);
}

TEST(BertEncoder, SentencePieceVocabularyFromGguf) {
  const Reference& ref = Reference::get();
  const nlohmann::json& m = ref["spm"];
  const auto enc = BertEncoder::load(ref.gguf("spm"));
  EXPECT_EQ(enc->config().pooling, BertPooling::kMean);  // pooling_type absent
  const std::vector<Ids> cases = id_cases(m);
  EXPECT_LT(max_abs_diff(enc->embed_ids(cases), expected(m, 0, cases.size())), kTol);
  // add_bos_token: BOS (id 1) then the SentencePiece ids, no EOS.
  const std::string text = "the quick brown fox";
  Ids want = {1};
  for (int32_t id : enc->tokenizer().encode(text)) want.push_back(id);
  EXPECT_EQ(enc->tokenize(text), want);
  EXPECT_GT(want.size(), 4u);
  EXPECT_EQ(enc->embed({text}), enc->embed_ids({want}));
}

TEST(BertEncoder, BatchingThreadsAndPoolingOverride) {
  const Reference& ref = Reference::get();
  const nlohmann::json& m = ref["wp_f32"];
  const std::vector<Ids> cases = id_cases(m);
  BertEncoderOptions one;
  one.batch_tokens = 1;  // every sequence its own batch
  BertEncoderOptions many;
  many.n_threads = 3;
  many.batch_tokens = 100000;  // all in one packed batch
  const Vecs a = BertEncoder::load(ref.gguf("wp_f32"), one)->embed_ids(cases);
  const Vecs b = BertEncoder::load(ref.gguf("wp_f32"), many)->embed_ids(cases);
  EXPECT_LT(max_abs_diff(a, b), 1e-6);
  // Concurrent calls on one encoder give the sequential results.
  const auto shared = BertEncoder::load(ref.gguf("wp_f32"), many);
  std::vector<Vecs> results(4);
  std::vector<std::thread> threads;
  for (auto& r : results) threads.emplace_back([&] { r = shared->embed_ids(cases); });
  for (auto& t : threads) t.join();
  for (const Vecs& r : results) EXPECT_LT(max_abs_diff(r, b), 1e-6);

  // CLS pooling = the normalised first row of the reference's hidden states.
  BertEncoderOptions cls;
  cls.pooling = BertPooling::kCls;
  const auto enc = BertEncoder::load(ref.gguf("wp_f32"), cls);
  const auto hidden = m["hidden"].get<std::vector<double>>();
  std::vector<float> first(hidden.begin(), hidden.begin() + 32);
  double norm = 0.0;
  for (float x : first) norm += static_cast<double>(x) * x;
  for (float& x : first) x = static_cast<float>(x / std::sqrt(norm));
  EXPECT_LT(max_abs_diff(enc->embed_ids({cases[0]}), {first}), kTol);

  BertEncoderOptions raw;
  raw.normalize = false;
  const Vecs unnormalised = BertEncoder::load(ref.gguf("wp_f32"), raw)->embed_ids({cases[0]});
  double n2 = 0.0;
  for (float x : unnormalised[0]) n2 += static_cast<double>(x) * x;
  EXPECT_GT(std::abs(std::sqrt(n2) - 1.0), 1e-3);
}

TEST(BertEncoder, TruncatesToMaxTokens) {
  const Reference& ref = Reference::get();
  BertEncoderOptions o;
  o.max_tokens = 5;
  const auto enc = BertEncoder::load(ref.gguf("wp_f32"), o);
  const Ids ids = enc->tokenize("the quick brown fox jumps over the lazy dog");
  ASSERT_EQ(ids.size(), 5u);
  EXPECT_EQ(ids.front(), 2);  // [CLS]
  EXPECT_EQ(ids.back(), 3);   // [SEP]
  // Without a limit the context length (40) applies.
  const auto full = BertEncoder::load(ref.gguf("wp_f32"));
  std::string long_text;
  for (int i = 0; i < 100; ++i) long_text += "fox ";
  EXPECT_EQ(full->tokenize(long_text).size(), 40u);
  EXPECT_EQ(full->embed({long_text}).size(), 1u);
}

// Copies src to dst leaving out the tensor `drop` and setting `key` to `value` (when not empty).
void rewrite(const std::string& src, const std::string& dst, const std::string& drop,
             const std::string& key = "", const io::GgufValue& value = {}) {
  const io::GgufFile f(src);
  io::GgufWriter w;
  for (const auto& [k, v] : f.metadata()) w.set(k, v);
  if (!key.empty()) w.set(key, value);
  for (const io::GgufTensorInfo& t : f.tensors()) {
    if (t.name == drop) continue;
    w.add_tensor(t.name, t.type, t.ne,
                 std::string(reinterpret_cast<const char*>(t.data), t.n_bytes));
  }
  w.write(dst);
}

ErrorCode load_error(const std::string& path, BertEncoderOptions o = {}) {
  try {
    BertEncoder::load(path, o);
  } catch (const Error& e) {
    return e.code();
  }
  return ErrorCode::kInternal;
}

TEST(BertEncoder, Errors) {
  const Reference& ref = Reference::get();
  const std::string src = ref.gguf("wp_f32");
  const std::string bad = ref.dir + "/bad.gguf";
  rewrite(src, bad, "blk.1.ffn_down.weight");
  EXPECT_EQ(load_error(bad), ErrorCode::kNotFound);
  rewrite(src, bad, "", "general.architecture", io::GgufValue::string("llama"));
  EXPECT_EQ(load_error(bad), ErrorCode::kUnsupported);
  rewrite(src, bad, "", "bert.pooling_type", io::GgufValue::u32(4));
  EXPECT_EQ(load_error(bad), ErrorCode::kUnsupported);
  BertEncoderOptions mean;
  mean.pooling = BertPooling::kMean;
  EXPECT_EQ(BertEncoder::load(bad, mean)->embed({"x"}).size(), 1u);
  rewrite(src, bad, "", "bert.embedding_length", io::GgufValue::u32(30));
  EXPECT_EQ(load_error(bad), ErrorCode::kCorruptData);

  rewrite(src, bad, "", "bert.pooling_type", io::GgufValue::u32(0));
  const auto none = BertEncoder::load(bad);
  EXPECT_THROW(none->embed({"x"}), Error);
  EXPECT_EQ(none->hidden_states({2, 3}).size(), 64u);
  EXPECT_THROW(none->hidden_states({}), Error);
  EXPECT_THROW(none->hidden_states({2, 100000}), Error);
}

}  // namespace
}  // namespace llmkit::infer
