// GgufValue accessors and printing, GgufFile's typed key lookups, and GgufWriter's input checks.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "llmkit/io/gguf.h"
#include "llmkit/tensor/creation.h"
#include "llmkit/tensor/view.h"
#include "tests/io/gguf_test_util.h"
#include "tests/support/expect_error.h"

namespace llmkit::io {
namespace {

using V = GgufValue;
using T = GgufValueType;

// Expects fn() to throw Error(code) whose message holds every one of parts.
using llmkit::test::expect_error;

TEST(GgufValueTest, Accessors) {
  EXPECT_EQ(V::u8(200).as_int(), 200);
  EXPECT_EQ(V::i8(-3).as_int(), -3);
  EXPECT_EQ(V::i16(-300).as_int(), -300);
  EXPECT_EQ(V::u32(4000000000u).as_int(), 4000000000);
  EXPECT_EQ(V::i64(std::numeric_limits<int64_t>::min()).as_int(),
            std::numeric_limits<int64_t>::min());
  EXPECT_EQ(V::u64(5).as_int(), 5);
  expect_error([] { V::u64(1ull << 63).as_int("k"); }, ErrorCode::kInvalidArgument,
               {"k", "9223372036854775808", "does not fit"});
  EXPECT_EQ(V::u64(1ull << 63).as_float(), 9223372036854775808.0);
  EXPECT_EQ(V::f32(0.1f).as_float(), static_cast<double>(0.1f));
  EXPECT_EQ(V::f64(0.1).as_float(), 0.1);
  EXPECT_EQ(V::i32(-7).as_float(), -7.0);
  EXPECT_TRUE(V::boolean(true).as_bool());
  EXPECT_EQ(V::string("x").as_string(), "x");
  EXPECT_TRUE(V::u16(1).is_integer());
  EXPECT_FALSE(V::f32(1).is_integer());
  EXPECT_TRUE(V::f64(1).is_float());
  EXPECT_FALSE(V::boolean(true).is_integer());

  expect_error([] { V::string("x").as_int("key 'a.b'"); }, ErrorCode::kInvalidArgument,
               {"key 'a.b'", "expected an integer", "found string"});
  expect_error([] { V::f32(1).as_int("q"); }, ErrorCode::kInvalidArgument, {"found f32"});
  expect_error([] { V::u8(1).as_bool("q"); }, ErrorCode::kInvalidArgument, {"expected a bool"});
  expect_error([] { V::boolean(true).as_float("q"); }, ErrorCode::kInvalidArgument,
               {"expected a number", "found bool"});
  expect_error([] { V::u32(1).as_string("q"); }, ErrorCode::kInvalidArgument, {"a string"});
  expect_error([] { V::u32(1).elems("q"); }, ErrorCode::kInvalidArgument, {"an array"});

  EXPECT_EQ(V::string_array({"a", "b"}).as_string_array(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(V::i32_array({1, -2}).as_int_array(), (std::vector<int64_t>{1, -2}));
  EXPECT_EQ(V::i32_array({1, -2}).as_float_array(), (std::vector<float>{1.0f, -2.0f}));
  EXPECT_EQ(V::f32_array({0.5f}).as_float_array(), (std::vector<float>{0.5f}));
  EXPECT_EQ(V::f32_array({0.5f}).elem_type(), T::kF32);
  EXPECT_EQ(V::f32_array({0.5f}).elems().size(), 1u);
  expect_error([] { V::f32_array({1}).as_int_array("scores"); }, ErrorCode::kInvalidArgument,
               {"scores", "an array of integers", "found array of f32"});
  expect_error([] { V::i32_array({1}).as_string_array("t"); }, ErrorCode::kInvalidArgument,
               {"an array of string"});
  expect_error(
      [] {
        V::array(T::kU8, {V::u8(1), V::i8(1)});
      },
      ErrorCode::kInvalidArgument, {"element 1 has type i8", "holds u8"});
}

TEST(GgufValueTest, EqualityAndPrinting) {
  EXPECT_EQ(V::u32(3), V::u32(3));
  EXPECT_NE(V::u32(3), V::i32(3));  // the type is part of the value
  EXPECT_NE(V::u32(3), V::u32(4));
  EXPECT_NE(V::array(T::kU8, {}), V::array(T::kI8, {}));
  EXPECT_EQ(V::f32(std::nanf("")), V::f32(std::nanf("")));  // same bits
  EXPECT_NE(V::f32(0.0f), V::f32(-0.0f));
  EXPECT_EQ(V::scalar_from_bits(T::kI8, 0xff), V::i8(-1));
  EXPECT_EQ(V::scalar_from_bits(T::kBool, 2), V::boolean(true));
  EXPECT_EQ(V::i16(-2).bits(), ~uint64_t{1});
  EXPECT_THROW(V::scalar_from_bits(T::kString, 0), Error);

  EXPECT_EQ(V::u32(3).to_string(), "3");
  EXPECT_EQ(V::i64(-9).to_string(), "-9");
  EXPECT_EQ(V::u64(18446744073709551615ull).to_string(), "18446744073709551615");
  EXPECT_EQ(V::f32(0.1f).to_string(), "0.1");
  EXPECT_EQ(V::f64(1e300).to_string(), "1e+300");
  EXPECT_EQ(V::boolean(false).to_string(), "false");
  EXPECT_EQ(V::string("gemma3").to_string(), "\"gemma3\"");
  EXPECT_EQ(V::string("a\"b\n").to_string(), "\"a\\\"b\\x0a\"");
  EXPECT_EQ(V::i32_array({1, 2, 3}).to_string(), "[1, 2, 3]");
  EXPECT_EQ(V::string_array(std::vector<std::string>(100, "x")).to_string(), "[100 x string]");
  EXPECT_EQ(V::array(T::kArray, {V::i32_array({})}).to_string(), "[1 x array]");
  EXPECT_NE(V::string(std::string(500, 'a')).to_string().find("(500 bytes)"), std::string::npos);
  EXPECT_STREQ(gguf_value_type_name(T::kString), "string");
  EXPECT_STREQ(gguf_value_type_name(static_cast<T>(99)), "unknown");
}

class GgufLookupTest : public test::TempDirTest {};

TEST_F(GgufLookupTest, TypedLookups) {
  GgufWriter w;
  w.set("general.architecture", V::string("gemma3"));
  w.set("gemma3.block_count", V::u32(18));
  w.set("gemma3.rope.freq_base", V::f32(10000.0f));
  w.set("flag", V::boolean(true));
  w.write(file("a.gguf"));
  GgufFile f(file("a.gguf"));
  EXPECT_TRUE(f.has("flag"));
  EXPECT_FALSE(f.has("nope"));
  EXPECT_EQ(f.find("nope"), nullptr);
  EXPECT_EQ(f.get_int("gemma3.block_count"), 18);
  EXPECT_EQ(f.get_float("gemma3.block_count"), 18.0);
  EXPECT_EQ(f.get_float("gemma3.rope.freq_base"), 10000.0);
  EXPECT_EQ(f.get_int_or("gemma3.context_length", 2048), 2048);
  EXPECT_EQ(f.get_int_or("gemma3.block_count", 1), 18);
  EXPECT_EQ(f.get_float_or("x", 0.5), 0.5);
  EXPECT_TRUE(f.get_bool_or("flag", false));
  EXPECT_FALSE(f.get_bool_or("other", false));
  expect_error([&] { f.get("gemma3.embedding_length"); }, ErrorCode::kNotFound,
               {"has no metadata key 'gemma3.embedding_length'", file("a.gguf")});
  expect_error([&] { f.get_int("general.architecture"); }, ErrorCode::kInvalidArgument,
               {"key 'general.architecture'", "expected an integer", "found string \"gemma3\""});
  expect_error([&] { f.get_string("gemma3.block_count"); }, ErrorCode::kInvalidArgument,
               {"key 'gemma3.block_count'", "expected a string", "found u32 18"});
  expect_error([&] { f.get_bool_or("gemma3.block_count", true); }, ErrorCode::kInvalidArgument,
               {"expected a bool"});
  EXPECT_EQ(f.tensors().size(), 0u);
  EXPECT_EQ(f.data_start(), 32u * ((f.mapping()->size() + 31) / 32));
}

TEST_F(GgufLookupTest, WriterRejectsBadInput) {
  GgufWriter w;
  expect_error([&] { w.add_tensor("a", GgmlType::kF32, {4}, std::string(15, '\0')); },
               ErrorCode::kInvalidArgument, {"tensor 'a'", "needs 16 bytes, got 15"});
  expect_error([&] { w.add_tensor("a", GgmlType::kQ8_0, {33}, std::string(34, '\0')); },
               ErrorCode::kInvalidArgument, {"tensor 'a'", "not a multiple of the block size 32"});
  expect_error(
      [&] {
        w.add_tensor("a", GgmlType::kF32, {1, 1, 1, 1, 1}, std::string(4, '\0'));
      },
      ErrorCode::kInvalidArgument, {"5 dimensions"});
  expect_error([&] { w.add_tensor("a", GgmlType::kF32, {-1}, ""); }, ErrorCode::kInvalidArgument,
               {"invalid shape"});
  expect_error([&] { w.add_tensor("a", static_cast<GgmlType>(77), {1}, "x"); },
               ErrorCode::kInvalidArgument, {"unknown ggml type id 77"});
  expect_error([&] { w.add_tensor(std::string(64, 'n'), GgmlType::kF32, {1}, "abcd"); },
               ErrorCode::kInvalidArgument, {"has 64 bytes", "at most 63"});
  w.add_tensor("a", GgmlType::kF32, {1}, "abcd");
  expect_error([&] { w.add_tensor("a", GgmlType::kF32, {1}, "abcd"); }, ErrorCode::kInvalidArgument,
               {"duplicate tensor name 'a'"});
  expect_error(
      [&] {
        w.add_tensor("q", zeros({2, 48}), GgmlType::kQ4_0);
      },
      ErrorCode::kInvalidArgument, {"tensor 'q'", "f32[2, 48]", "multiple of 32"});
  expect_error(
      [&] {
        w.add_tensor("q", zeros({2, 256}), GgmlType::kQ5_K);
      },
      ErrorCode::kInvalidArgument, {"cannot write type q5_K"});
  expect_error(
      [&] {
        w.add_tensor("i", from_ints({1, 2}, {2}), GgmlType::kF32);
      },
      ErrorCode::kInvalidArgument, {"tensor 'i'", "must be f32, f16 or bf16"});
  expect_error([&] { w.set("general.alignment", V::u32(24)); }, ErrorCode::kInvalidArgument,
               {"general.alignment", "power of two"});
  expect_error([&] { w.set("general.alignment", V::u64(32)); }, ErrorCode::kInvalidArgument,
               {"u32"});
  EXPECT_EQ(w.tensor_count(), 1u);
  expect_error([&] { w.write(file("no/such/dir/a.gguf")); }, ErrorCode::kIo, {"no/such/dir"});
}

TEST_F(GgufLookupTest, WriterConvertsStridedAndHalfInputs) {
  // A transposed (non-contiguous) f32 input, written as f32 and as q8_0, and an f16 input written
  // as f32: the file holds the row-major values.
  Generator gen(2);
  Tensor tr = ops::transpose(randn({32, 2}, gen), 0, 1);  // [2, 32], not contiguous
  ASSERT_FALSE(tr.is_contiguous());
  Tensor half = ops::to_dtype(tr, DType::kF16);
  GgufWriter w;
  w.add_tensor("tr", tr, GgmlType::kF32);
  w.add_tensor("trq", tr, GgmlType::kQ8_0);
  w.add_tensor("half", half, GgmlType::kF32);
  w.write(file("a.gguf"));
  GgufFile f(file("a.gguf"));
  EXPECT_EQ(f.tensor_info("tr").ne, (std::vector<int64_t>{32, 2}));
  EXPECT_EQ(f.tensor("tr").to_vector(), tr.to_vector());
  const std::vector<float> q = f.tensor("trq").to_vector(), want = tr.to_vector();
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(q[i], want[i], 0.03) << i;
  EXPECT_EQ(f.tensor("half").dtype(), DType::kF32);
  EXPECT_EQ(f.tensor("half").to_vector(), half.to_vector());
}

}  // namespace
}  // namespace llmkit::io
