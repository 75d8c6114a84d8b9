// Internal to ops: walks N strided operands of one (broadcast) shape together, in row-major order.
//
// make_loop coalesces the layout first: size-1 dimensions are dropped and neighbouring dimensions
// merge wherever every operand's strides allow it. So contiguous operands of one shape become a
// single row, and a broadcast scalar becomes a row with stride 0: the fast paths fall out of the
// general walk instead of being special cases. for_range visits any sub-range [begin, end) of the
// flat element index, which is what lets parallel_for split the work at element granularity.
#pragma once

#include <algorithm>
#include <array>
#include <vector>

#include "llmkit/tensor/tensor.h"

namespace llmkit::ops::detail {

template <size_t N>
struct LoopLayout {
  Shape shape;                     // coalesced; never empty (a 0-D walk is shape [1])
  std::array<Strides, N> strides;  // per operand, in elements
  std::array<int64_t, N> offsets;  // per operand, element offset of the first element
};

template <size_t N>
LoopLayout<N> make_loop(const Shape& shape, const std::array<Strides, N>& strides,
                        const std::array<int64_t, N>& offsets) {
  LoopLayout<N> out;
  out.offsets = offsets;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    bool merge = !out.shape.empty();
    for (size_t k = 0; k < N && merge; ++k) {
      merge = out.strides[k].back() == strides[k][d] * shape[d];
    }
    if (merge) {
      out.shape.back() *= shape[d];
      for (size_t k = 0; k < N; ++k) out.strides[k].back() = strides[k][d];
    } else {
      out.shape.push_back(shape[d]);
      for (size_t k = 0; k < N; ++k) out.strides[k].push_back(strides[k][d]);
    }
  }
  if (out.shape.empty()) {
    out.shape.push_back(1);
    for (size_t k = 0; k < N; ++k) out.strides[k].push_back(0);
  }
  return out;
}

// Calls fn(offsets, n, inner_strides) for consecutive runs of the flat range [begin, end): each run
// lies within one innermost row; element i of a run is at offsets[k] + i * inner_strides[k].
template <size_t N, typename Fn>
void for_range(const LoopLayout<N>& loop, int64_t begin, int64_t end, Fn&& fn) {
  if (begin >= end) return;
  const size_t nd = loop.shape.size();
  const int64_t inner = loop.shape[nd - 1];
  std::array<int64_t, N> inner_strides;
  for (size_t k = 0; k < N; ++k) inner_strides[k] = loop.strides[k][nd - 1];
  std::vector<int64_t> idx(nd, 0);
  std::array<int64_t, N> row_off = loop.offsets;
  int64_t row = begin / inner, col = begin % inner;
  for (size_t d = nd - 1; d-- > 0;) {
    idx[d] = row % loop.shape[d];
    row /= loop.shape[d];
    for (size_t k = 0; k < N; ++k) row_off[k] += idx[d] * loop.strides[k][d];
  }
  int64_t remaining = end - begin;
  while (true) {
    int64_t n = std::min(inner - col, remaining);
    std::array<int64_t, N> off;
    for (size_t k = 0; k < N; ++k) off[k] = row_off[k] + col * inner_strides[k];
    fn(off, n, inner_strides);
    remaining -= n;
    if (remaining <= 0) return;
    col = 0;
    for (size_t d = nd - 1; d-- > 0;) {
      for (size_t k = 0; k < N; ++k) row_off[k] += loop.strides[k][d];
      if (++idx[d] < loop.shape[d]) break;
      for (size_t k = 0; k < N; ++k) row_off[k] -= loop.strides[k][d] * loop.shape[d];
      idx[d] = 0;
    }
  }
}

// Strides of `t` as seen through broadcasting to `shape` (missing leading and size-1 dimensions
// get stride 0). The caller has checked that t broadcasts to shape.
inline Strides broadcast_strides(const Tensor& t, const Shape& shape) {
  Strides s(shape.size(), 0);
  size_t lead = shape.size() - t.shape().size();
  for (size_t i = 0; i < t.shape().size(); ++i) {
    s[lead + i] = t.shape()[i] == shape[lead + i] ? t.strides()[i] : 0;
  }
  return s;
}

// Minimum elements per parallel_for chunk for cheap element-wise loops.
inline constexpr int64_t kMinParallelChunk = 1 << 14;

}  // namespace llmkit::ops::detail
