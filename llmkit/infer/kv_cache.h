// KvCache: the keys and values of every layer for the positions a Session has decoded.
//
// Layout (f32): per layer one K and one V array of shape [Hkv, n_ctx, D]: the D values of kv head
// h at position p start at (h * n_ctx + p) * D, so the keys one attention head reads are
// contiguous rows of D floats. Sliding-window layers also keep every position (simple; attention
// reads only the window), so the cache costs 2 * n_layer * Hkv * n_ctx * D floats.
//
// The memory is allocated uninitialised (pages are only touched as positions are written); a
// position must be written before it is read. Not thread-safe for writes; concurrent reads of
// written positions are fine.
#pragma once

#include <cstdint>
#include <memory>

namespace llmkit::infer {

class KvCache {
 public:
  KvCache() = default;
  // Throws Error(kInvalidArgument) for a non-positive size.
  KvCache(int64_t n_layer, int64_t n_head_kv, int64_t head_dim, int64_t n_ctx);

  int64_t n_layer() const { return n_layer_; }
  int64_t n_head_kv() const { return n_head_kv_; }
  int64_t head_dim() const { return head_dim_; }
  int64_t n_ctx() const { return n_ctx_; }
  // Bytes of K and V of all layers.
  int64_t bytes() const { return bytes_for(n_layer_, n_head_kv_, head_dim_, n_ctx_); }
  static int64_t bytes_for(int64_t n_layer, int64_t n_head_kv, int64_t head_dim, int64_t n_ctx);

  // The D floats of kv head h at position pos of layer l (no bounds checks: callers check
  // positions against n_ctx once per step). Rows of consecutive positions are D floats apart.
  float* k(int64_t l, int64_t h, int64_t pos) { return k_.get() + offset(l, h, pos); }
  float* v(int64_t l, int64_t h, int64_t pos) { return v_.get() + offset(l, h, pos); }
  const float* k(int64_t l, int64_t h, int64_t pos) const { return k_.get() + offset(l, h, pos); }
  const float* v(int64_t l, int64_t h, int64_t pos) const { return v_.get() + offset(l, h, pos); }

 private:
  int64_t offset(int64_t l, int64_t h, int64_t pos) const {
    return ((l * n_head_kv_ + h) * n_ctx_ + pos) * head_dim_;
  }
  int64_t n_layer_ = 0, n_head_kv_ = 0, head_dim_ = 0, n_ctx_ = 0;
  std::unique_ptr<float[]> k_, v_;
};

}  // namespace llmkit::infer
