// safetensors: round trips, an independent Python reader/writer (safetensors_oracle.py, standard
// library only) in both directions, corrupt-file validation and atomic writes.
#include "llmkit/io/safetensors.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "llmkit/base/atomic_file.h"
#include "llmkit/tensor/creation.h"
#include "llmkit/tensor/view.h"

namespace llmkit::io {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A fresh folder per test, removed afterwards.
class SafetensorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ =
        fs::temp_directory_path() / str_cat("llmkit_safetensors_", ::getpid(), "_", info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string file(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

// Runs the oracle script and returns its stdout parsed as JSON (fails the test on a non-zero exit).
json run_oracle(const std::string& mode, const std::string& path) {
  std::string script = std::string(LLMKIT_SOURCE_DIR) + "/tests/io/safetensors_oracle.py";
  std::string cmd = "python3 '" + script + "' " + mode + " '" + path + "'";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "cannot run " << cmd;
    return json();
  }
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
  int status = ::pclose(pipe);
  EXPECT_EQ(status, 0) << cmd << " failed (is python3 installed?)";
  if (status != 0) return json();
  return json::parse(out);
}

// Writes a file with the given header text and data buffer, as a writer of the format would.
void write_raw(const std::string& path, const std::string& header, const std::string& data) {
  std::string blob(8, '\0');
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) blob[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  blob += header;
  blob += data;
  std::ofstream(path, std::ios::binary) << blob;
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// Expects that opening path throws Error(code) whose message contains every one of `parts`.
void expect_open_error(const std::string& path, ErrorCode code,
                       const std::vector<std::string>& parts) {
  try {
    SafetensorsFile f(path);
    ADD_FAILURE() << "expected an error opening " << path;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    for (const auto& p : parts)
      EXPECT_NE(std::string(e.what()).find(p), std::string::npos)
          << "message '" << e.what() << "' lacks '" << p << "'";
  }
}

bool borrows_mapping(const SafetensorsFile& f, const Tensor& t) {
  const uint8_t* p = static_cast<const uint8_t*>(t.raw_data());
  return p >= f.mapping()->data() && p <= f.mapping()->data() + f.mapping()->size();
}

// The tensors every round trip uses: all four dtypes, 0-D, empty and non-contiguous inputs.
NamedTensorList sample_tensors() {
  Generator gen(7);
  NamedTensorList t;
  t.emplace_back("f32", randn({2, 3}, gen));
  t.emplace_back("f16", from_vector({1.0f, -0.5f, 65504.0f, 0.1f, 3.0e-5f}, {5}, DType::kF16));
  t.emplace_back("bf16", randn({2, 2, 3}, gen, 0.0f, 10.0f, DType::kBF16));
  t.emplace_back("i32", from_ints({0, -1, 2147483647, -2147483647 - 1}, {2, 2}));
  t.emplace_back("scalar", scalar(-3.5f));
  t.emplace_back("empty", zeros({0, 4}));
  t.emplace_back("transposed", ops::transpose(randn({3, 4}, gen), 0, 1));
  t.emplace_back("strided.bf16", ops::slice(randn({9}, gen, 0.0f, 1.0f, DType::kBF16), 0, 1, 9, 3));
  return t;
}

void expect_same_tensor(const Tensor& got, const Tensor& want, const std::string& name) {
  EXPECT_EQ(got.dtype(), want.dtype()) << name;
  EXPECT_EQ(got.shape(), want.shape()) << name;
  EXPECT_TRUE(got.is_contiguous()) << name;
  if (want.dtype() == DType::kI32) {
    EXPECT_EQ(got.to_int_vector(), want.to_int_vector()) << name;
  } else {
    EXPECT_EQ(got.to_vector(), want.to_vector()) << name;
  }
}

TEST_F(SafetensorsTest, RoundTripAllDtypes) {
  NamedTensorList tensors = sample_tensors();
  std::map<std::string, std::string> meta{{"format", "pt"}, {"note", "x \"quoted\""}};
  save_safetensors(file("a.safetensors"), tensors, meta);

  SafetensorsFile f(file("a.safetensors"));
  EXPECT_EQ(f.metadata(), meta);
  EXPECT_EQ(f.data_start() % 8, 0u);  // header padded to a multiple of 8
  ASSERT_EQ(f.names().size(), tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    const auto& [name, want] = tensors[i];
    EXPECT_EQ(f.names()[i], name);
    EXPECT_TRUE(f.info(name).supported);
    Tensor got = f.get(name);
    expect_same_tensor(got, want, name);
    EXPECT_TRUE(borrows_mapping(f, got)) << name << " should be zero-copy";
    Tensor copy = f.get_copy(name);
    expect_same_tensor(copy, want, name);
    EXPECT_FALSE(borrows_mapping(f, copy)) << name;
  }
  EXPECT_EQ(f.info("scalar").shape, Shape{});
  EXPECT_EQ(f.info("empty").begin, f.info("empty").end);

  NamedTensorList loaded = load_safetensors(file("a.safetensors"));
  ASSERT_EQ(loaded.size(), tensors.size());
  for (size_t i = 0; i < loaded.size(); ++i) {
    EXPECT_EQ(loaded[i].first, tensors[i].first);
    expect_same_tensor(loaded[i].second, tensors[i].second, tensors[i].first);
  }
}

TEST_F(SafetensorsTest, BorrowedTensorOutlivesFile) {
  save_safetensors(file("a.safetensors"), {{"w", arange(0.0, 6.0, 1.0)}});
  Tensor w;
  {
    SafetensorsFile f(file("a.safetensors"));
    w = f.get("w");
  }
  EXPECT_EQ(w.to_vector(), (std::vector<float>{0, 1, 2, 3, 4, 5}));
}

TEST_F(SafetensorsTest, CopiedTensorsAreWritable) {
  save_safetensors(file("a.safetensors"), {{"w", ones({3})}});
  NamedTensorList loaded = load_safetensors(file("a.safetensors"), /*copy=*/true);
  loaded[0].second.data<float>()[1] = 5.0f;
  EXPECT_EQ(loaded[0].second.to_vector(), (std::vector<float>{1, 5, 1}));
}

TEST_F(SafetensorsTest, PythonReadsCppFile) {
  NamedTensorList tensors = sample_tensors();
  save_safetensors(file("a.safetensors"), tensors, {{"k", "v"}});
  json parsed = run_oracle("read", file("a.safetensors"));
  ASSERT_TRUE(parsed.is_object());
  EXPECT_EQ(parsed["header_len"].get<uint64_t>() % 8, 0u);
  EXPECT_EQ(parsed["metadata"], (json{{"k", "v"}}));
  const json& list = parsed["tensors"];
  ASSERT_EQ(list.size(), tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    const auto& [name, want] = tensors[i];
    const json& t = list[i];
    EXPECT_EQ(t["name"], name);
    EXPECT_EQ(t["dtype"], safetensors_dtype_name(want.dtype()));
    EXPECT_EQ(t["shape"].get<Shape>(), want.shape()) << name;
    std::vector<double> values = t["values"].get<std::vector<double>>();
    if (want.dtype() == DType::kI32) {
      std::vector<int32_t> w = want.to_int_vector();
      ASSERT_EQ(values.size(), w.size()) << name;
      for (size_t k = 0; k < w.size(); ++k) EXPECT_EQ(values[k], w[k]) << name << "[" << k << "]";
    } else {
      std::vector<float> w = want.to_vector();
      ASSERT_EQ(values.size(), w.size()) << name;
      for (size_t k = 0; k < w.size(); ++k) {
        EXPECT_EQ(static_cast<float>(values[k]), w[k]) << name << "[" << k << "]";
      }
    }
  }
}

TEST_F(SafetensorsTest, CppReadsPythonFile) {
  json written = run_oracle("write", file("py.safetensors"));
  ASSERT_TRUE(written.is_object());
  SafetensorsFile f(file("py.safetensors"));
  EXPECT_EQ(f.data_start() % 2, 1u);  // the oracle leaves the buffer unaligned on purpose
  EXPECT_EQ(json(f.metadata()), written["metadata"]);
  const json& list = written["tensors"];
  ASSERT_EQ(f.names().size(), list.size());
  int copies = 0;
  for (size_t i = 0; i < list.size(); ++i) {
    const json& want = list[i];
    std::string name = want["name"];
    EXPECT_EQ(f.names()[i], name);
    const SafetensorsTensorInfo& info = f.info(name);
    EXPECT_EQ(info.dtype_str, want["dtype"]);
    EXPECT_EQ(info.begin, want["begin"].get<uint64_t>());
    EXPECT_EQ(info.end, want["end"].get<uint64_t>());
    Tensor t = f.get(name);
    EXPECT_EQ(t.shape(), want["shape"].get<Shape>());
    std::vector<double> values = want["values"].get<std::vector<double>>();
    if (t.dtype() == DType::kI32) {
      std::vector<int32_t> got = t.to_int_vector();
      ASSERT_EQ(got.size(), values.size());
      for (size_t k = 0; k < got.size(); ++k) EXPECT_EQ(got[k], values[k]) << name;
    } else {
      std::vector<float> got = t.to_vector();
      ASSERT_EQ(got.size(), values.size());
      for (size_t k = 0; k < got.size(); ++k) EXPECT_EQ(got[k], static_cast<float>(values[k]));
    }
    bool aligned = (f.data_start() + info.begin) % dtype_size(t.dtype()) == 0;
    EXPECT_EQ(borrows_mapping(f, t), aligned) << name;
    if (!aligned) ++copies;
  }
  EXPECT_GT(copies, 0);
}

TEST_F(SafetensorsTest, MissingFileAndTensorAreNotFound) {
  expect_open_error(file("nope.safetensors"), ErrorCode::kNotFound, {"nope.safetensors"});
  save_safetensors(file("a.safetensors"), {{"w", ones({2})}});
  SafetensorsFile f(file("a.safetensors"));
  try {
    f.get("missing");
    ADD_FAILURE() << "expected kNotFound";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_NE(std::string(e.what()).find("'missing'"), std::string::npos) << e.what();
  }
}

TEST_F(SafetensorsTest, TruncatedFiles) {
  write_bytes(file("short"), std::string("\x10\x00\x00", 3));
  expect_open_error(file("short"), ErrorCode::kCorruptData, {"short", "3 bytes"});

  save_safetensors(file("a.safetensors"), {{"w", ones({4})}});
  std::string blob = read_file(file("a.safetensors"));
  write_bytes(file("cut"), blob.substr(0, blob.size() - 1));  // loses the last data byte
  expect_open_error(file("cut"), ErrorCode::kCorruptData, {"cut", "'w'", "outside"});
  write_bytes(file("cut_header"), blob.substr(0, 12));  // cut inside the header
  expect_open_error(file("cut_header"), ErrorCode::kCorruptData, {"header length"});
}

TEST_F(SafetensorsTest, HeaderLengthBeyondFile) {
  std::string blob(8, '\xff');  // u64 max
  blob += "{}";
  write_bytes(file("huge"), blob);
  expect_open_error(file("huge"), ErrorCode::kCorruptData, {"huge", "header length"});
}

TEST_F(SafetensorsTest, BadJson) {
  write_raw(file("bad"), R"({"w": {"dtype": "F32", )", "");
  expect_open_error(file("bad"), ErrorCode::kCorruptData, {"bad", "not valid JSON"});
  write_raw(file("array"), "[1, 2]", "");
  expect_open_error(file("array"), ErrorCode::kCorruptData, {"JSON object"});
  write_raw(file("dup"),
            R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},)"
            R"( "w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})",
            std::string(8, '\0'));
  expect_open_error(file("dup"), ErrorCode::kCorruptData, {"repeats the key 'w'"});
}

TEST_F(SafetensorsTest, MalformedEntries) {
  std::string data(8, '\0');
  struct Case {
    const char* header;
    std::vector<std::string> parts;
  };
  std::vector<Case> cases = {
      {R"({"w": {"shape": [2], "data_offsets": [0, 8]}})", {"'w'", "\"dtype\""}},
      {R"({"w": {"dtype": "F32", "data_offsets": [0, 8]}})", {"'w'", "\"shape\""}},
      {R"({"w": {"dtype": "F32", "shape": [2]}})", {"'w'", "data_offsets"}},
      {R"({"w": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}})", {"'w'", "shape"}},
      {R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8, 9]}})",
       {"'w'", "data_offsets"}},
      {R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 12]}})",
       {"'w'", "outside the data buffer of 8 bytes"}},
      {R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [8, 4]}})", {"'w'", "outside"}},
      {R"({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}})",
       {"'w'", "span 8 bytes", "needs 12"}},
      {R"({"w": {"dtype": "Q7", "shape": [2], "data_offsets": [0, 8]}})",
       {"'w'", "unknown dtype 'Q7'", "F32, F16, BF16, I32"}},
      {R"({"w": {"dtype": "F32", "shape": [4611686018427387904, 4], "data_offsets": [0, 8]}})",
       {"'w'", "too large"}},
      {R"({"w": 3})", {"'w'", "JSON object"}},
      {R"({"__metadata__": {"k": 1}, "w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}})",
       {"metadata", "'k'"}},
      // Coverage: a hole, an overlap, trailing bytes.
      {R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})", {"'a'", "hole"}},
      {R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},)"
       R"( "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})",
       {"'b'", "overlap tensor 'a'"}},
      {R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})", {"trailing"}},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].header);
    std::string path = file(str_cat("case", i));
    write_raw(path, cases[i].header, data);
    expect_open_error(path, ErrorCode::kCorruptData, cases[i].parts);
  }
}

TEST_F(SafetensorsTest, FormatDtypeLlmkitCannotLoad) {
  write_raw(file("f64"),
            R"({"d": {"dtype": "F64", "shape": [1], "data_offsets": [0, 8]},)"
            R"( "f": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}})",
            std::string(8, '\0') + std::string("\x00\x00\x80\x3f", 4));
  SafetensorsFile f(file("f64"));
  EXPECT_FALSE(f.info("d").supported);
  EXPECT_EQ(f.get("f").item(), 1.0f);
  try {
    f.get("d");
    ADD_FAILURE() << "expected kUnsupported";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
    EXPECT_NE(std::string(e.what()).find("F64"), std::string::npos) << e.what();
  }
}

TEST_F(SafetensorsTest, EmptyFileHoldsNoTensors) {
  save_safetensors(file("none"), {});
  SafetensorsFile f(file("none"));
  EXPECT_TRUE(f.names().empty());
  EXPECT_TRUE(f.metadata().empty());
}

TEST_F(SafetensorsTest, WriteToMissingFolderFailsCleanly) {
  std::string path = file("no_such_dir/a.safetensors");
  try {
    save_safetensors(path, {{"w", ones({2})}});
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kIo);
    EXPECT_NE(std::string(e.what()).find("no_such_dir"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dir_ / "no_such_dir"));
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(SafetensorsTest, FailedWriteLeavesExistingFileUnchanged) {
  std::string path = file("a.safetensors");
  save_safetensors(path, {{"w", arange(0.0, 3.0, 1.0)}});
  std::string before = read_file(path);
  NamedTensorList bad_lists[] = {
      {{"x", ones({2})}, {"x", ones({3})}},
      {{"", ones({2})}},
      {{"__metadata__", ones({2})}},
      {{"ok", ones({2})}, {"undefined", Tensor()}},
  };
  for (const auto& bad : bad_lists) {
    EXPECT_THROW(save_safetensors(path, bad), Error);
    EXPECT_EQ(read_file(path), before);
  }
  int entries = 0;
  for (const auto& e : fs::directory_iterator(dir_)) {
    EXPECT_EQ(e.path().filename(), "a.safetensors");  // no temporary files left behind
    ++entries;
  }
  EXPECT_EQ(entries, 1);
}

TEST_F(SafetensorsTest, OverwriteReplacesFile) {
  std::string path = file("a.safetensors");
  save_safetensors(path, {{"w", ones({2})}});
  save_safetensors(path, {{"v", zeros({3})}});
  SafetensorsFile f(path);
  EXPECT_EQ(f.names(), (std::vector<std::string>{"v"}));
}

}  // namespace
}  // namespace llmkit::io
