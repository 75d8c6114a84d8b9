// GGUF: write -> read round trips of every value type and weight type, byte-identical rewrites,
// a hand-encoded file, an independent reader (@huggingface/gguf via tests/io/gguf_oracle.mjs),
// tensor() loading, accessors and writer errors. Malformed files: gguf_malformed_test.cpp.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "llmkit/io/gguf.h"
#include "llmkit/io/quantize.h"
#include "llmkit/tensor/creation.h"
#include "tests/io/gguf_test_util.h"

namespace llmkit::io {
namespace {

using nlohmann::json;
using test::Bytes;
using test::read_bytes;
using V = GgufValue;
using T = GgufValueType;
using Metadata = std::vector<std::pair<std::string, GgufValue>>;

class GgufTest : public test::TempDirTest {};

// Metadata with every value type: scalars at their limits, strings (empty, UTF-8), arrays of each
// element type, an empty array and nested arrays.
Metadata sample_metadata() {
  const float inf = std::numeric_limits<float>::infinity();
  Metadata m = {
      {"general.architecture", V::string("llama")},
      {"t.u8", V::u8(255)},
      {"t.i8", V::i8(-128)},
      {"t.u16", V::u16(65535)},
      {"t.i16", V::i16(-32768)},
      {"t.u32", V::u32(4294967295u)},
      {"t.i32", V::i32(std::numeric_limits<int32_t>::min())},
      {"t.u64", V::u64(std::numeric_limits<uint64_t>::max())},
      {"t.i64", V::i64(std::numeric_limits<int64_t>::min())},
      {"t.f32", V::f32(3.14159274f)},
      {"t.f32.neg_zero", V::f32(-0.0f)},
      {"t.f32.inf", V::f32(-inf)},
      {"t.f64", V::f64(-1.0e300)},
      {"t.bool.true", V::boolean(true)},
      {"t.bool.false", V::boolean(false)},
      {"t.string", V::string("hello")},
      {"t.string.empty", V::string("")},
      {"t.string.utf8", V::string("h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93 \xe6\x97\xa5\xe6\x9c\xac "
                                  "\xf0\x9f\x98\x80")},
      {"t.arr.u8", V::array(T::kU8, {V::u8(0), V::u8(7), V::u8(255)})},
      {"t.arr.i8", V::array(T::kI8, {V::i8(-1), V::i8(127)})},
      {"t.arr.u16", V::array(T::kU16, {V::u16(1), V::u16(60000)})},
      {"t.arr.i16", V::array(T::kI16, {V::i16(-300)})},
      {"t.arr.u32", V::array(T::kU32, {V::u32(1), V::u32(2), V::u32(3)})},
      {"t.arr.i32", V::i32_array({-1, 0, 1, 2147483647})},
      {"t.arr.u64", V::array(T::kU64, {V::u64(0), V::u64(1ull << 63)})},
      {"t.arr.i64", V::array(T::kI64, {V::i64(-5), V::i64(1ll << 40)})},
      {"t.arr.f32", V::f32_array({0.5f, -2.0f, 1.0e-20f, inf})},
      {"t.arr.f64", V::array(T::kF64, {V::f64(0.1), V::f64(-0.25)})},
      {"t.arr.bool", V::array(T::kBool, {V::boolean(true), V::boolean(false)})},
      {"t.arr.string", V::string_array({"a", "", "\xe2\x82\xac", "<s>"})},
      {"t.arr.empty", V::array(T::kString, {})},
      {"t.arr.nested", V::array(T::kArray, {V::i32_array({1, 2}), V::i32_array({}),
                                            V::array(T::kArray, {V::string_array({"x"})})})},
  };
  return m;
}

struct SampleTensor {
  std::string name;
  GgmlType type;
  std::vector<int64_t> ne;
  std::string bytes;  // expected data bytes
};

std::string raw_bytes(const Tensor& t) {
  return std::string(static_cast<const char*>(t.raw_data()), t.nbytes());
}

std::string quantized_bytes(GgmlType type, const Tensor& t) {
  const int64_t row = t.shape().back();
  std::vector<float> v = t.to_vector();
  std::string out;
  std::string buf(static_cast<size_t>(ggml_row_bytes(type, row)), '\0');
  for (int64_t r = 0; r < t.numel() / row; ++r) {
    quantize_row(type, v.data() + r * row, buf.data(), row);
    out += buf;
  }
  return out;
}

// Adds f32 / f16 / bf16 / q8_0 / q4_0 tensors (and a scalar, an empty tensor, raw q4_K bytes) to
// the writer; returns what the file must hold.
std::vector<SampleTensor> add_sample_tensors(GgufWriter& w) {
  Generator gen(3);
  std::vector<SampleTensor> out;
  Tensor f32 = randn({3, 64}, gen);
  Tensor f16 = randn({2, 3, 32}, gen, 0.0f, 1.0f, DType::kF16);
  Tensor bf16 = randn({5}, gen, 0.0f, 4.0f, DType::kBF16);
  Tensor q8 = randn({4, 64}, gen);
  Tensor q4 = randn({2, 32}, gen);
  w.add_tensor("token_embd.weight", f32, GgmlType::kF32);
  out.push_back({"token_embd.weight", GgmlType::kF32, {64, 3}, raw_bytes(f32)});
  w.add_tensor("blk.0.attn_q.weight", f16, GgmlType::kF16);
  out.push_back({"blk.0.attn_q.weight", GgmlType::kF16, {32, 3, 2}, raw_bytes(f16)});
  w.add_tensor("output_norm.weight", bf16, GgmlType::kBF16);
  out.push_back({"output_norm.weight", GgmlType::kBF16, {5}, raw_bytes(bf16)});
  w.add_tensor("blk.0.ffn_up.weight", q8, GgmlType::kQ8_0);
  out.push_back(
      {"blk.0.ffn_up.weight", GgmlType::kQ8_0, {64, 4}, quantized_bytes(GgmlType::kQ8_0, q8)});
  w.add_tensor("blk.0.ffn_down.weight", q4, GgmlType::kQ4_0);
  out.push_back(
      {"blk.0.ffn_down.weight", GgmlType::kQ4_0, {32, 2}, quantized_bytes(GgmlType::kQ4_0, q4)});
  Tensor s = scalar(2.5f);
  w.add_tensor("scalar", s, GgmlType::kF32);
  out.push_back({"scalar", GgmlType::kF32, {}, raw_bytes(s)});
  w.add_tensor("empty", zeros({0, 32}), GgmlType::kQ8_0);
  out.push_back({"empty", GgmlType::kQ8_0, {32, 0}, ""});
  std::string k4(144, '\0');
  for (size_t i = 0; i < k4.size(); ++i) k4[i] = static_cast<char>(i * 37 + 11);
  k4[0] = 0;  // d = f16 0x3c00 = 1.0, dmin = f16 0x2c00 = 1/16
  k4[1] = 0x3c;
  k4[2] = 0;
  k4[3] = 0x2c;
  w.add_tensor("raw.q4_k", GgmlType::kQ4_K, {256}, k4);
  out.push_back({"raw.q4_k", GgmlType::kQ4_K, {256}, k4});
  return out;
}

void expect_file_holds(const GgufFile& f, const Metadata& meta,
                       const std::vector<SampleTensor>& tensors) {
  EXPECT_EQ(f.version(), 3u);
  EXPECT_EQ(f.metadata(), meta);  // values, types and order
  ASSERT_EQ(f.tensors().size(), tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    const GgufTensorInfo& t = f.tensors()[i];
    const SampleTensor& want = tensors[i];
    EXPECT_EQ(t.name, want.name);
    EXPECT_EQ(t.type, want.type) << want.name;
    EXPECT_EQ(t.ne, want.ne) << want.name;
    EXPECT_EQ(t.n_bytes, want.bytes.size()) << want.name;
    EXPECT_EQ(t.offset % f.alignment(), 0u) << want.name;
    EXPECT_EQ((t.data - f.mapping()->data()) % f.alignment(), 0) << want.name;
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(t.data), t.n_bytes), want.bytes)
        << want.name;
    EXPECT_EQ(&f.tensor_info(want.name), &t);
  }
}

TEST_F(GgufTest, RoundTripEveryValueAndWeightType) {
  GgufWriter w;
  const Metadata meta = sample_metadata();
  for (const auto& [k, v] : meta) w.set(k, v);
  w.set("t.u8", V::u8(255));  // replacing a key keeps its position
  const std::vector<SampleTensor> tensors = add_sample_tensors(w);
  EXPECT_EQ(w.tensor_count(), tensors.size());
  w.write(file("a.gguf"));

  GgufFile f(file("a.gguf"));
  EXPECT_EQ(f.path(), file("a.gguf"));
  EXPECT_EQ(f.alignment(), 32u);
  EXPECT_EQ(f.data_start() % 32, 0u);
  expect_file_holds(f, meta, tensors);

  // Writing what was read gives the same bytes.
  GgufWriter again;
  for (const auto& [k, v] : f.metadata()) again.set(k, v);
  for (const GgufTensorInfo& t : f.tensors()) {
    again.add_tensor(t.name, t.type, t.ne,
                     std::string(reinterpret_cast<const char*>(t.data), t.n_bytes));
  }
  again.write(file("b.gguf"));
  EXPECT_EQ(read_bytes(file("b.gguf")), read_bytes(file("a.gguf")));
}

TEST_F(GgufTest, MatchesHandEncodedFile) {
  // Encoded by hand from the format description: 2 metadata pairs, a 2x2 f32 tensor and an f16
  // vector, data padded to 32 bytes.
  Bytes b;
  b.header(2, 2).kv_str("general.architecture", "gemma3").kv_u32("gemma3.block_count", 18);
  b.tensor("w", {2, 2}, 0, 0).tensor("v", {3}, 1, 32).pad(32);
  const uint64_t data_start = b.s.size();
  for (float x : {1.0f, -2.0f, 0.5f, 8.0f}) b.u32(f32_bits(x));
  b.pad(32);
  for (float x : {1.0f, -1.5f, 65504.0f}) b.uint(f32_to_f16(x), 2);
  b.pad(32);
  test::write_bytes(file("hand.gguf"), b.s);

  GgufFile f(file("hand.gguf"));
  EXPECT_EQ(f.data_start(), data_start);
  EXPECT_EQ(f.get_string("general.architecture"), "gemma3");
  EXPECT_EQ(f.get_int("gemma3.block_count"), 18);
  EXPECT_EQ(f.tensor("w").shape(), (Shape{2, 2}));
  EXPECT_EQ(f.tensor("w").to_vector(), (std::vector<float>{1.0f, -2.0f, 0.5f, 8.0f}));
  EXPECT_EQ(f.tensor("v").to_vector(), (std::vector<float>{1.0f, -1.5f, 65504.0f}));

  // llmkit's writer encodes the same content to the same bytes.
  GgufWriter w;
  w.set("general.architecture", V::string("gemma3"));
  w.set("gemma3.block_count", V::u32(18));
  w.add_tensor("w", from_vector({1.0f, -2.0f, 0.5f, 8.0f}, {2, 2}), GgmlType::kF32);
  w.add_tensor("v", from_vector({1.0f, -1.5f, 65504.0f}, {3}, DType::kF16), GgmlType::kF16);
  w.write(file("llmkit.gguf"));
  EXPECT_EQ(read_bytes(file("llmkit.gguf")), b.s);

  // Version 2 has the same layout and is read too.
  b.s[4] = 2;
  test::write_bytes(file("v2.gguf"), b.s);
  EXPECT_EQ(GgufFile(file("v2.gguf")).version(), 2u);
}

TEST_F(GgufTest, CustomAlignment) {
  GgufWriter w;
  w.set("general.alignment", V::u32(64));
  Generator gen(1);
  w.add_tensor("a", randn({3}, gen), GgmlType::kF32);
  w.add_tensor("b", randn({2, 32}, gen), GgmlType::kQ8_0);
  w.write(file("a.gguf"));
  GgufFile f(file("a.gguf"));
  EXPECT_EQ(f.alignment(), 64u);
  EXPECT_EQ(f.data_start() % 64, 0u);
  EXPECT_EQ(f.tensors()[1].offset, 64u);

  // Alignment 1 packs tensors back to back, so an f32 tensor may be misaligned in memory: tensor()
  // then copies instead of borrowing.
  GgufWriter packed;
  packed.set("general.alignment", V::u32(1));
  packed.add_tensor("h", from_vector({1.0f}, {1}, DType::kF16), GgmlType::kF16);
  packed.add_tensor("x", from_vector({1.0f, 2.0f, 3.0f}, {3}), GgmlType::kF32);
  packed.write(file("packed.gguf"));
  GgufFile p(file("packed.gguf"));
  EXPECT_EQ(p.tensors()[1].offset, 2u);
  EXPECT_EQ(p.tensor("x").to_vector(), (std::vector<float>{1.0f, 2.0f, 3.0f}));
}

// Tagged JSON of a value, as tests/io/gguf_oracle.mjs prints what @huggingface/gguf parsed.
json oracle_form(const GgufValue& v) {
  switch (v.type()) {
    case T::kU64:
      return {{"big", std::to_string(v.bits())}};
    case T::kI64:
      return {{"big", std::to_string(v.as_int())}};
    case T::kF32:
    case T::kF64: {
      const double d = v.as_float();
      if (std::isnan(d)) return {{"num", "NaN"}};
      if (std::isinf(d)) return {{"num", d > 0 ? "Infinity" : "-Infinity"}};
      return {{"num", d}};
    }
    case T::kBool:
      return {{"bool", v.as_bool()}};
    case T::kString:
      return {{"str", v.as_string()}};
    case T::kArray: {
      json a = json::array();
      for (const GgufValue& e : v.elems()) a.push_back(oracle_form(e));
      return {{"arr", a}};
    }
    default:
      return {{"num", v.as_int()}};
  }
}

TEST_F(GgufTest, IndependentReaderAgrees) {
  const std::string root = LLMKIT_SOURCE_DIR;
  ASSERT_EQ(std::system("command -v node >/dev/null 2>&1"), 0)
      << "node is not installed: run scripts/setup.sh";
  ASSERT_TRUE(test::fs::exists(root + "/data/npm/node_modules/@huggingface/gguf/package.json"))
      << "the test oracle @huggingface/gguf is missing from data/npm/: run scripts/setup.sh";

  GgufWriter w;
  for (const auto& [k, v] : sample_metadata()) w.set(k, v);
  add_sample_tensors(w);
  w.write(file("a.gguf"));
  GgufFile f(file("a.gguf"));

  const std::string cmd =
      "node '" + root + "/tests/io/gguf_oracle.mjs' '" + file("a.gguf") + "' 2>&1";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr) << cmd;
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
  const int status = ::pclose(pipe);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << cmd << " failed:\n"
      << out << "\n(run scripts/setup.sh to install the oracle)";
  const json got = json::parse(out);

  EXPECT_EQ(got["version"], 3);
  EXPECT_EQ(got["tensor_count"], std::to_string(f.tensors().size()));
  EXPECT_EQ(got["kv_count"], std::to_string(f.metadata().size()));
  EXPECT_EQ(got["tensor_data_offset"], std::to_string(f.data_start()));
  ASSERT_EQ(got["metadata"].size(), f.metadata().size());
  for (size_t i = 0; i < f.metadata().size(); ++i) {
    const auto& [key, value] = f.metadata()[i];
    const json& m = got["metadata"][i];
    EXPECT_EQ(m["key"], key);
    EXPECT_EQ(m["type"], static_cast<uint32_t>(value.type())) << key;
    if (value.type() == T::kArray)
      EXPECT_EQ(m["sub_type"], static_cast<uint32_t>(value.elem_type())) << key;
    EXPECT_EQ(m["value"], oracle_form(value)) << key;
  }
  ASSERT_EQ(got["tensors"].size(), f.tensors().size());
  for (size_t i = 0; i < f.tensors().size(); ++i) {
    const GgufTensorInfo& t = f.tensors()[i];
    const json& g = got["tensors"][i];
    EXPECT_EQ(g["name"], t.name);
    EXPECT_EQ(g["n_dims"], t.ne.size()) << t.name;
    json shape = json::array();
    for (int64_t d : t.ne) shape.push_back(std::to_string(d));
    EXPECT_EQ(g["shape"], shape) << t.name;
    EXPECT_EQ(g["type"], static_cast<uint32_t>(t.type)) << t.name;
    EXPECT_EQ(g["offset"], std::to_string(t.offset)) << t.name;
  }
}

bool borrows_mapping(const GgufFile& f, const Tensor& t) {
  const uint8_t* p = static_cast<const uint8_t*>(t.raw_data());
  return p >= f.mapping()->data() && p < f.mapping()->data() + f.mapping()->size();
}

TEST_F(GgufTest, TensorLoading) {
  Generator gen(5);
  Tensor f32 = randn({3, 4}, gen);
  Tensor f16 = randn({2, 2, 3}, gen, 0.0f, 1.0f, DType::kF16);
  Tensor bf16 = randn({7}, gen, 0.0f, 1.0f, DType::kBF16);
  Tensor q = randn({3, 64}, gen);
  GgufWriter w;
  w.add_tensor("f32", f32, GgmlType::kF32);
  w.add_tensor("f16", f16, GgmlType::kF16);
  w.add_tensor("bf16", bf16, GgmlType::kBF16);
  w.add_tensor("q8", q, GgmlType::kQ8_0);
  w.add_tensor("q4", q, GgmlType::kQ4_0);
  w.add_tensor("q5k", GgmlType::kQ5_K, {256}, std::string(176, '\0'));
  w.write(file("a.gguf"));
  GgufFile f(file("a.gguf"));

  for (const auto& [name, want] : {std::pair{"f32", f32}, {"f16", f16}, {"bf16", bf16}}) {
    Tensor t = f.tensor(name);
    EXPECT_EQ(t.dtype(), want.dtype()) << name;
    EXPECT_EQ(t.shape(), want.shape()) << name;
    EXPECT_TRUE(borrows_mapping(f, t)) << name << " should be zero-copy";
    EXPECT_EQ(t.to_vector(), want.to_vector()) << name;
  }
  // Quantized tensors come back as f32, decoded here from the raw blocks: Q8_0 x = d * q,
  // Q4_0 x = d * (nibble - 8), element j < 16 in the low nibble of byte j, j + 16 in the high.
  for (const char* name : {"q8", "q4"}) {
    const GgufTensorInfo& info = f.tensor_info(name);
    const bool q8 = info.type == GgmlType::kQ8_0;
    const size_t block_bytes = q8 ? 34 : 18;
    std::vector<float> want;
    for (size_t b = 0; b < info.n_bytes / block_bytes; ++b) {
      const uint8_t* blk = info.data + b * block_bytes;
      const float d = f16_to_f32(static_cast<uint16_t>(blk[0] | blk[1] << 8));
      for (int j = 0; j < 32; ++j) {
        const int code = q8 ? static_cast<int8_t>(blk[2 + j])
                            : (j < 16 ? (blk[2 + j] & 15) : (blk[2 + j - 16] >> 4)) - 8;
        want.push_back(d * static_cast<float>(code));
      }
    }
    Tensor t = f.tensor(name);
    EXPECT_EQ(t.dtype(), DType::kF32);
    EXPECT_EQ(t.shape(), (Shape{3, 64}));
    EXPECT_EQ(t.to_vector(), want) << name;
    // Close to the original weights.
    std::vector<float> orig = q.to_vector();
    for (size_t i = 0; i < orig.size(); ++i) EXPECT_NEAR(want[i], orig[i], q8 ? 0.02 : 0.5) << i;
  }
  try {
    f.tensor("q5k");
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
    EXPECT_NE(std::string(e.what()).find("'q5k' has type q5_K"), std::string::npos) << e.what();
  }
  try {
    f.tensor("nope");
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_NE(std::string(e.what()).find("no tensor 'nope'"), std::string::npos) << e.what();
  }
  EXPECT_EQ(f.find_tensor("nope"), nullptr);
}

}  // namespace
}  // namespace llmkit::io
