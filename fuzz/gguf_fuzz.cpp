// libFuzzer target for the GGUF reader (llmkit/io/gguf.h). Each input is written to a per-process
// scratch file (GgufFile maps files, not memory) and opened; an accepted file has every metadata
// value printed and read through its accessors and every tensor loaded, then it is written back
// with GgufWriter and read again, which must give the same metadata and tensor bytes. Only
// llmkit::Error is an acceptable outcome for a bad input: anything else (a crash, a sanitizer
// report, another exception, a failed invariant) is a bug. See fuzz/README.md.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "llmkit/base/error.h"
#include "llmkit/io/gguf.h"

namespace {

using llmkit::io::GgufFile;
using llmkit::io::GgufTensorInfo;
using llmkit::io::GgufValue;
using llmkit::io::GgufWriter;

// /dev/shm when usable (no disk traffic per input), else /tmp.
std::string scratch_path(const char* suffix) {
  const char* dir = ::access("/dev/shm", W_OK | X_OK) == 0 ? "/dev/shm" : "/tmp";
  return std::string(dir) + "/llmkit_gguf_fuzz_" + std::to_string(::getpid()) + suffix;
}

void write_all(const std::string& path, const uint8_t* data, size_t size) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) std::abort();
  if (size > 0 && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
}

void check(bool cond, const char* what) {
  if (!cond) {
    std::fprintf(stderr, "gguf_fuzz: invariant failed: %s\n", what);
    std::abort();
  }
}

// Reads every accessor of a value; wrong-kind accessors throw Error, which is fine.
void touch(const GgufValue& v) {
  (void)v.to_string();
  try {
    (void)v.as_int();
  } catch (const llmkit::Error&) {
  }
  try {
    (void)v.as_float();
  } catch (const llmkit::Error&) {
  }
  try {
    (void)v.as_string_array();
  } catch (const llmkit::Error&) {
  }
  try {
    (void)v.as_float_array();
  } catch (const llmkit::Error&) {
  }
  if (v.type() == llmkit::io::GgufValueType::kArray) {
    for (const GgufValue& e : v.elems()) touch(e);
  }
}

// The write -> read round trip of an accepted file (skipped for names the writer refuses).
void round_trip(const GgufFile& f) {
  GgufWriter w;
  for (const auto& [key, value] : f.metadata()) w.set(key, value);
  for (const GgufTensorInfo& t : f.tensors()) {
    if (t.name.size() > 63) return;  // ggml's name limit; the reader is more lenient
    w.add_tensor(t.name, t.type, t.ne,
                 std::string(reinterpret_cast<const char*>(t.data), t.n_bytes));
  }
  const std::string path = scratch_path(".rewrite.gguf");
  w.write(path);
  GgufFile again(path);
  check(again.metadata() == f.metadata(), "metadata survives a rewrite");
  check(again.tensors().size() == f.tensors().size(), "tensor count survives a rewrite");
  for (size_t i = 0; i < f.tensors().size(); ++i) {
    const GgufTensorInfo& a = f.tensors()[i];
    const GgufTensorInfo& b = again.tensors()[i];
    check(a.name == b.name && a.type == b.type && a.ne == b.ne && a.n_bytes == b.n_bytes,
          "tensor info survives a rewrite");
    check(a.n_bytes == 0 || std::memcmp(a.data, b.data, a.n_bytes) == 0,
          "tensor bytes survive a rewrite");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = scratch_path(".gguf");
  write_all(path, data, size);
  try {
    GgufFile f(path);
    for (const auto& [key, value] : f.metadata()) {
      touch(value);
      check(f.find(key) == &value, "every key can be found");
    }
    for (const GgufTensorInfo& t : f.tensors()) {
      check(f.find_tensor(t.name) == &t, "every tensor can be found");
      try {
        llmkit::Tensor x = f.tensor(t.name);
        volatile float sum = 0.0f;
        for (float v : x.to_vector()) sum = sum + v;
      } catch (const llmkit::Error& e) {
        check(e.code() == llmkit::ErrorCode::kUnsupported, "tensor() fails only as unsupported");
      }
    }
    round_trip(f);
  } catch (const llmkit::Error&) {
  }
  return 0;
}
