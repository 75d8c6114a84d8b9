// Element-wise ops with NumPy broadcasting over strided inputs (see elementwise.h).
//
// Float operands are brought to f32 first (16-bit ones are converted, f32 views keep their
// strides), the result is computed into a new contiguous f32 tensor and converted to the result
// dtype at the end. The walk over operands goes through detail::make_loop, whose coalescing turns
// contiguous same-shape operands into one flat row and a broadcast scalar into a stride-0 row:
// those rows go to the SIMD kernels, split over threads with parallel_for.
#include "llmkit/ops/elementwise.h"

#include <cmath>

#include "llmkit/base/context.h"
#include "llmkit/ops/elementwise_kernels.h"
#include "llmkit/ops/strided_loop.h"
#include "llmkit/tensor/creation.h"
#include "llmkit/tensor/view.h"

namespace llmkit::ops {
namespace {
using detail::for_range;
using detail::kMinParallelChunk;
using detail::make_loop;

bool is_comparison(BinaryOp op) {
  return op == BinaryOp::kEq || op == BinaryOp::kNe || op == BinaryOp::kLt || op == BinaryOp::kLe ||
         op == BinaryOp::kGt || op == BinaryOp::kGe;
}

void check_defined(const Tensor& t, const char* what, const char* operand) {
  LLMKIT_CHECK(t.defined(), what, ": operand '", operand, "' is an undefined tensor");
}

// f32 view of x: x itself when already f32 (any strides), else a converted contiguous copy.
Tensor f32_operand(const Tensor& x) {
  return x.dtype() == DType::kF32 ? x : to_dtype(x, DType::kF32);
}

// f32 contiguous op(x[i]) for every element, via the SIMD kernel when there is one.
void run_unary(UnaryOp op, const float* x, float* y, int64_t n) {
  bool simd = simd::has_unary(op);
  parallel_for(
      n,
      [&](int64_t b, int64_t e) {
        if (simd) {
          simd::unary_f32(op, x + b, y + b, e - b);
        } else {
          ref::unary_f32(op, x + b, y + b, e - b);
        }
      },
      kMinParallelChunk);
}

// Applies f (float -> float) element-wise: computed in f32, result in x's float dtype (f32 for
// i32 input).
template <typename F>
Tensor map_float(const Tensor& x, const char* what, F f) {
  check_defined(x, what, "x");
  Tensor buf = x.dtype() == DType::kF32 ? ops::clone(x) : to_dtype(x, DType::kF32);
  float* p = buf.data<float>();
  parallel_for(
      buf.numel(),
      [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) p[i] = f(p[i]);
      },
      kMinParallelChunk);
  return x.dtype() == DType::kF32 || x.dtype() == DType::kI32 ? buf : to_dtype(buf, x.dtype());
}

// Row kernel for f32 operands: SIMD when the op has one and strides are 0/1.
void binary_row(BinaryOp op, const float* a, int64_t sa, const float* b, int64_t sb, float* out,
                int64_t n) {
  if (simd::has_binary(op) && (sa == 0 || sa == 1) && (sb == 0 || sb == 1)) {
    simd::binary_f32(op, a, sa, b, sb, out, n);
  } else {
    ref::binary_f32(op, a, sa, b, sb, out, n);
  }
}

// Exact i32 arithmetic (wrapping on overflow, computed in uint32) and comparisons.
template <typename Out>
void binary_i32_row(BinaryOp op, const int32_t* a, int64_t sa, const int32_t* b, int64_t sb,
                    Out* out, int64_t n) {
  auto wrap = [](uint32_t v) { return static_cast<int32_t>(v); };
  for (int64_t i = 0; i < n; ++i) {
    int32_t x = a[i * sa], y = b[i * sb];
    auto ux = static_cast<uint32_t>(x), uy = static_cast<uint32_t>(y);
    int32_t r = 0;
    switch (op) {
      case BinaryOp::kAdd:
        r = wrap(ux + uy);
        break;
      case BinaryOp::kSub:
        r = wrap(ux - uy);
        break;
      case BinaryOp::kMul:
        r = wrap(ux * uy);
        break;
      case BinaryOp::kMaximum:
        r = x > y ? x : y;
        break;
      case BinaryOp::kMinimum:
        r = x < y ? x : y;
        break;
      case BinaryOp::kEq:
        r = x == y;
        break;
      case BinaryOp::kNe:
        r = x != y;
        break;
      case BinaryOp::kLt:
        r = x < y;
        break;
      case BinaryOp::kLe:
        r = x <= y;
        break;
      case BinaryOp::kGt:
        r = x > y;
        break;
      case BinaryOp::kGe:
        r = x >= y;
        break;
      case BinaryOp::kDiv:
      case BinaryOp::kPow:
        break;  // rejected by binary()
    }
    out[i] = static_cast<Out>(r);
  }
}

Tensor binary_i32(BinaryOp op, const Tensor& a, const Tensor& b, const Shape& shape) {
  LLMKIT_CHECK(op != BinaryOp::kDiv && op != BinaryOp::kPow, binary_op_name(op),
               ": not defined for two i32 operands (", describe(a), ", ", describe(b),
               "); convert one to a float dtype with to_dtype");
  bool cmp = is_comparison(op);
  Tensor out = Tensor::uninitialized(shape, cmp ? DType::kF32 : DType::kI32);
  auto loop = make_loop<3>(shape,
                           {contiguous_strides(shape), detail::broadcast_strides(a, shape),
                            detail::broadcast_strides(b, shape)},
                           {0, a.offset(), b.offset()});
  const auto* pa = reinterpret_cast<const int32_t*>(a.storage()->data());
  const auto* pb = reinterpret_cast<const int32_t*>(b.storage()->data());
  void* po = out.raw_data();
  parallel_for(
      out.numel(),
      [&](int64_t begin, int64_t end) {
        for_range(loop, begin, end, [&](const auto& o, int64_t n, const auto& s) {
          if (cmp) {
            binary_i32_row(op, pa + o[1], s[1], pb + o[2], s[2], static_cast<float*>(po) + o[0], n);
          } else {
            binary_i32_row(op, pa + o[1], s[1], pb + o[2], s[2], static_cast<int32_t*>(po) + o[0],
                           n);
          }
        });
      },
      kMinParallelChunk);
  return out;
}
}  // namespace

const char* unary_op_name(UnaryOp op) {
  switch (op) {
    case UnaryOp::kNeg:
      return "neg";
    case UnaryOp::kExp:
      return "exp";
    case UnaryOp::kLog:
      return "log";
    case UnaryOp::kSqrt:
      return "sqrt";
    case UnaryOp::kRsqrt:
      return "rsqrt";
    case UnaryOp::kTanh:
      return "tanh";
    case UnaryOp::kAbs:
      return "abs";
    case UnaryOp::kSquare:
      return "square";
    case UnaryOp::kReciprocal:
      return "reciprocal";
    case UnaryOp::kSigmoid:
      return "sigmoid";
    case UnaryOp::kRelu:
      return "relu";
    case UnaryOp::kSilu:
      return "silu";
    case UnaryOp::kGeluExact:
      return "gelu";
    case UnaryOp::kGeluTanh:
      return "gelu_tanh";
    case UnaryOp::kSin:
      return "sin";
    case UnaryOp::kCos:
      return "cos";
  }
  return "unary";
}

const char* binary_op_name(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd:
      return "add";
    case BinaryOp::kSub:
      return "sub";
    case BinaryOp::kMul:
      return "mul";
    case BinaryOp::kDiv:
      return "div";
    case BinaryOp::kPow:
      return "pow";
    case BinaryOp::kMaximum:
      return "maximum";
    case BinaryOp::kMinimum:
      return "minimum";
    case BinaryOp::kEq:
      return "eq";
    case BinaryOp::kNe:
      return "ne";
    case BinaryOp::kLt:
      return "lt";
    case BinaryOp::kLe:
      return "le";
    case BinaryOp::kGt:
      return "gt";
    case BinaryOp::kGe:
      return "ge";
  }
  return "binary";
}

Tensor unary(UnaryOp op, const Tensor& x) {
  check_defined(x, unary_op_name(op), "x");
  LLMKIT_CHECK(is_floating(x.dtype()), unary_op_name(op), ": needs a floating tensor, got ",
               describe(x), "; convert it with to_dtype first");
  // f32 contiguous x is read directly; anything else is first copied into the output buffer
  // (converted to f32, made contiguous) and transformed in place.
  bool direct = x.dtype() == DType::kF32 && x.is_contiguous();
  Tensor out = direct ? Tensor::uninitialized(x.shape()) : to_dtype(x, DType::kF32);  // a new copy
  const float* in = direct ? x.data<float>() : out.data<float>();
  run_unary(op, in, out.data<float>(), out.numel());
  return x.dtype() == DType::kF32 ? out : to_dtype(out, x.dtype());
}

Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b) {
  const char* what = binary_op_name(op);
  check_defined(a, what, "a");
  check_defined(b, what, "b");
  Shape shape = broadcast_shapes(a.shape(), b.shape(), what);
  if (a.dtype() == DType::kI32 && b.dtype() == DType::kI32) return binary_i32(op, a, b, shape);

  DType out_dtype = is_comparison(op) ? DType::kF32 : promote_dtypes(a.dtype(), b.dtype());
  Tensor af = f32_operand(a), bf = f32_operand(b);
  Tensor out = Tensor::uninitialized(shape, DType::kF32);
  auto loop = make_loop<3>(shape,
                           {contiguous_strides(shape), detail::broadcast_strides(af, shape),
                            detail::broadcast_strides(bf, shape)},
                           {0, af.offset(), bf.offset()});
  const auto* pa = reinterpret_cast<const float*>(af.storage()->data());
  const auto* pb = reinterpret_cast<const float*>(bf.storage()->data());
  float* po = out.data<float>();
  parallel_for(
      out.numel(),
      [&](int64_t begin, int64_t end) {
        for_range(loop, begin, end, [&](const auto& o, int64_t n, const auto& s) {
          binary_row(op, pa + o[1], s[1], pb + o[2], s[2], po + o[0], n);
        });
      },
      kMinParallelChunk);
  return out_dtype == DType::kF32 ? out : to_dtype(out, out_dtype);
}

Tensor add_scalar(const Tensor& x, float s) {
  return map_float(x, "add_scalar", [s](float v) { return v + s; });
}

Tensor mul_scalar(const Tensor& x, float s) {
  return map_float(x, "mul_scalar", [s](float v) { return v * s; });
}

Tensor pow_scalar(const Tensor& x, float exponent) {
  if (exponent == 2.0f) return map_float(x, "pow_scalar", [](float v) { return v * v; });
  if (exponent == 1.0f) return map_float(x, "pow_scalar", [](float v) { return v; });
  return map_float(x, "pow_scalar", [exponent](float v) { return std::pow(v, exponent); });
}

Tensor clamp(const Tensor& x, float low, float high) {
  LLMKIT_CHECK(!(low > high), "clamp: low (", low, ") is greater than high (", high, ") for ",
               describe(x));
  // NaN x stays NaN: both comparisons are false.
  return map_float(x, "clamp",
                   [low, high](float v) { return v < low ? low : (v > high ? high : v); });
}

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  check_defined(cond, "where", "cond");
  check_defined(a, "where", "a");
  check_defined(b, "where", "b");
  Shape shape =
      broadcast_shapes(broadcast_shapes(cond.shape(), a.shape(), "where"), b.shape(), "where");
  bool ints = a.dtype() == DType::kI32 && b.dtype() == DType::kI32;
  DType out_dtype = promote_dtypes(a.dtype(), b.dtype());
  // cond is read as f32 (0 or not); i32 values: the choice is exact, operands keep 4-byte lanes.
  Tensor cf = f32_operand(cond);
  Tensor af = ints ? a : f32_operand(a), bf = ints ? b : f32_operand(b);
  Tensor out = Tensor::uninitialized(shape, ints ? DType::kI32 : DType::kF32);
  auto loop =
      make_loop<4>(shape,
                   {contiguous_strides(shape), detail::broadcast_strides(cf, shape),
                    detail::broadcast_strides(af, shape), detail::broadcast_strides(bf, shape)},
                   {0, cf.offset(), af.offset(), bf.offset()});
  const auto* pc = reinterpret_cast<const float*>(cf.storage()->data());
  // Both branches are 4-byte values copied bit for bit, so one uint32 walk serves f32 and i32.
  const auto* pa = reinterpret_cast<const uint32_t*>(af.storage()->data());
  const auto* pb = reinterpret_cast<const uint32_t*>(bf.storage()->data());
  auto* po = static_cast<uint32_t*>(out.raw_data());
  parallel_for(
      out.numel(),
      [&](int64_t begin, int64_t end) {
        for_range(loop, begin, end, [&](const auto& o, int64_t n, const auto& s) {
          for (int64_t i = 0; i < n; ++i) {
            po[o[0] + i] = pc[o[1] + i * s[1]] != 0.0f ? pa[o[2] + i * s[2]] : pb[o[3] + i * s[3]];
          }
        });
      },
      kMinParallelChunk);
  return out.dtype() == out_dtype ? out : to_dtype(out, out_dtype);
}

Tensor masked_fill(const Tensor& x, const Tensor& mask, float value) {
  check_defined(x, "masked_fill", "x");
  check_defined(mask, "masked_fill", "mask");
  LLMKIT_CHECK(broadcast_shapes(x.shape(), mask.shape(), "masked_fill") == x.shape(),
               "masked_fill: mask ", describe(mask), " does not broadcast to x ", describe(x),
               " (the mask may not enlarge x)");
  return where(mask, scalar(value, x.dtype()), x);
}

}  // namespace llmkit::ops
