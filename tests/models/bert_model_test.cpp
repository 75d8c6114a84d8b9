// BertModel (the trainable text encoder) against a straightforward double-precision reference
// written from the definition in bert_model.h (bidirectional attention, post-norm LayerNorms, erf
// GELU, mean pooling + L2), and its GGUF export read back with the GGUF reader.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "llmkit/autograd/functions.h"
#include "llmkit/autograd/gradcheck.h"
#include "llmkit/autograd/node.h"
#include "llmkit/models/bert_gguf.h"
#include "llmkit/models/bert_model.h"
#include "llmkit/tensor/creation.h"
#include "tests/support/expect_error.h"

namespace llmkit::models {
namespace {

namespace fs = std::filesystem;
using Mat = std::vector<std::vector<double>>;  // [rows][cols]

BertConfig tiny_config() {
  BertConfig c;
  c.n_vocab = 40;
  c.n_ctx = 12;
  c.n_embd = 16;
  c.n_head = 4;
  c.n_ff = 24;
  c.n_layer = 2;
  c.norm_eps = 1e-5f;
  c.init_std = 0.3f;  // large weights: attention far from uniform, GELU far from linear
  return c;
}

// Gives the LayerNorm weights and biases random values too (they start at 1 and 0).
void randomize_norms(BertModel& model, uint64_t seed) {
  Generator gen(seed);
  nn::NamedTensors state;
  for (const auto& [name, t] : model.named_parameters()) {
    Tensor v = t.detach();
    if (t.dim() == 1)
      v = add_scalar(randn(t.shape(), gen, 0.0f, 0.2f), name.ends_with("weight") ? 1.0f : 0.0f);
    state.emplace_back(name, v);
  }
  model.load_state_dict(state);
}

class Reference {
 public:
  Reference(const BertModel& model) : c_(model.config()) {
    for (const auto& [name, t] : model.named_parameters()) {
      std::vector<float> v = t.to_vector();
      w_[name] = std::vector<double>(v.begin(), v.end());
    }
  }

  // Hidden states [T][C] of one sequence.
  Mat hidden(const std::vector<int32_t>& ids) const {
    const size_t T = ids.size(), C = static_cast<size_t>(c_.n_embd);
    Mat x(T, std::vector<double>(C));
    for (size_t t = 0; t < T; ++t) {
      for (size_t j = 0; j < C; ++j) {
        x[t][j] = w("token_embd.weight")[ids[t] * C + j] + w("position_embd.weight")[t * C + j] +
                  w("token_types.weight")[j];
      }
    }
    x = norm(x, "token_embd_norm");
    for (int64_t l = 0; l < c_.n_layer; ++l) {
      const std::string p = "blk." + std::to_string(l) + ".";
      Mat q = lin(x, p + "attn_q"), k = lin(x, p + "attn_k"), v = lin(x, p + "attn_v");
      const size_t H = static_cast<size_t>(c_.n_head), D = C / H;
      Mat att(T, std::vector<double>(C, 0.0));
      for (size_t h = 0; h < H; ++h) {
        for (size_t t = 0; t < T; ++t) {
          std::vector<double> s(T);
          double mx = -1e300, z = 0.0;
          for (size_t u = 0; u < T; ++u) {  // every key: bidirectional
            s[u] = 0.0;
            for (size_t d = 0; d < D; ++d) s[u] += q[t][h * D + d] * k[u][h * D + d];
            s[u] /= std::sqrt(static_cast<double>(D));
            mx = std::max(mx, s[u]);
          }
          for (size_t u = 0; u < T; ++u) z += s[u] = std::exp(s[u] - mx);
          for (size_t u = 0; u < T; ++u) {
            for (size_t d = 0; d < D; ++d) att[t][h * D + d] += s[u] / z * v[u][h * D + d];
          }
        }
      }
      Mat a = lin(att, p + "attn_output");
      for (size_t t = 0; t < T; ++t) {
        for (size_t j = 0; j < C; ++j) a[t][j] += x[t][j];
      }
      Mat h = norm(a, p + "attn_output_norm");
      Mat f = lin(h, p + "ffn_up");
      for (auto& row : f) {
        for (double& y : row) {
          y = 0.5 * y * (1.0 + std::erf(y / std::sqrt(2.0)));
        }
      }
      f = lin(f, p + "ffn_down");
      for (size_t t = 0; t < T; ++t) {
        for (size_t j = 0; j < C; ++j) f[t][j] += h[t][j];
      }
      x = norm(f, p + "layer_output_norm");
    }
    return x;
  }

  std::vector<double> pooled(const std::vector<int32_t>& ids) const {
    Mat x = hidden(ids);
    std::vector<double> m(x[0].size(), 0.0);
    for (const auto& row : x) {
      for (size_t j = 0; j < m.size(); ++j) m[j] += row[j] / static_cast<double>(x.size());
    }
    double n = 0.0;
    for (double y : m) n += y * y;
    for (double& y : m) y /= std::sqrt(n);
    return m;
  }

 private:
  const std::vector<double>& w(const std::string& name) const { return w_.at(name); }

  // y = x W^T + b, W [out][in] row-major.
  Mat lin(const Mat& x, const std::string& name) const {
    const std::vector<double>& W = w(name + ".weight");
    const std::vector<double>& b = w(name + ".bias");
    const size_t out = b.size(), in = x[0].size();
    Mat y(x.size(), std::vector<double>(out));
    for (size_t t = 0; t < x.size(); ++t) {
      for (size_t o = 0; o < out; ++o) {
        double s = b[o];
        for (size_t i = 0; i < in; ++i) s += W[o * in + i] * x[t][i];
        y[t][o] = s;
      }
    }
    return y;
  }

  Mat norm(const Mat& x, const std::string& name) const {
    const std::vector<double>& g = w(name + ".weight");
    const std::vector<double>& b = w(name + ".bias");
    Mat y = x;
    for (auto& row : y) {
      double mean = 0.0, var = 0.0;
      for (double v : row) mean += v / static_cast<double>(row.size());
      for (double v : row) var += (v - mean) * (v - mean) / static_cast<double>(row.size());
      for (size_t j = 0; j < row.size(); ++j) {
        row[j] = (row[j] - mean) / std::sqrt(var + c_.norm_eps) * g[j] + b[j];
      }
    }
    return y;
  }

  BertConfig c_;
  std::map<std::string, std::vector<double>> w_;
};

std::vector<int32_t> random_ids(size_t n, int64_t vocab, uint64_t seed) {
  std::vector<int32_t> ids(n);
  for (size_t i = 0; i < n; ++i) {
    ids[i] = static_cast<int32_t>(Generator::bits(seed, i) % static_cast<uint64_t>(vocab));
  }
  return ids;
}

TEST(BertModel, ForwardMatchesReference) {
  BertModel model(tiny_config(), 7);
  randomize_norms(model, 8);
  Reference ref(model);
  const std::vector<int32_t> a = random_ids(9, 40, 1), b = random_ids(9, 40, 2);
  std::vector<int32_t> flat = a;
  flat.insert(flat.end(), b.begin(), b.end());
  const Tensor hidden = model.forward(from_ints(flat, {2, 9}));  // [2, 9, 16]
  const std::vector<float> got = hidden.to_vector();
  double worst = 0.0;
  for (size_t s = 0; s < 2; ++s) {
    const Mat want = ref.hidden(s == 0 ? a : b);
    for (size_t t = 0; t < 9; ++t) {
      for (size_t j = 0; j < 16; ++j) {
        worst = std::max(worst, std::abs(want[t][j] - got[(s * 9 + t) * 16 + j]));
      }
    }
  }
  EXPECT_LT(worst, 2e-4) << "hidden states differ from the reference";
  const std::vector<float> pooled = model.pooled(from_ints(a, {1, 9})).to_vector();
  const std::vector<double> want = ref.pooled(a);
  for (size_t j = 0; j < want.size(); ++j) EXPECT_NEAR(pooled[j], want[j], 1e-5) << j;
}

TEST(BertModel, AttentionIsBidirectional) {
  BertModel model(tiny_config(), 3);
  std::vector<int32_t> ids = random_ids(6, 40, 5);
  const std::vector<float> before = model.forward(from_ints(ids, {1, 6})).to_vector();
  ids.back() = (ids.back() + 1) % 40;  // change only the last token
  const std::vector<float> after = model.forward(from_ints(ids, {1, 6})).to_vector();
  double change_first = 0.0;
  for (size_t j = 0; j < 16; ++j) change_first += std::abs(before[j] - after[j]);
  EXPECT_GT(change_first, 1e-3) << "the first token does not see the last one";
}

TEST(BertModel, LayerGradientMatchesFiniteDifferences) {
  BertConfig c = tiny_config();
  c.init_std = 0.2f;
  Generator gen(4);
  BertLayer layer(c, gen);
  const Tensor x = randn({2, 4, 16}, gen);
  autograd::TensorFn f = [&layer](const std::vector<Tensor>& in) { return layer.forward(in[0]); };
  autograd::GradcheckOptions o;
  o.eps = 1e-3f;
  const autograd::GradcheckResult r = autograd::gradcheck(f, {x}, o);
  EXPECT_TRUE(r.ok) << r.message;
}

TEST(BertModel, EmbedGroupsEqualLengthsAndKeepsOrder) {
  BertModel model(tiny_config(), 11);
  const std::vector<std::vector<int32_t>> seqs = {random_ids(3, 40, 1), random_ids(7, 40, 2),
                                                  random_ids(3, 40, 3), random_ids(1, 40, 4)};
  const Tensor e = model.embed(seqs);
  ASSERT_EQ(e.shape(), (Shape{4, 16}));
  for (size_t i = 0; i < seqs.size(); ++i) {
    const std::vector<float> one =
        model.pooled(from_ints(seqs[i], {1, static_cast<int64_t>(seqs[i].size())})).to_vector();
    const std::vector<float> row = llmkit::select(e, 0, static_cast<int64_t>(i)).to_vector();
    double norm = 0.0;
    for (size_t j = 0; j < 16; ++j) {
      EXPECT_NEAR(row[j], one[j], 1e-6) << "sequence " << i << " element " << j;
      norm += row[j] * row[j];
    }
    EXPECT_NEAR(norm, 1.0, 1e-5);
  }
  test::expect_error(
      [&] {
        model.forward(from_ints(random_ids(13, 40, 1), {1, 13}));
      },
      ErrorCode::kInvalidArgument, {"n_ctx = 12"});
}

TEST(BertModel, ConfigJsonRoundTrip) {
  BertConfig c = tiny_config();
  const BertConfig back = bert_config_from_json(bert_config_to_json(c));
  EXPECT_EQ(back.n_vocab, c.n_vocab);
  EXPECT_EQ(back.n_ff, c.n_ff);
  EXPECT_EQ(back.norm_eps, c.norm_eps);
  test::expect_error(
      [] { bert_config_from_json("{\"n_vocab\": 9, \"n_head\": 5, \"n_embd\": 16}"); },
      ErrorCode::kInvalidArgument, {"multiple of n_head"});
  test::expect_error([] { bert_config_from_json("{\"heads\": 4}", "x.json"); },
                     ErrorCode::kCorruptData, {"x.json", "heads"});
}

std::string temp_path(const std::string& name) {
  return (fs::temp_directory_path() / (name + "_" + std::to_string(::getpid()))).string();
}

TEST(BertGguf, ExportReadsBackWithLlamaCppNamesAndKeys) {
  BertModel model(tiny_config(), 21);
  randomize_norms(model, 22);
  const std::string path = temp_path("bert_export.gguf");
  {
    io::GgufWriter writer;
    add_bert_to_gguf(model, {}, writer);
    writer.write(path);
  }
  io::GgufFile file(path);
  EXPECT_EQ(file.get_string("general.architecture"), "bert");
  EXPECT_EQ(file.get_int("bert.context_length"), 12);
  EXPECT_EQ(file.get_int("bert.embedding_length"), 16);
  EXPECT_EQ(file.get_int("bert.feed_forward_length"), 24);
  EXPECT_EQ(file.get_int("bert.block_count"), 2);
  EXPECT_EQ(file.get_int("bert.attention.head_count"), 4);
  EXPECT_FLOAT_EQ(static_cast<float>(file.get_float("bert.attention.layer_norm_epsilon")), 1e-5f);
  EXPECT_FALSE(file.get("bert.attention.causal").as_bool());
  EXPECT_EQ(file.get_int("bert.pooling_type"), 1);
  EXPECT_EQ(file.get_int("tokenizer.ggml.token_type_count"), 2);
  EXPECT_EQ(file.get("bert.context_length").type(), io::GgufValueType::kU32);

  // llama.cpp's names (src/llama-arch.cpp) and ggml shapes ne = {cols, rows}.
  const std::map<std::string, std::vector<int64_t>> expected_ne = {
      {"token_embd.weight", {16, 40}},       {"token_types.weight", {16, 2}},
      {"position_embd.weight", {16, 12}},    {"token_embd_norm.weight", {16}},
      {"token_embd_norm.bias", {16}},        {"blk.0.attn_q.weight", {16, 16}},
      {"blk.0.attn_q.bias", {16}},           {"blk.1.attn_k.weight", {16, 16}},
      {"blk.1.attn_v.bias", {16}},           {"blk.0.attn_output.weight", {16, 16}},
      {"blk.0.attn_output_norm.bias", {16}}, {"blk.1.ffn_up.weight", {16, 24}},
      {"blk.1.ffn_up.bias", {24}},           {"blk.1.ffn_down.weight", {24, 16}},
      {"blk.1.ffn_down.bias", {16}},         {"blk.1.layer_output_norm.weight", {16}},
  };
  for (const auto& [name, ne] : expected_ne) {
    const io::GgufTensorInfo* info = file.find_tensor(name);
    ASSERT_NE(info, nullptr) << name;
    EXPECT_EQ(info->ne, ne) << name;
    EXPECT_EQ(info->type, io::GgmlType::kF32) << name;
  }
  const nn::NamedTensors params = model.named_parameters();
  ASSERT_EQ(file.tensors().size(), params.size());
  for (const auto& [name, t] : params) {
    EXPECT_EQ(file.tensor(name).to_vector(), t.to_vector()) << name;
  }
  const BertConfig back = bert_config_from_gguf(file);
  EXPECT_EQ(back.n_vocab, 40);
  EXPECT_EQ(back.n_token_types, 2);
  auto loaded = load_bert_from_gguf(file);
  const Tensor ids = from_ints(random_ids(8, 40, 9), {1, 8});
  EXPECT_EQ(loaded->pooled(ids).to_vector(), model.pooled(ids).to_vector());
  fs::remove(path);
}

TEST(BertGguf, F16MatricesKeepNormsInF32) {
  BertModel model(tiny_config(), 31);
  const std::string path = temp_path("bert_export_f16.gguf");
  {
    io::GgufWriter writer;
    BertExportOptions options;
    options.type = io::GgmlType::kF16;
    add_bert_to_gguf(model, options, writer);
    writer.write(path);
  }
  io::GgufFile file(path);
  EXPECT_EQ(file.get_int("general.file_type"), 1);
  for (const auto& [name, t] : model.named_parameters()) {
    const io::GgufTensorInfo& info = file.tensor_info(name);
    EXPECT_EQ(info.type, t.dim() == 1 ? io::GgmlType::kF32 : io::GgmlType::kF16) << name;
    const std::vector<float> want = t.to_vector(), got = file.tensor(name).to_vector();
    for (size_t i = 0; i < want.size(); ++i) {
      // f16 keeps 11 significant bits: relative error <= 2^-11 (normal range).
      EXPECT_NEAR(got[i], want[i], std::abs(want[i]) * 0x1p-11 + 1e-7) << name << " " << i;
    }
  }
  fs::remove(path);
}

TEST(BertGguf, RejectsOtherArchitectures) {
  const std::string path = temp_path("not_bert.gguf");
  {
    io::GgufWriter writer;
    writer.set("general.architecture", io::GgufValue::string("llama"));
    writer.write(path);
  }
  io::GgufFile file(path);
  test::expect_error([&] { bert_config_from_gguf(file); }, ErrorCode::kUnsupported,
                     {"llama", "not a bert"});
  fs::remove(path);
}

}  // namespace
}  // namespace llmkit::models
