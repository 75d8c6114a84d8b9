// quantize_gguf / quantize_tensor_type: the type rules against llama.cpp's llama_tensor_get_type
// for pure types (written out case by case here), and a hand-built GGUF file re-quantized and read
// back: metadata kept (plus file type and quantization version), tensors in order, converted rows
// equal quantize_row of the source floats, same-type tensors copied byte for byte, 1-D tensors in
// f32, and the result independent of the thread count.
#include "llmkit/models/gguf_quantize.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "llmkit/io/quantize.h"
#include "llmkit/tensor/dtype.h"
#include "tests/io/gguf_test_util.h"
#include "tests/support/random_floats.h"

namespace llmkit::models {
namespace {

using io::GgmlType;

GgmlType type_for(const std::string& name, std::vector<int64_t> ne, bool tied,
                  const QuantizeOptions& o, GgmlType stored = GgmlType::kF32) {
  return quantize_tensor_type(name, ne, stored, tied, o);
}

QuantizeOptions opts(GgmlType t) {
  QuantizeOptions o;
  o.type = t;
  return o;
}

TEST(QuantizeTensorType, LlamaQuantizeRulesForPureTypes) {
  for (GgmlType t : {GgmlType::kQ4_0, GgmlType::kQ4_K, GgmlType::kQ6_K}) {
    const QuantizeOptions o = opts(t);
    // output.weight, and token_embd when tied: q6_K for 4/6-bit targets ...
    EXPECT_EQ(type_for("output.weight", {512, 100}, false, o), GgmlType::kQ6_K);
    EXPECT_EQ(type_for("token_embd.weight", {512, 100}, true, o), GgmlType::kQ6_K);
    // ... q8_0 when the rows do not fit the target's block (256 for K-quants; for q4_0 rows that
    // do not fit 32 do not fit q8_0 either: f16).
    if (t == GgmlType::kQ4_0) {
      EXPECT_EQ(type_for("output.weight", {48, 100}, false, o), GgmlType::kF16);
    } else {
      EXPECT_EQ(type_for("output.weight", {640, 100}, false, o), GgmlType::kQ8_0);
      EXPECT_EQ(type_for("token_embd.weight", {640, 100}, true, o), GgmlType::kQ8_0);
    }
    // Untied token_embd and every other matrix: the target.
    EXPECT_EQ(type_for("token_embd.weight", {512, 100}, false, o), t);
    EXPECT_EQ(type_for("blk.3.attn_v.weight", {512, 64}, false, o), t);
    EXPECT_EQ(type_for("blk.3.ffn_down.weight", {1024, 64}, true, o), t);
  }
  const QuantizeOptions q8 = opts(GgmlType::kQ8_0);
  EXPECT_EQ(type_for("output.weight", {512, 100}, false, q8), GgmlType::kQ8_0);
  EXPECT_EQ(type_for("token_embd.weight", {512, 100}, true, q8), GgmlType::kQ8_0);
  // Float targets: every matrix, output included.
  for (GgmlType t : {GgmlType::kF32, GgmlType::kF16, GgmlType::kBF16}) {
    EXPECT_EQ(type_for("output.weight", {512, 100}, false, opts(t)), t);
    EXPECT_EQ(type_for("token_embd.weight", {640, 100}, true, opts(t)), t);
    EXPECT_EQ(type_for("blk.0.attn_q.weight", {40, 8}, false, opts(t)), t);
  }
}

TEST(QuantizeTensorType, OverridesFallbacksAndNonMatrices) {
  QuantizeOptions o = opts(GgmlType::kQ4_K);
  o.output_type = GgmlType::kQ8_0;
  EXPECT_EQ(type_for("output.weight", {512, 10}, false, o), GgmlType::kQ8_0);
  EXPECT_EQ(type_for("token_embd.weight", {512, 10}, true, o), GgmlType::kQ8_0);  // tied
  EXPECT_EQ(type_for("token_embd.weight", {512, 10}, false, o), GgmlType::kQ4_K);
  o.token_embedding_type = GgmlType::kF16;  // wins over the output's type even when tied
  EXPECT_EQ(type_for("token_embd.weight", {512, 10}, true, o), GgmlType::kF16);
  o.output_type = GgmlType::kQ6_K;
  EXPECT_EQ(type_for("output.weight", {96, 10}, false, o), GgmlType::kQ8_0);  // q6_K fallback
  // Fallbacks: q6_K -> q8_0 (llama.cpp), q4_K -> q8_0 (llama.cpp: q5_0), then f16.
  EXPECT_EQ(type_for("blk.0.attn_q.weight", {96, 8}, false, opts(GgmlType::kQ6_K)),
            GgmlType::kQ8_0);
  EXPECT_EQ(type_for("blk.0.attn_q.weight", {96, 8}, false, opts(GgmlType::kQ4_K)),
            GgmlType::kQ8_0);
  EXPECT_EQ(type_for("blk.0.attn_q.weight", {40, 8}, false, opts(GgmlType::kQ4_K)), GgmlType::kF16);
  EXPECT_EQ(type_for("blk.0.attn_q.weight", {40, 8}, false, opts(GgmlType::kQ4_0)), GgmlType::kF16);
  EXPECT_EQ(type_for("blk.0.attn_q.weight", {40, 8}, false, opts(GgmlType::kQ8_0)), GgmlType::kF16);
  // 1-D tensors: f32 whatever they were; 2-D norms and non-weights: unchanged.
  EXPECT_EQ(type_for("blk.0.attn_norm.weight", {512}, false, o, GgmlType::kF16), GgmlType::kF32);
  EXPECT_EQ(type_for("rope_freqs.weight", {32}, false, o), GgmlType::kF32);
  EXPECT_EQ(type_for("blk.0.ssm_norm.weight", {512, 2}, false, o, GgmlType::kBF16),
            GgmlType::kBF16);
  EXPECT_EQ(type_for("blk.0.attn_q.bias", {512, 2}, false, o), GgmlType::kF32);
}

class QuantizeGguf : public io::test::TempDirTest {};

std::vector<float> randn(int64_t n, uint32_t seed) {
  return llmkit::test::normal_floats(n, seed, 0.5f);
}

std::string as_bytes(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

// Rows of `row` floats quantized one by one with quantize_row.
std::string quantized(const std::vector<float>& v, int64_t row, GgmlType t) {
  const int64_t rb = io::ggml_row_bytes(t, row);
  std::string out;
  std::string buf(static_cast<size_t>(rb), '\0');
  for (size_t r = 0; r < v.size() / static_cast<size_t>(row); ++r) {
    io::quantize_row(t, v.data() + r * row, buf.data(), row);
    out += buf;
  }
  return out;
}

TEST_F(QuantizeGguf, FileRoundTrip) {
  // Rows: token_embd 512 (tied: q6_K), attn_q 256 (q4_K), ffn_down 96 (fallback q8_0), odd 40
  // (f16), ffn_up stored q8_0 (requantized to q4_K), norm stored f16 (-> f32).
  const std::vector<float> embd = randn(512 * 300, 1), q = randn(256 * 64, 2),
                           down = randn(96 * 16, 3), odd = randn(40 * 4, 4), up = randn(256 * 8, 5);
  std::vector<uint16_t> norm(256);
  for (size_t i = 0; i < norm.size(); ++i)
    norm[i] = f32_to_f16(1.0f + 0.01f * static_cast<float>(i));
  io::GgufWriter w;
  w.set("general.architecture", io::GgufValue::string("llama"));
  w.set("general.file_type", io::GgufValue::u32(0));
  w.set("custom.tokens", io::GgufValue::string_array({"a", "b", "<s>"}));
  w.set("custom.scale", io::GgufValue::f32(0.25f));
  w.add_tensor("token_embd.weight", GgmlType::kF32, {512, 300}, as_bytes(embd));
  w.add_tensor("blk.0.attn_q.weight", GgmlType::kF32, {256, 64}, as_bytes(q));
  w.add_tensor("blk.0.ffn_down.weight", GgmlType::kF32, {96, 16}, as_bytes(down));
  w.add_tensor("blk.0.odd.weight", GgmlType::kF32, {40, 4}, as_bytes(odd));
  w.add_tensor("blk.0.ffn_up.weight", GgmlType::kQ8_0, {256, 8},
               quantized(up, 256, GgmlType::kQ8_0));
  w.add_tensor("blk.0.attn_norm.weight", GgmlType::kF16, {256},
               std::string(reinterpret_cast<const char*>(norm.data()), 512));
  w.write(file("in.gguf"));

  const io::GgufFile in(file("in.gguf"));
  QuantizeOptions o = opts(GgmlType::kQ4_K);
  for (int threads : {1, 3}) {
    o.n_threads = threads;
    io::GgufWriter out;
    const QuantizeSummary s = quantize_gguf(in, o, out);
    out.write(file(str_cat("out", threads, ".gguf")));
    EXPECT_EQ(s.converted, 6);
    EXPECT_EQ(s.requantized, 1);
    EXPECT_EQ(s.fallbacks, 2);
    EXPECT_EQ(s.tensors_per_type.at(GgmlType::kQ4_K), 2);
    EXPECT_EQ(s.tensors_per_type.at(GgmlType::kF32), 1);
  }
  const io::GgufFile a(file("out1.gguf")), b(file("out3.gguf"));
  // Metadata: every key in order and value, file_type replaced (Q4_K_M = 15), version appended.
  ASSERT_EQ(a.metadata().size(), 5u);
  EXPECT_EQ(a.metadata()[0].first, "general.architecture");
  EXPECT_EQ(a.get("general.file_type"), io::GgufValue::u32(15));
  EXPECT_EQ(a.get("custom.tokens"), io::GgufValue::string_array({"a", "b", "<s>"}));
  EXPECT_EQ(a.get("custom.scale"), io::GgufValue::f32(0.25f));
  EXPECT_EQ(a.metadata()[4].first, "general.quantization_version");
  EXPECT_EQ(a.get("general.quantization_version"), io::GgufValue::u32(2));

  struct Want {
    const char* name;
    GgmlType type;
    std::string bytes;
  };
  std::vector<float> up_f32(up.size());
  const std::string up_q8 = quantized(up, 256, GgmlType::kQ8_0);
  for (int r = 0; r < 8; ++r) {
    io::dequantize_row(GgmlType::kQ8_0, up_q8.data() + r * 272, up_f32.data() + r * 256, 256);
  }
  std::vector<float> norm_f32(256);
  for (size_t i = 0; i < 256; ++i) norm_f32[i] = f16_to_f32(norm[i]);
  const Want want[] = {
      {"token_embd.weight", GgmlType::kQ6_K, quantized(embd, 512, GgmlType::kQ6_K)},
      {"blk.0.attn_q.weight", GgmlType::kQ4_K, quantized(q, 256, GgmlType::kQ4_K)},
      {"blk.0.ffn_down.weight", GgmlType::kQ8_0, quantized(down, 96, GgmlType::kQ8_0)},
      {"blk.0.odd.weight", GgmlType::kF16, quantized(odd, 40, GgmlType::kF16)},
      {"blk.0.ffn_up.weight", GgmlType::kQ4_K, quantized(up_f32, 256, GgmlType::kQ4_K)},
      {"blk.0.attn_norm.weight", GgmlType::kF32, as_bytes(norm_f32)},
  };
  ASSERT_EQ(a.tensors().size(), 6u);
  for (size_t i = 0; i < 6; ++i) {
    const io::GgufTensorInfo& t = a.tensors()[i];
    EXPECT_EQ(t.name, want[i].name);
    EXPECT_EQ(t.type, want[i].type) << t.name;
    EXPECT_EQ(t.ne, in.tensors()[i].ne) << t.name;
    ASSERT_EQ(t.n_bytes, want[i].bytes.size()) << t.name;
    EXPECT_EQ(std::memcmp(t.data, want[i].bytes.data(), t.n_bytes), 0) << t.name;
    const io::GgufTensorInfo& u = b.tensors()[i];
    ASSERT_EQ(u.n_bytes, t.n_bytes);
    EXPECT_EQ(std::memcmp(t.data, u.data, t.n_bytes), 0) << t.name << " depends on threads";
  }

  // Same type: a byte copy (q8_0 stays exactly as stored).
  io::GgufWriter out;
  quantize_gguf(in, opts(GgmlType::kQ8_0), out);
  out.write(file("q8.gguf"));
  const io::GgufFile c(file("q8.gguf"));
  const io::GgufTensorInfo& copied = c.tensor_info("blk.0.ffn_up.weight");
  EXPECT_EQ(copied.type, GgmlType::kQ8_0);
  EXPECT_EQ(std::memcmp(copied.data, up_q8.data(), up_q8.size()), 0);
}

TEST_F(QuantizeGguf, RejectsUnwritableTypes) {
  io::GgufWriter w;
  w.add_tensor("a.weight", GgmlType::kF32, {32, 1}, std::string(128, '\0'));
  w.write(file("in.gguf"));
  const io::GgufFile in(file("in.gguf"));
  io::GgufWriter out;
  EXPECT_THROW(quantize_gguf(in, opts(GgmlType::kQ5_K), out), Error);
  QuantizeOptions o = opts(GgmlType::kQ8_0);
  o.output_type = GgmlType::kQ2_K;
  EXPECT_THROW(quantize_gguf(in, o, out), Error);
}

}  // namespace
}  // namespace llmkit::models
