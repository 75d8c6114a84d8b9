// Helpers shared by the GGUF tests: a per-test temporary folder and a byte builder that encodes
// GGUF files by hand, straight from the format description (docs/gguf.md in ggml), independently
// of llmkit's writer.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "llmkit/base/error.h"

namespace llmkit::io::test {

namespace fs = std::filesystem;

// Where test files go: /dev/shm (memory) when it is usable, since the malformed-file tests write
// thousands of small files; else the system temporary folder.
inline fs::path scratch_root() {
  if (::access("/dev/shm", W_OK | X_OK) == 0 && fs::is_directory("/dev/shm")) return "/dev/shm";
  return fs::temp_directory_path();
}

// A fresh folder per test, removed afterwards.
class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = scratch_root() /
           str_cat("llmkit_gguf_", ::getpid(), "_", info->test_suite_name(), "_", info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string file(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Little-endian GGUF encoder. Value type ids: u8 0, i8 1, u16 2, i16 3, u32 4, i32 5, f32 6,
// bool 7, string 8, array 9, u64 10, i64 11, f64 12.
struct Bytes {
  std::string s;

  Bytes& uint(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) s += static_cast<char>((v >> (8 * i)) & 0xff);
    return *this;
  }
  Bytes& u8(uint8_t v) { return uint(v, 1); }
  Bytes& u32(uint32_t v) { return uint(v, 4); }
  Bytes& u64(uint64_t v) { return uint(v, 8); }
  Bytes& raw(const std::string& r) {
    s += r;
    return *this;
  }
  Bytes& str(const std::string& v) { return u64(v.size()).raw(v); }
  Bytes& pad(size_t alignment) {
    while (s.size() % alignment != 0) s += '\0';
    return *this;
  }
  // "GGUF", version, tensor count, metadata count.
  Bytes& header(uint64_t n_tensors, uint64_t n_kv, uint32_t version = 3) {
    return raw("GGUF").u32(version).u64(n_tensors).u64(n_kv);
  }
  Bytes& kv_u32(const std::string& key, uint32_t v) { return str(key).u32(4).u32(v); }
  Bytes& kv_str(const std::string& key, const std::string& v) { return str(key).u32(8).str(v); }
  Bytes& tensor(const std::string& name, const std::vector<uint64_t>& ne, uint32_t type,
                uint64_t offset) {
    str(name).u32(static_cast<uint32_t>(ne.size()));
    for (uint64_t d : ne) u64(d);
    return u32(type).u64(offset);
  }
};

}  // namespace llmkit::io::test
