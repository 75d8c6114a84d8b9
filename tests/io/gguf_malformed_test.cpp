// Malformed GGUF files: each defect, encoded by hand, must give Error(kCorruptData) whose message
// names the file and the problem; every truncation and many corruptions of a valid file must give
// an Error, never a crash or an out-of-bounds read (run under ASan/UBSan too).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "llmkit/io/gguf.h"
#include "llmkit/tensor/creation.h"
#include "tests/io/gguf_test_util.h"

namespace llmkit::io {
namespace {

using test::Bytes;
using V = GgufValue;

class GgufMalformedTest : public test::TempDirTest {
 protected:
  // Writes bytes, opens them, and expects Error(code) whose message holds the path and parts.
  void expect_error(const std::string& bytes, const std::vector<std::string>& parts,
                    ErrorCode code = ErrorCode::kCorruptData) {
    const std::string path = file("bad.gguf");
    test::write_bytes(path, bytes);
    try {
      GgufFile f(path);
      ADD_FAILURE() << "expected an error for a file holding parts "
                    << ::testing::PrintToString(parts);
    } catch (const Error& e) {
      const std::string msg = e.what();
      EXPECT_EQ(e.code(), code) << msg;
      EXPECT_NE(msg.find(path), std::string::npos) << "message '" << msg << "' lacks the path";
      for (const std::string& p : parts) {
        EXPECT_NE(msg.find(p), std::string::npos) << "message '" << msg << "' lacks '" << p << "'";
      }
    }
  }
};

// A valid file with one f32 tensor of 8 elements (32 bytes: no padding after the data).
Bytes one_tensor_file(uint64_t offset = 0, std::vector<uint64_t> ne = {8}, uint32_t type = 0) {
  Bytes b;
  b.header(1, 1).kv_u32("k", 1).tensor("w", ne, type, offset).pad(32);
  for (int i = 0; i < 8; ++i) b.u32(f32_bits(static_cast<float>(i)));
  return b;
}

TEST_F(GgufMalformedTest, ValidBaseline) {
  test::write_bytes(file("ok.gguf"), one_tensor_file().s);
  GgufFile f(file("ok.gguf"));
  EXPECT_EQ(f.tensor("w").to_vector(), (std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7}));
}

TEST_F(GgufMalformedTest, Header) {
  expect_error("", {"offset 0", "the magic", "needs 4 bytes", "only 0 remain"});
  expect_error("GGU", {"needs 4 bytes"});
  expect_error(Bytes().raw("GGML").u32(3).u64(0).u64(0).s, {"bad magic 'GGML'", "not a GGUF"});
  expect_error(Bytes().header(0, 0, 1).s, {"offset 4", "unsupported GGUF version 1", "v1"});
  expect_error(Bytes().header(0, 0, 4).s, {"unsupported GGUF version 4"});
  expect_error(Bytes().header(0, 0, 0x03000000).s, {"big-endian"});
  expect_error(Bytes().raw("GGUF").u32(3).u64(0).s, {"the metadata count", "needs 8 bytes"});
  expect_error(Bytes().header(1ull << 60, 0).s, {"cannot fit", "1152921504606846976 tensors"});
  expect_error(Bytes().header(0, ~0ull).s, {"cannot fit"});
}

TEST_F(GgufMalformedTest, Metadata) {
  // A key whose length runs past the end.
  expect_error(Bytes().header(0, 1).u64(1ull << 62).raw("k").u32(4).u32(1).s,
               {"offset 24", "the key of metadata pair 0 has length 4611686018427387904"});
  // A string value with a huge length.
  expect_error(Bytes().header(0, 1).str("name").u32(8).u64(~0ull).raw("abc").s,
               {"the value of key 'name' has length 18446744073709551615"});
  // An array whose count cannot fit the remaining bytes.
  expect_error(Bytes().header(0, 1).str("arr").u32(9).u32(5).u64(1ull << 40).u32(1).s,
               {"key 'arr'", "claims 1099511627776 elements of type i32"});
  expect_error(Bytes().header(0, 1).str("arr").u32(9).u32(8).u64(3).str("a").str("b").s,
               {"claims 3 elements of type string"});
  // Unknown value types, at the top level and as an array element type.
  expect_error(Bytes().header(0, 1).str("x").u32(13).u32(0).s,
               {"offset 33", "key 'x' has unknown value type 13"});
  expect_error(Bytes().header(0, 1).str("x").u32(9).u32(77).u64(0).s,
               {"the elements of the value of key 'x' has unknown value type 77"});
  // A duplicate key.
  expect_error(Bytes().header(0, 2).kv_u32("a.b", 1).kv_u32("a.b", 2).s,
               {"duplicate metadata key 'a.b'"});
  // Arrays nested too deep.
  Bytes deep;
  deep.header(0, 1).str("deep").u32(9);
  for (int i = 0; i < 20; ++i) deep.u32(9).u64(1);
  deep.u32(4).u64(0);
  expect_error(deep.s, {"nests arrays more than 8 deep"});
  // A value cut short.
  expect_error(Bytes().header(0, 1).str("v").u32(12).u32(0).s,
               {"the value of key 'v' needs 8 bytes but only 4 remain"});
  // general.alignment of the wrong type or not a power of two.
  expect_error(Bytes().header(0, 1).str("general.alignment").u32(10).u64(32).s,
               {"'general.alignment' must be a u32 power of two", "found u64 32"});
  expect_error(Bytes().header(0, 1).kv_u32("general.alignment", 48).s, {"found u32 48"});
  expect_error(Bytes().header(0, 1).kv_u32("general.alignment", 0).s, {"power of two"});
}

TEST_F(GgufMalformedTest, TensorInfos) {
  expect_error(one_tensor_file(0, {8, 1, 1, 1, 1}).s, {"tensor 'w' has n_dims 5 (at most 4)"});
  expect_error(one_tensor_file(0, {8, ~0ull}).s, {"tensor 'w' has a negative size in dimension 1"});
  expect_error(one_tensor_file(0, {1ull << 32, 1ull << 32}).s,
               {"tensor 'w' has too many elements"});
  expect_error(one_tensor_file(0, {0, 1ull << 40, 1ull << 40}).s, {"too many elements"});
  expect_error(one_tensor_file(0, {8}, 99).s, {"tensor 'w' has unknown ggml type id 99"});
  expect_error(one_tensor_file(0, {8}, 4).s, {"unknown ggml type id 4"});  // removed Q4_2
  expect_error(
      one_tensor_file(0, {8}, 8).s,
      {"tensor 'w' of type q8_0 has rows of 8 elements, not a multiple of the block size 32"});
  expect_error(one_tensor_file(4).s,
               {"tensor 'w' has data offset 4, not a multiple of the alignment 32"});
  expect_error(one_tensor_file(32).s,
               {"the data of tensor 'w' (32 bytes at offset 32", "outside the file"});
  expect_error(one_tensor_file(0, {16}).s, {"tensor 'w'", "outside the file", "truncated"});
  expect_error(one_tensor_file(1ull << 63).s, {"outside the file"});
  // A tensor name too long for the file.
  expect_error(Bytes().header(1, 0).u64(1000).raw(std::string(40, 'w')).s,
               {"offset 24", "the name of tensor 0 has length 1000"});
  // Duplicate tensor names.
  Bytes dup;
  dup.header(2, 0).tensor("w", {8}, 0, 0).tensor("w", {8}, 0, 32).pad(32);
  dup.raw(std::string(64, '\0'));
  expect_error(dup.s, {"duplicate tensor name 'w'"});
  // Overlapping tensors.
  Bytes overlap;
  overlap.header(2, 0).tensor("a", {16}, 0, 0).tensor("b", {8}, 0, 32).pad(32);
  overlap.raw(std::string(64, '\0'));
  expect_error(overlap.s, {"tensor 'b'", "overlaps tensor 'a'"});
  // Tensor infos promise data, but the header ends before the data section.
  expect_error(Bytes().header(1, 0).tensor("w", {0}, 0, 0).s, {"past the end"});
}

// Every strict prefix of a valid file (whose last tensor ends exactly at the end of the file) is
// rejected with an Error.
TEST_F(GgufMalformedTest, EveryTruncationFails) {
  GgufWriter w;
  w.set("general.architecture", V::string("llama"));
  w.set("tokens", V::string_array({"<s>", "</s>", "a"}));
  w.set("nested", V::array(GgufValueType::kArray, {V::i32_array({1, 2})}));
  w.set("eps", V::f32(1e-5f));
  w.add_tensor("q", from_vector(std::vector<float>(32, 0.5f), {1, 32}), GgmlType::kQ8_0);
  w.add_tensor("x", from_vector(std::vector<float>(8, 1.0f), {8}), GgmlType::kF32);
  w.write(file("full.gguf"));
  const std::string full = test::read_bytes(file("full.gguf"));
  ASSERT_EQ(full.size() % 32, 0u);
  GgufFile ok(file("full.gguf"));
  ASSERT_EQ(ok.tensors().back().offset + ok.tensors().back().n_bytes + ok.data_start(),
            full.size());
  int failures = 0;
  for (size_t n = 0; n < full.size(); ++n) {
    test::write_bytes(file("cut.gguf"), full.substr(0, n));
    try {
      GgufFile f(file("cut.gguf"));
      ADD_FAILURE() << "a prefix of " << n << " bytes was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kCorruptData) << n << ": " << e.what();
      ++failures;
    }
  }
  EXPECT_EQ(failures, static_cast<int>(full.size()));
}

// Overwriting any header byte with a few patterns is either accepted (then every tensor loads) or
// rejected with an Error: never a crash.
TEST_F(GgufMalformedTest, CorruptedHeaderBytesNeverCrash) {
  GgufWriter w;
  w.set("a", V::string_array({"x", "yz"}));
  w.set("b", V::u32(7));
  w.add_tensor("q", from_vector(std::vector<float>(64, 0.25f), {2, 32}), GgmlType::kQ4_0);
  w.add_tensor("x", from_vector({1, 2, 3}, {3}, DType::kF16), GgmlType::kF16);
  w.write(file("full.gguf"));
  const std::string full = test::read_bytes(file("full.gguf"));
  GgufFile ok(file("full.gguf"));
  int accepted = 0, rejected = 0;
  for (size_t i = 0; i < ok.data_start(); ++i) {
    for (unsigned char pattern : {0x00, 0x01, 0x7f, 0x80, 0xff}) {
      std::string bad = full;
      bad[i] = static_cast<char>(pattern);
      test::write_bytes(file("bad.gguf"), bad);
      try {
        GgufFile f(file("bad.gguf"));
        for (const auto& [k, v] : f.metadata()) (void)v.to_string();
        for (const GgufTensorInfo& t : f.tensors()) {
          try {
            (void)f.tensor(t.name).numel();
          } catch (const Error& e) {
            EXPECT_EQ(e.code(), ErrorCode::kUnsupported) << e.what();
          }
        }
        ++accepted;
      } catch (const Error&) {
        ++rejected;
      }
    }
  }
  EXPECT_GT(rejected, 0);
  EXPECT_GT(accepted, 0);
}

TEST_F(GgufMalformedTest, MissingFile) {
  try {
    GgufFile f(file("absent.gguf"));
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_NE(std::string(e.what()).find("absent.gguf"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace llmkit::io
