// Matrix products through OpenBLAS cblas_sgemm.
//
// Strategy: every operand is reduced to a batch of 2-D matrices whose last two axes BLAS can read
// in place (row-major, or its transpose); anything else is made contiguous first. Batches loop
// over sgemm, except when the right operand is the same matrix for every batch entry and the left
// operand's batch and row axes collapse into one strided axis: then the batch folds into M and a
// single sgemm runs. The output is allocated once and written by BLAS directly.
#include "llmkit/ops/matmul.h"

#include <cblas.h>

#include <climits>
#include <optional>

#include "llmkit/base/context.h"
#include "llmkit/tensor/view.h"

namespace llmkit::ops {
namespace {

// How a [rows, cols] matrix with element strides (sr, sc) is handed to BLAS without a copy:
// trans = false reads it row-major with leading dimension ld (sc == 1, sr >= cols); trans = true
// reads its transpose [cols, rows] row-major (sr == 1, sc >= rows). Size-1 axes accept any stride.
struct BlasLayout {
  bool trans = false;
  int64_t ld = 1;
};

std::optional<BlasLayout> blas_layout(int64_t rows, int64_t cols, int64_t sr, int64_t sc) {
  int64_t r1 = std::max<int64_t>(rows, 1), c1 = std::max<int64_t>(cols, 1);
  if ((cols <= 1 || sc == 1) && (rows <= 1 || sr >= c1)) {
    return BlasLayout{false, rows <= 1 ? c1 : sr};
  }
  if ((rows <= 1 || sr == 1) && (cols <= 1 || sc >= r1)) {
    return BlasLayout{true, cols <= 1 ? r1 : sc};
  }
  return std::nullopt;
}

std::optional<BlasLayout> blas_layout_of(const Tensor& t) {
  int64_t nd = t.dim();
  return blas_layout(t.shape()[nd - 2], t.shape()[nd - 1], t.strides()[nd - 2],
                     t.strides()[nd - 1]);
}

// t as f32 with a BLAS-readable matrix layout in its last two axes (copied only when needed).
Tensor as_f32(const Tensor& t, const char* what) {
  LLMKIT_CHECK(is_floating(t.dtype()), what, ": operand ", describe(t),
               " must be a floating tensor (f32, f16 or bf16)");
  return t.dtype() == DType::kF32 ? t : to_dtype(t, DType::kF32);
}

Tensor as_blas_operand(const Tensor& t, const char* what) {
  Tensor f = as_f32(t, what);
  return blas_layout_of(f) ? f : contiguous(f);
}

void check_int_range(int64_t v, const char* what) {
  LLMKIT_CHECK_CODE(v <= INT_MAX, ErrorCode::kUnsupported, what, ": dimension or stride ", v,
                    " exceeds the 32-bit BLAS interface");
}

// Sets OpenBLAS's thread count to the current Context's (cheap when it already matches).
void sync_blas_threads() {
  int n = current_context().n_threads();
  if (openblas_get_num_threads() != n) openblas_set_num_threads(n);
}

const float* f32_base(const Tensor& t) {
  return reinterpret_cast<const float*>(t.storage()->data());
}

// When axes [0, nd-1) of t (batch axes and the row axis) walk one uniform stride, so that they can
// be read as a single row axis of shape_numel(shape[:-1]) rows, returns that row stride (the row
// length max(cols, 1) when there is at most one row).
std::optional<int64_t> collapsed_row_stride(const Tensor& t) {
  int64_t nd = t.dim();
  std::optional<int64_t> stride;
  int64_t expect = 0;
  for (int64_t d = nd - 2; d >= 0; --d) {
    int64_t size = t.shape()[d];
    if (size == 1) continue;
    if (!stride) {
      stride = t.strides()[d];
    } else if (t.strides()[d] != expect) {
      return std::nullopt;
    }
    expect = t.strides()[d] * size;
  }
  return stride.value_or(std::max<int64_t>(t.shape()[nd - 1], 1));
}

// The row-major layout of t read as one [rows, cols] matrix over all its axes, if it has one.
std::optional<BlasLayout> folded_layout(const Tensor& t) {
  int64_t cols = t.size(-1);
  auto rs = collapsed_row_stride(t);
  if (!rs || *rs < std::max<int64_t>(cols, 1) || (cols > 1 && t.stride(-1) != 1)) {
    return std::nullopt;
  }
  return BlasLayout{false, *rs};
}

}  // namespace

void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
           int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  LLMKIT_CHECK(m >= 0 && n >= 0 && k >= 0, "sgemm: negative size m=", m, " n=", n, " k=", k);
  LLMKIT_CHECK(ldc >= std::max<int64_t>(n, 1), "sgemm: ldc ", ldc, " < n ", n);
  if (m == 0 || n == 0) return;
  if (k == 0) {  // C = beta * C; BLAS would also accept this, but its lda checks need care.
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
    }
    return;
  }
  LLMKIT_CHECK(lda >= (trans_a ? m : k) && ldb >= (trans_b ? k : n), "sgemm: leading dimensions ",
               "lda=", lda, " ldb=", ldb, " too small for m=", m, " n=", n, " k=", k);
  for (int64_t v : {m, n, k, lda, ldb, ldc}) check_int_range(v, "sgemm");
  sync_blas_threads();
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
              trans_b ? CblasTrans : CblasNoTrans, static_cast<int>(m), static_cast<int>(n),
              static_cast<int>(k), alpha, a, static_cast<int>(lda), b, static_cast<int>(ldb), beta,
              c, static_cast<int>(ldc));
}

Tensor matmul(const Tensor& a_in, const Tensor& b_in) {
  LLMKIT_CHECK(a_in.defined() && b_in.defined(), "matmul: undefined operand");
  LLMKIT_CHECK(a_in.dim() >= 1 && b_in.dim() >= 1, "matmul: operands must have at least one ",
               "dimension, got ", describe(a_in), " @ ", describe(b_in));
  // NumPy promotion of 1-D operands: a [K] -> [1, K], b [K] -> [K, 1]; removed from the result.
  bool a_vec = a_in.dim() == 1, b_vec = b_in.dim() == 1;
  Tensor a = as_blas_operand(a_vec ? unsqueeze(a_in, 0) : a_in, "matmul");
  Tensor b = as_blas_operand(b_vec ? unsqueeze(b_in, 1) : b_in, "matmul");
  int64_t m = a.size(-2), k = a.size(-1), n = b.size(-1);
  LLMKIT_CHECK(b.size(-2) == k, "matmul: inner dimensions differ: ", describe(a_in), " @ ",
               describe(b_in), " (", k, " vs ", b.size(-2), ")");
  Shape a_batch(a.shape().begin(), a.shape().end() - 2);
  Shape b_batch(b.shape().begin(), b.shape().end() - 2);
  Shape batch = broadcast_shapes(a_batch, b_batch, "matmul (batch dimensions)");

  Shape out_shape = batch;
  if (!a_vec) out_shape.push_back(m);
  if (!b_vec) out_shape.push_back(n);
  // Zero-filled only when k == 0 (the product is then all zeros); else sgemm writes every element.
  Tensor out = k == 0 ? Tensor::empty(out_shape, DType::kF32)
                      : Tensor::uninitialized(out_shape, DType::kF32);
  int64_t nb = shape_numel(batch);
  if (nb == 0 || m == 0 || n == 0 || k == 0) return out;

  BlasLayout la = *blas_layout_of(a), lb = *blas_layout_of(b);
  float* c = out.data<float>();
  if (nb == 1) {
    sgemm(la.trans, lb.trans, m, n, k, 1.0f, a.data<float>(), la.ld, b.data<float>(), lb.ld, 0.0f,
          c, n);
    return out;
  }
  // Fold the batch into M when b is one matrix for all entries (so a's batch entries are in
  // output order) and a's batch and row axes collapse into one uniformly strided row axis.
  bool b_shared = shape_numel(b_batch) == 1;
  if (auto fold = folded_layout(a); b_shared && fold) {
    sgemm(false, lb.trans, nb * m, n, k, 1.0f, a.data<float>(), fold->ld, b.data<float>(), lb.ld,
          0.0f, c, n);
    return out;
  }
  Shape a_full = batch, b_full = batch;
  a_full.insert(a_full.end(), {m, k});
  b_full.insert(b_full.end(), {k, n});
  Tensor ae = expand(a, a_full), be = expand(b, b_full);  // batch strides (0 where broadcast)
  const float* pa = f32_base(ae);
  const float* pb = f32_base(be);
  auto nbd = static_cast<int64_t>(batch.size());
  for (int64_t i = 0; i < nb; ++i) {
    int64_t oa = ae.offset(), ob = be.offset(), rest = i;
    for (int64_t d = nbd - 1; d >= 0; --d) {
      int64_t idx = rest % batch[d];
      rest /= batch[d];
      oa += idx * ae.strides()[d];
      ob += idx * be.strides()[d];
    }
    sgemm(la.trans, lb.trans, m, n, k, 1.0f, pa + oa, la.ld, pb + ob, lb.ld, 0.0f, c + i * m * n,
          n);
  }
  return out;
}

Tensor linear(const Tensor& x_in, const Tensor& w_in, const Tensor& bias_in) {
  LLMKIT_CHECK(x_in.defined() && w_in.defined(), "linear: undefined operand");
  LLMKIT_CHECK(w_in.dim() == 2, "linear: weight must be [N, K], got ", describe(w_in));
  LLMKIT_CHECK(x_in.dim() >= 1, "linear: input must have at least one dimension, got ",
               describe(x_in));
  int64_t n = w_in.size(0), k = w_in.size(1);
  LLMKIT_CHECK(x_in.size(-1) == k, "linear: input ", describe(x_in), " does not end in the ",
               "weight's input size ", k, " (weight ", describe(w_in), ")");
  if (bias_in.defined()) {
    LLMKIT_CHECK(bias_in.dim() == 1 && bias_in.size(0) == n, "linear: bias ", describe(bias_in),
                 " must be [", n, "] for weight ", describe(w_in));
  }
  // x [..., K] is read as one [M, K] matrix: its leading axes must collapse into one row axis.
  Tensor x = as_f32(x_in.dim() == 1 ? unsqueeze(x_in, 0) : x_in, "linear");
  std::optional<BlasLayout> lx = folded_layout(x);
  if (!lx && x.dim() == 2) lx = blas_layout_of(x);
  if (!lx) {
    x = contiguous(x);
    lx = folded_layout(x);
  }
  // op(B) must be w^T [K, N]: read w's transpose view.
  Tensor wt = as_blas_operand(transpose(w_in, 0, 1), "linear");
  int64_t m = shape_numel(Shape(x.shape().begin(), x.shape().end() - 1));

  Shape out_shape(x_in.shape().begin(), x_in.shape().end() - 1);
  out_shape.push_back(n);
  Tensor out = Tensor::uninitialized(out_shape, DType::kF32);  // sgemm writes every element
  if (m == 0 || n == 0) return out;
  float* c = out.data<float>();
  float beta = 0.0f;
  if (bias_in.defined()) {
    Tensor bias = to_dtype(bias_in, DType::kF32);
    const float* pb = bias.data<float>();
    for (int64_t i = 0; i < m; ++i) std::copy(pb, pb + n, c + i * n);
    beta = 1.0f;
  }
  BlasLayout lw = *blas_layout_of(wt);
  sgemm(lx->trans, lw.trans, m, n, k, 1.0f, x.data<float>(), lx->ld, wt.data<float>(), lw.ld, beta,
        c, n);
  return out;
}

}  // namespace llmkit::ops
