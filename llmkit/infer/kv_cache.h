// KvCache: the keys and values of every layer for the positions a Session has decoded.
//
// Layout: per layer one K and one V array of shape [Hkv, n_ctx, D] in the cache's element type
// (f32, or f16 as llama.cpp stores it by default: half the memory, values rounded to nearest
// even): the D values of kv head h at position p start at element (h * n_ctx + p) * D, so the keys
// one attention head reads are contiguous rows of D elements. Sliding-window layers also keep every
// position (simple; attention reads only the window), so the cache costs
// 2 * n_layer * Hkv * n_ctx * D elements.
//
// The memory is allocated uninitialised (pages are only touched as positions are written); a
// position must be written before it is read. Not thread-safe for writes; concurrent reads of
// written positions are fine.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace llmkit::infer {

enum class KvType { kF32, kF16 };

// "f32" / "f16"; Error(kInvalidArgument) naming the value otherwise.
KvType parse_kv_type(const std::string& name);
const char* kv_type_name(KvType type);

class KvCache {
 public:
  KvCache() = default;
  // Throws Error(kInvalidArgument) for a non-positive size.
  KvCache(int64_t n_layer, int64_t n_head_kv, int64_t head_dim, int64_t n_ctx,
          KvType type = KvType::kF32);

  int64_t n_layer() const { return n_layer_; }
  int64_t n_head_kv() const { return n_head_kv_; }
  int64_t head_dim() const { return head_dim_; }
  int64_t n_ctx() const { return n_ctx_; }
  KvType type() const { return type_; }
  // Bytes of K and V of all layers.
  int64_t bytes() const { return bytes_for(n_layer_, n_head_kv_, head_dim_, n_ctx_, type_); }
  static int64_t bytes_for(int64_t n_layer, int64_t n_head_kv, int64_t head_dim, int64_t n_ctx,
                           KvType type = KvType::kF32);

  // Stores the D floats of kv head h at position pos of layer l (converted to the cache's type;
  // no bounds checks: callers check positions against n_ctx once per step).
  void write_k(int64_t l, int64_t h, int64_t pos, const float* src);
  void write_v(int64_t l, int64_t h, int64_t pos, const float* src);
  // Rows of n consecutive positions from pos as f32 [n, D]: a pointer into the cache for f32, else
  // converted into buffer (n * D floats) and buffer returned.
  const float* k_rows(int64_t l, int64_t h, int64_t pos, int64_t n, float* buffer) const;
  const float* v_rows(int64_t l, int64_t h, int64_t pos, int64_t n, float* buffer) const;

 private:
  int64_t offset(int64_t l, int64_t h, int64_t pos) const {
    return ((l * n_head_kv_ + h) * n_ctx_ + pos) * head_dim_;
  }
  void write(uint8_t* base, int64_t l, int64_t h, int64_t pos, const float* src);
  const float* rows(const uint8_t* base, int64_t l, int64_t h, int64_t pos, int64_t n,
                    float* buffer) const;
  int64_t n_layer_ = 0, n_head_kv_ = 0, head_dim_ = 0, n_ctx_ = 0;
  KvType type_ = KvType::kF32;
  std::unique_ptr<uint8_t[]> k_, v_;
};

}  // namespace llmkit::infer
