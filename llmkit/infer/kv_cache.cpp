#include "llmkit/infer/kv_cache.h"

#include "llmkit/base/error.h"

namespace llmkit::infer {

KvCache::KvCache(int64_t n_layer, int64_t n_head_kv, int64_t head_dim, int64_t n_ctx)
    : n_layer_(n_layer), n_head_kv_(n_head_kv), head_dim_(head_dim), n_ctx_(n_ctx) {
  LLMKIT_CHECK(n_layer > 0 && n_head_kv > 0 && head_dim > 0 && n_ctx > 0,
               "KvCache: sizes must be positive, got n_layer ", n_layer, ", n_head_kv ", n_head_kv,
               ", head_dim ", head_dim, ", n_ctx ", n_ctx);
  const int64_t n = n_layer * n_head_kv * n_ctx * head_dim;
  // new float[n] without () leaves the values uninitialised: untouched pages cost no memory.
  k_.reset(new float[static_cast<size_t>(n)]);
  v_.reset(new float[static_cast<size_t>(n)]);
}

int64_t KvCache::bytes_for(int64_t n_layer, int64_t n_head_kv, int64_t head_dim, int64_t n_ctx) {
  return 2 * n_layer * n_head_kv * n_ctx * head_dim * static_cast<int64_t>(sizeof(float));
}

}  // namespace llmkit::infer
