#include "llmkit/infer/kv_cache.h"

#include <cstring>

#include "llmkit/base/error.h"
#include "llmkit/infer/dot_kernels.h"
#include "llmkit/tensor/dtype.h"

namespace llmkit::infer {
namespace {

int64_t element_bytes(KvType type) {
  return type == KvType::kF16 ? 2 : 4;
}

}  // namespace

KvType parse_kv_type(const std::string& name) {
  if (name == "f32") return KvType::kF32;
  if (name == "f16") return KvType::kF16;
  throw_error(ErrorCode::kInvalidArgument,
              str_cat("KV cache type '", name, "' is not supported; use f32 or f16"));
}

const char* kv_type_name(KvType type) {
  return type == KvType::kF16 ? "f16" : "f32";
}

KvCache::KvCache(int64_t n_layer, int64_t n_head_kv, int64_t head_dim, int64_t n_ctx, KvType type)
    : n_layer_(n_layer), n_head_kv_(n_head_kv), head_dim_(head_dim), n_ctx_(n_ctx), type_(type) {
  LLMKIT_CHECK(n_layer > 0 && n_head_kv > 0 && head_dim > 0 && n_ctx > 0,
               "KvCache: sizes must be positive, got n_layer ", n_layer, ", n_head_kv ", n_head_kv,
               ", head_dim ", head_dim, ", n_ctx ", n_ctx);
  const int64_t n = n_layer * n_head_kv * n_ctx * head_dim * element_bytes(type);
  // new uint8_t[n] without () leaves the values uninitialised: untouched pages cost no memory.
  // (operator new aligns to at least 16 bytes, enough for f32 and f16 elements.)
  k_.reset(new uint8_t[static_cast<size_t>(n)]);
  v_.reset(new uint8_t[static_cast<size_t>(n)]);
}

int64_t KvCache::bytes_for(int64_t n_layer, int64_t n_head_kv, int64_t head_dim, int64_t n_ctx,
                           KvType type) {
  return 2 * n_layer * n_head_kv * n_ctx * head_dim * element_bytes(type);
}

void KvCache::write(uint8_t* base, int64_t l, int64_t h, int64_t pos, const float* src) {
  const int64_t at = offset(l, h, pos);
  if (type_ == KvType::kF32) {
    std::memcpy(reinterpret_cast<float*>(base) + at, src,
                static_cast<size_t>(head_dim_) * sizeof(float));
  } else {
    uint16_t* dst = reinterpret_cast<uint16_t*>(base) + at;
    for (int64_t i = 0; i < head_dim_; ++i) dst[i] = f32_to_f16(src[i]);
  }
}

const float* KvCache::rows(const uint8_t* base, int64_t l, int64_t h, int64_t pos, int64_t n,
                           float* buffer) const {
  const int64_t at = offset(l, h, pos);
  if (type_ == KvType::kF32) return reinterpret_cast<const float*>(base) + at;
  kernels::f16_to_f32_row(reinterpret_cast<const uint16_t*>(base) + at, buffer, n * head_dim_);
  return buffer;
}

void KvCache::write_k(int64_t l, int64_t h, int64_t pos, const float* src) {
  write(k_.get(), l, h, pos, src);
}

void KvCache::write_v(int64_t l, int64_t h, int64_t pos, const float* src) {
  write(v_.get(), l, h, pos, src);
}

const float* KvCache::k_rows(int64_t l, int64_t h, int64_t pos, int64_t n, float* buffer) const {
  return rows(k_.get(), l, h, pos, n, buffer);
}

const float* KvCache::v_rows(int64_t l, int64_t h, int64_t pos, int64_t n, float* buffer) const {
  return rows(v_.get(), l, h, pos, n, buffer);
}

}  // namespace llmkit::infer
