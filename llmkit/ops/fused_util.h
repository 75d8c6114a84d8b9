// Helpers shared by the fused kernels' .cpp files (internal to llmkit/ops).
#pragma once

#include <algorithm>
#include <cstdint>

#include "llmkit/tensor/tensor.h"
#include "llmkit/tensor/view.h"

namespace llmkit::ops::fused_detail {

// x as f32 with a contiguous last axis (other axes keep their strides): x itself when it already
// is, else a contiguous f32 copy. Kernels then address row r of the last axis through strides.
inline Tensor f32_rows(const Tensor& x) {
  if (x.dtype() == DType::kF32 && (x.dim() == 0 || x.size(-1) <= 1 || x.stride(-1) == 1)) {
    return x;
  }
  return to_dtype(x, DType::kF32);
}

// x as a contiguous f32 tensor (x itself when it already is one).
inline Tensor f32_contiguous(const Tensor& x) {
  return to_dtype(x, DType::kF32);
}

// A parallel_for chunk size that gives each task at least ~kWork floats of work.
inline int64_t rows_per_task(int64_t work_per_row) {
  constexpr int64_t kWork = 1 << 14;
  return std::max<int64_t>(1, kWork / std::max<int64_t>(1, work_per_row));
}

}  // namespace llmkit::ops::fused_detail
