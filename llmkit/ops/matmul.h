// Matrix products through OpenBLAS (raw: no autograd). f16/bf16 inputs are converted to f32;
// outputs are f32; i32 operands are rejected. OpenBLAS uses the current Context's thread count;
// that setting is process-wide in OpenBLAS, so threads running products under Contexts of
// different sizes race on it (results stay correct, only the thread count is affected).
#pragma once

#include "llmkit/tensor/tensor.h"

namespace llmkit::ops {

// NumPy matmul semantics: 1-D operands are promoted and the added axis removed afterwards; leading
// (batch) dimensions broadcast. a [..., M, K] @ b [..., K, N] -> [..., M, N]. Strided operands
// whose last two axes are transposed are passed to BLAS without a copy.
Tensor matmul(const Tensor& a, const Tensor& b);

// x [..., K] @ w[N, K]^T (+ bias [N]) -> [..., N]: the Linear layer's product.
Tensor linear(const Tensor& x, const Tensor& w, const Tensor& bias = Tensor());

// C[M, N] = alpha * op(A) op(B) + beta * C on raw row-major f32 buffers (op = transpose when the
// flag is set); lda/ldb/ldc are row strides. Calls cblas_sgemm.
void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
           int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

}  // namespace llmkit::ops
