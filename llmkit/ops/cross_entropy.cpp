// Softmax cross-entropy over the last axis of logits [N, V] (declared in fused.h).
//
// Per valid row n (target y_n != ignore_index): lse_n = m + log(sum_v exp(x_nv - m)) with
// m = max_v x_nv, and loss_n = lse_n - x_{n, y_n}. loss = sum(loss_n) / n_valid.
// d loss_n / d x_nv = softmax(x_n)_v - [v == y_n], scaled by dloss / n_valid in the backward.
#include <cmath>
#include <limits>
#include <vector>

#include "llmkit/base/context.h"
#include "llmkit/ops/fused.h"
#include "llmkit/ops/fused_simd.h"
#include "llmkit/ops/fused_util.h"

namespace llmkit::ops {
namespace {

// Checks logits [N, V] and targets i32 [N], and every target against [0, V); returns the targets.
std::vector<int32_t> check_inputs(const Tensor& logits, const Tensor& targets, int64_t ignore_index,
                                  const char* what) {
  LLMKIT_CHECK(logits.defined() && targets.defined(), what,
               ": logits and targets must be defined tensors");
  LLMKIT_CHECK(is_floating(logits.dtype()) && logits.dim() == 2 && logits.size(1) > 0, what,
               ": logits ", describe(logits), " must be a floating [N, V] tensor with V > 0");
  LLMKIT_CHECK(
      targets.dtype() == DType::kI32 && targets.dim() == 1 && targets.size(0) == logits.size(0),
      what, ": targets ", describe(targets), " must be i32 [N] = [", logits.size(0),
      "] to match logits ", describe(logits));
  const int64_t v_n = logits.size(1);
  std::vector<int32_t> tg = targets.to_int_vector();
  for (size_t row = 0; row < tg.size(); ++row) {
    const int64_t t = tg[row];
    if (t == ignore_index) continue;
    LLMKIT_CHECK_CODE(t >= 0 && t < v_n, ErrorCode::kOutOfRange, what, ": target ", t, " at row ",
                      row, " is outside [0, ", v_n, ") for logits ", describe(logits),
                      " (and is not ignore_index = ", ignore_index, ")");
  }
  return tg;
}

int64_t count_valid(const std::vector<int32_t>& tg, int64_t ignore_index) {
  int64_t n = 0;
  for (int32_t t : tg) n += (t != ignore_index) ? 1 : 0;
  return n;
}
}  // namespace

CrossEntropyResult cross_entropy(const Tensor& logits, const Tensor& targets,
                                 int64_t ignore_index) {
  std::vector<int32_t> tg = check_inputs(logits, targets, ignore_index, "cross_entropy");
  const int64_t n_rows = logits.size(0), v_n = logits.size(1);
  Tensor x = fused_detail::f32_rows(logits);
  const float* xp = x.data<float>();
  const int64_t row_stride = x.stride(0);
  CrossEntropyResult res{Tensor::empty({}), Tensor::empty({n_rows}), count_valid(tg, ignore_index)};
  float* lse = res.lse.data<float>();
  std::vector<double> row_loss(static_cast<size_t>(n_rows), 0.0);
  parallel_for(
      n_rows,
      [&](int64_t begin, int64_t end) {
        for (int64_t row = begin; row < end; ++row) {
          const float* xr = xp + row * row_stride;
          const float m = fused_simd::max(xr, v_n);
          // A row of -inf logits has no finite maximum to subtract: its lse is -inf.
          lse[row] = std::isinf(m) && m < 0.0f
                         ? m
                         : m + std::log(fused_simd::exp_shift_sum(xr, v_n, m, nullptr));
          if (tg[row] != ignore_index) {
            row_loss[row] = static_cast<double>(lse[row]) - static_cast<double>(xr[tg[row]]);
          }
        }
      },
      fused_detail::rows_per_task(v_n));
  // Summed in row order so the loss does not depend on the thread count.
  double total = 0.0;
  for (double l : row_loss) total += l;
  *res.loss.data<float>() =
      res.n_valid > 0 ? static_cast<float>(total / static_cast<double>(res.n_valid)) : 0.0f;
  return res;
}

Tensor cross_entropy_backward(const Tensor& logits, const Tensor& targets, const Tensor& lse,
                              int64_t n_valid, float dloss, int64_t ignore_index) {
  std::vector<int32_t> tg = check_inputs(logits, targets, ignore_index, "cross_entropy_backward");
  const int64_t n_rows = logits.size(0), v_n = logits.size(1);
  LLMKIT_CHECK(lse.defined() && lse.shape() == Shape({n_rows}) && is_floating(lse.dtype()),
               "cross_entropy_backward: lse ", (lse.defined() ? describe(lse) : "undefined"),
               " must be floating [", n_rows, "] (the lse returned by cross_entropy)");
  LLMKIT_CHECK(n_valid >= 0, "cross_entropy_backward: n_valid must be >= 0, got ", n_valid);
  Tensor dx = Tensor::empty({n_rows, v_n});
  if (n_valid == 0) return dx;
  Tensor x = fused_detail::f32_rows(logits);
  Tensor lse_c = fused_detail::f32_contiguous(lse);
  const float* xp = x.data<float>();
  const float* lp = lse_c.data<float>();
  const int64_t row_stride = x.stride(0);
  float* dp = dx.data<float>();
  const float coef = dloss / static_cast<float>(n_valid);
  parallel_for(
      n_rows,
      [&](int64_t begin, int64_t end) {
        for (int64_t row = begin; row < end; ++row) {
          if (tg[row] == ignore_index) continue;  // stays zero
          float* dr = dp + row * v_n;
          fused_simd::exp_shift_sum(xp + row * row_stride, v_n, lp[row], dr);
          for (int64_t j = 0; j < v_n; ++j) dr[j] *= coef;
          dr[tg[row]] -= coef;
        }
      },
      fused_detail::rows_per_task(v_n));
  return dx;
}

}  // namespace llmkit::ops
