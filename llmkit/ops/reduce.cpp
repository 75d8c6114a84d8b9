// Reductions (see reduce.h).
//
// Plan: the input's dimensions split into kept ones (one output element per kept index) and
// reduced ones; each set is coalesced into a LoopLayout, so any axes of any strided input reduce
// without copying (16-bit inputs are converted to f32 first). Every reduction is a visit of all
// (output o, reduced index r) pairs, in increasing r for each o, feeding f(o, r, value) with the
// value as a double. Two loop orders cover the memory layouts:
//   per output  when the reduced elements are the closest in memory (e.g. sum over the last axis):
//               each output walks its reduced elements;
//   blocked     when the kept elements are the closest (e.g. sum over axis 0 of a row-major
//               matrix): a block of outputs advances through the reduced positions together, so
//               reads go along rows.
// Outputs are split over threads; each output's accumulation order is fixed, so results do not
// depend on the thread count.
#include "llmkit/ops/reduce.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "llmkit/base/context.h"
#include "llmkit/ops/strided_loop.h"
#include "llmkit/tensor/view.h"

namespace llmkit::ops {
namespace {
using detail::for_range;
using detail::LoopLayout;
using detail::make_loop;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

std::vector<bool> reduced_axes(const Shape& shape, const std::vector<int64_t>& axes,
                               const char* what) {
  const auto ndim = static_cast<int64_t>(shape.size());
  std::vector<bool> mask(shape.size(), axes.empty());
  for (int64_t axis : axes) {
    int64_t a = normalize_axis(axis, ndim, what);
    LLMKIT_CHECK(!mask[a], what, ": axis ", axis, " is listed twice for a tensor of shape ",
                 shape_to_string(shape));
    mask[a] = true;
  }
  return mask;
}

struct Plan {
  Shape out_shape;
  LoopLayout<1> kept, red;
  int64_t n_out = 0, n_red = 0;
  bool per_output = true;
};

// src is the tensor actually read (f32 or i32).
Plan make_plan(const Tensor& src, const std::vector<bool>& mask, bool keepdim) {
  Plan p;
  Shape kshape, rshape;
  Strides kstrides, rstrides;
  for (size_t d = 0; d < mask.size(); ++d) {
    if (mask[d]) {
      rshape.push_back(src.shape()[d]);
      rstrides.push_back(src.strides()[d]);
      if (keepdim) p.out_shape.push_back(1);
    } else {
      kshape.push_back(src.shape()[d]);
      kstrides.push_back(src.strides()[d]);
      p.out_shape.push_back(src.shape()[d]);
    }
  }
  p.n_out = shape_numel(kshape);
  p.n_red = shape_numel(rshape);
  p.kept = make_loop<1>(kshape, {kstrides}, {src.offset()});
  p.red = make_loop<1>(rshape, {rstrides}, {0});
  p.per_output = p.n_out <= 1 || p.red.strides[0].back() <= p.kept.strides[0].back();
  return p;
}

template <typename T, typename F>
void visit_per_output(const Plan& p, const T* base, int64_t o0, int64_t o1, F& f) {
  const bool flat = p.red.shape.size() == 1;  // the common case: no odometer per output
  const int64_t rn = p.red.shape[0], rs = p.red.strides[0][0];
  int64_t o = o0;
  for_range(p.kept, o0, o1, [&](const auto& ko, int64_t n, const auto& ks) {
    for (int64_t j = 0; j < n; ++j, ++o) {
      const T* row = base + ko[0] + j * ks[0];
      if (flat) {
        for (int64_t r = 0; r < rn; ++r) f(o, r, static_cast<double>(row[r * rs]));
        continue;
      }
      int64_t r = 0;
      for_range(p.red, 0, p.n_red, [&](const auto& ro, int64_t m, const auto& rst) {
        const T* q = row + ro[0];
        for (int64_t i = 0; i < m; ++i) f(o, r++, static_cast<double>(q[i * rst[0]]));
      });
    }
  });
}

template <typename T, typename F>
void visit_blocked(const Plan& p, const T* base, int64_t o0, int64_t o1, F& f) {
  constexpr int64_t kBlock = 512;
  std::vector<int64_t> koff(kBlock);
  for (int64_t b0 = o0; b0 < o1; b0 += kBlock) {
    const int64_t b1 = std::min(o1, b0 + kBlock);
    int64_t j = 0;
    for_range(p.kept, b0, b1, [&](const auto& ko, int64_t n, const auto& ks) {
      for (int64_t i = 0; i < n; ++i) koff[j++] = ko[0] + i * ks[0];
    });
    int64_t r = 0;
    for_range(p.red, 0, p.n_red, [&](const auto& ro, int64_t m, const auto& rst) {
      for (int64_t i = 0; i < m; ++i, ++r) {
        const T* q = base + ro[0] + i * rst[0];
        for (int64_t k = 0; k < b1 - b0; ++k) f(b0 + k, r, static_cast<double>(q[koff[k]]));
      }
    });
  }
}

// Calls f(o, r, value) for every output o and reduced index r (see the file comment).
template <typename F>
void visit(const Tensor& src, const Plan& p, F f) {
  if (p.n_out == 0 || p.n_red == 0) return;
  const int64_t min_chunk = std::max<int64_t>(1, detail::kMinParallelChunk / p.n_red);
  parallel_for(
      p.n_out,
      [&](int64_t o0, int64_t o1) {
        auto run = [&](const auto* base) {
          if (p.per_output) {
            visit_per_output(p, base, o0, o1, f);
          } else {
            visit_blocked(p, base, o0, o1, f);
          }
        };
        if (src.dtype() == DType::kI32) {
          run(reinterpret_cast<const int32_t*>(src.storage()->data()));
        } else {
          run(reinterpret_cast<const float*>(src.storage()->data()));
        }
      },
      min_chunk);
}

struct Prepared {
  Tensor src;
  Plan plan;
};

Prepared prepare(const Tensor& x, const std::vector<int64_t>& axes, bool keepdim,
                 const char* what) {
  LLMKIT_CHECK(x.defined(), what, ": the input is an undefined tensor");
  std::vector<bool> mask = reduced_axes(x.shape(), axes, what);
  Tensor src = x.dtype() == DType::kF32 || x.dtype() == DType::kI32 ? x : to_dtype(x, DType::kF32);
  Plan plan = make_plan(src, mask, keepdim);
  return {src, plan};
}

Tensor to_output(const Plan& p, const std::vector<double>& values) {
  Tensor out = Tensor::empty(p.out_shape);
  float* po = out.data<float>();
  for (int64_t o = 0; o < p.n_out; ++o) po[o] = static_cast<float>(values[o]);
  return out;
}

void check_nonempty(const Prepared& pr, const Tensor& x, const char* what) {
  LLMKIT_CHECK(pr.plan.n_red > 0, what, ": cannot reduce ", describe(x),
               " over a zero-size axis (the result would be undefined)");
}

// max (sign = +1) or min (sign = -1) of each output, NaN winning over numbers.
std::vector<double> extreme(const Prepared& pr, double sign) {
  std::vector<double> best(pr.plan.n_out, kNaN);
  visit(pr.src, pr.plan, [&](int64_t o, int64_t r, double v) {
    double& b = best[o];
    if (r == 0 || (!std::isnan(b) && (std::isnan(v) || sign * v > sign * b))) b = v;
  });
  return best;
}

Tensor arg_extreme(const Tensor& x, int64_t axis, bool keepdim, double sign, const char* what) {
  Prepared pr = prepare(x, {axis}, keepdim, what);
  check_nonempty(pr, x, what);
  LLMKIT_CHECK(pr.plan.n_red <= std::numeric_limits<int32_t>::max(), what, ": axis of ",
               describe(x), " is too long for i32 indices");
  std::vector<double> best(pr.plan.n_out, kNaN);
  std::vector<int32_t> index(pr.plan.n_out, 0);
  visit(pr.src, pr.plan, [&](int64_t o, int64_t r, double v) {
    double& b = best[o];
    if (r == 0 || (!std::isnan(b) && (std::isnan(v) || sign * v > sign * b))) {
      b = v;
      index[o] = static_cast<int32_t>(r);
    }
  });
  Tensor out = Tensor::empty(pr.plan.out_shape, DType::kI32);
  std::copy(index.begin(), index.end(), out.data<int32_t>());
  return out;
}
}  // namespace

Shape reduce_shape(const Shape& shape, const std::vector<int64_t>& axes, bool keepdim,
                   const char* what) {
  std::vector<bool> mask = reduced_axes(shape, axes, what);
  Shape out;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (!mask[d]) {
      out.push_back(shape[d]);
    } else if (keepdim) {
      out.push_back(1);
    }
  }
  return out;
}

Tensor reduce(ReduceOp op, const Tensor& x, const std::vector<int64_t>& axes, bool keepdim) {
  switch (op) {
    case ReduceOp::kSum:
      return sum(x, axes, keepdim);
    case ReduceOp::kMean:
      return mean(x, axes, keepdim);
    case ReduceOp::kMax:
      return max(x, axes, keepdim);
    case ReduceOp::kMin:
      return min(x, axes, keepdim);
    case ReduceOp::kLogSumExp:
      return logsumexp(x, axes, keepdim);
  }
  return Tensor();
}

Tensor sum(const Tensor& x, const std::vector<int64_t>& axes, bool keepdim) {
  Prepared pr = prepare(x, axes, keepdim, "sum");
  std::vector<double> acc(pr.plan.n_out, 0.0);
  visit(pr.src, pr.plan, [&](int64_t o, int64_t, double v) { acc[o] += v; });
  return to_output(pr.plan, acc);
}

Tensor mean(const Tensor& x, const std::vector<int64_t>& axes, bool keepdim) {
  Prepared pr = prepare(x, axes, keepdim, "mean");
  std::vector<double> acc(pr.plan.n_out, 0.0);
  visit(pr.src, pr.plan, [&](int64_t o, int64_t, double v) { acc[o] += v; });
  const auto n = static_cast<double>(pr.plan.n_red);
  for (double& a : acc) a = n > 0 ? a / n : kNaN;
  return to_output(pr.plan, acc);
}

Tensor max(const Tensor& x, const std::vector<int64_t>& axes, bool keepdim) {
  Prepared pr = prepare(x, axes, keepdim, "max");
  check_nonempty(pr, x, "max");
  return to_output(pr.plan, extreme(pr, 1.0));
}

Tensor min(const Tensor& x, const std::vector<int64_t>& axes, bool keepdim) {
  Prepared pr = prepare(x, axes, keepdim, "min");
  check_nonempty(pr, x, "min");
  return to_output(pr.plan, extreme(pr, -1.0));
}

// logsumexp = m + log(sum exp(x - m)) with m the maximum; rows whose maximum is +-inf or NaN
// return it directly (all -inf gives -inf, not NaN).
Tensor logsumexp(const Tensor& x, const std::vector<int64_t>& axes, bool keepdim) {
  Prepared pr = prepare(x, axes, keepdim, "logsumexp");
  if (pr.plan.n_red == 0) {
    return to_output(pr.plan, std::vector<double>(pr.plan.n_out, -kInf));
  }
  std::vector<double> m = extreme(pr, 1.0);
  std::vector<double> s(pr.plan.n_out, 0.0);
  visit(pr.src, pr.plan, [&](int64_t o, int64_t, double v) {
    if (std::isfinite(m[o])) s[o] += std::exp(v - m[o]);
  });
  for (int64_t o = 0; o < pr.plan.n_out; ++o) {
    if (std::isfinite(m[o])) m[o] += std::log(s[o]);
  }
  return to_output(pr.plan, m);
}

// Two passes (mean, then squared deviations) in double: no cancellation from E[x^2] - E[x]^2.
Tensor var(const Tensor& x, const std::vector<int64_t>& axes, bool keepdim, int64_t correction) {
  LLMKIT_CHECK(correction >= 0, "var: correction must be >= 0, got ", correction);
  Prepared pr = prepare(x, axes, keepdim, "var");
  std::vector<double> mu(pr.plan.n_out, 0.0), ss(pr.plan.n_out, 0.0);
  visit(pr.src, pr.plan, [&](int64_t o, int64_t, double v) { mu[o] += v; });
  const auto n = static_cast<double>(pr.plan.n_red);
  for (double& a : mu) a /= n;
  visit(pr.src, pr.plan, [&](int64_t o, int64_t, double v) {
    double d = v - mu[o];
    ss[o] += d * d;
  });
  const double dof = n - static_cast<double>(correction);
  for (double& a : ss) a = dof > 0 ? a / dof : kNaN;
  return to_output(pr.plan, ss);
}

Tensor argmax(const Tensor& x, int64_t axis, bool keepdim) {
  return arg_extreme(x, axis, keepdim, 1.0, "argmax");
}

Tensor argmin(const Tensor& x, int64_t axis, bool keepdim) {
  return arg_extreme(x, axis, keepdim, -1.0, "argmin");
}

Tensor sum_to(const Tensor& x, const Shape& shape) {
  LLMKIT_CHECK(x.defined(), "sum_to: the input is an undefined tensor");
  const size_t nd = x.shape().size();
  bool fits = shape.size() <= nd;
  std::vector<int64_t> axes;
  for (size_t d = 0; d < nd && fits; ++d) {
    size_t lead = nd - shape.size();
    if (d < lead) {
      axes.push_back(static_cast<int64_t>(d));
    } else if (shape[d - lead] == 1 && x.shape()[d] != 1) {
      axes.push_back(static_cast<int64_t>(d));
    } else {
      fits = shape[d - lead] == x.shape()[d];
    }
  }
  LLMKIT_CHECK(fits, "sum_to: cannot sum ", describe(x), " down to ", shape_to_string(shape),
               " (that shape does not broadcast to the input's)");
  if (axes.empty()) return to_dtype(x, DType::kF32);
  return view(sum(x, axes, /*keepdim=*/true), shape);
}

}  // namespace llmkit::ops
