// In-place f32 updates used by gradient accumulation and optimizers (declared in elementwise.h).
#include "llmkit/base/context.h"
#include "llmkit/ops/elementwise.h"
#include "llmkit/tensor/view.h"

namespace llmkit::ops {
namespace {
void check_f32(const Tensor& t, const char* what) {
  LLMKIT_CHECK(t.dtype() == DType::kF32, what, ": needs an f32 tensor, got ", describe(t));
}
}  // namespace

void axpy_inplace(const Tensor& dst, const Tensor& src, float alpha) {
  check_f32(dst, "axpy_inplace");
  Tensor s = to_dtype(src, DType::kF32);
  if (s.shape() != dst.shape()) s = expand(s, dst.shape());
  if (dst.is_contiguous() && s.is_contiguous()) {
    float* d = dst.data<float>();
    const float* p = s.data<float>();
    parallel_for(
        dst.numel(),
        [&](int64_t b, int64_t e) {
          for (int64_t i = b; i < e; ++i) d[i] += alpha * p[i];
        },
        1 << 15);
    return;
  }
  float* dbase = reinterpret_cast<float*>(dst.storage()->data());
  const float* sbase = reinterpret_cast<const float*>(s.storage()->data());
  for_each_row2(dst.shape(), dst.strides(), dst.offset(), s.strides(), s.offset(),
                [&](int64_t od, int64_t os, int64_t n, int64_t sd, int64_t ss) {
                  for (int64_t i = 0; i < n; ++i) dbase[od + i * sd] += alpha * sbase[os + i * ss];
                });
}

void scale_inplace(const Tensor& dst, float s) {
  check_f32(dst, "scale_inplace");
  float* base = reinterpret_cast<float*>(dst.storage()->data());
  for_each_offset(dst.shape(), dst.strides(), dst.offset(), [&](int64_t o) { base[o] *= s; });
}

void fill_inplace(const Tensor& dst, float value) {
  check_f32(dst, "fill_inplace");
  float* base = reinterpret_cast<float*>(dst.storage()->data());
  for_each_offset(dst.shape(), dst.strides(), dst.offset(), [&](int64_t o) { base[o] = value; });
}

}  // namespace llmkit::ops
