// WeightMatrix: one weight matrix W [rows, cols] of an inference model in its storage type (F32,
// F16, BF16, Q8_0 or Q4_0; ggml row layouts, ggml_types.h), and the three products the forward
// pass needs:
//   matvec:  y[rows] = W x                       single-token decode; SIMD dot products per row
//                                                 (for Q8_0 / Q4_0, x is quantised to Q8_0 once
//                                                 and the dots are integer block dots, as
//                                                 llama.cpp does)
//   matmul:  Y[n, rows] = X[n, cols] W^T          batched prefill; sgemm (OpenBLAS) on W itself
//                                                 (F32) or on f32 panels of rows dequantised into
//                                                 per-thread buffers (other types)
//   row:     out[cols] = W[r, :] as f32           embedding lookup
// Both products are split over the threads of the current Context (parallel_for). Inside them
// OpenBLAS runs single-threaded (one sgemm per thread): matmul sets openblas_set_num_threads(1),
// a process-wide OpenBLAS setting (ops::sgemm sets it back to its Context's count when called).
//
// Ownership: a WeightMatrix is a view of `data` plus a shared owner that keeps it alive (a file
// mapping or an owned buffer); copies share the data. Immutable, so one matrix may serve any
// number of threads; the products' scratch (MatmulScratch) belongs to the caller.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "llmkit/io/ggml_types.h"

namespace llmkit::infer {

class WeightMatrix;

// Buffers of the products: the Q8_0 copy of a matvec input and the per-thread f32 panels of a
// matmul. They grow on first use and are then reused (reserve() them up front to keep every
// forward step allocation-free). Not thread-safe: one per concurrent caller (a Session owns one).
class MatmulScratch {
 public:
  // Grows the buffers to what products with w on n_threads threads need.
  void reserve_for(const WeightMatrix& w, int n_threads);
  int64_t bytes() const;

 private:
  friend class WeightMatrix;
  std::vector<io::BlockQ8_0> xq_;
  std::vector<float> panels_;
};

class WeightMatrix {
 public:
  WeightMatrix() = default;
  // A view of rows x cols stored as `type` at data (rows of ggml_row_bytes(type, cols) bytes, one
  // after another); owner (may be null for data that outlives the matrix) keeps data alive. Throws
  // Error(kUnsupported) for a type the kernels do not use directly (see supports()) and
  // Error(kInvalidArgument) for negative sizes, a null data pointer with rows * cols > 0, or cols
  // not a multiple of the type's block size.
  WeightMatrix(io::GgmlType type, int64_t rows, int64_t cols, const void* data,
               std::shared_ptr<const void> owner);
  // An owned copy of the f32 values [rows, cols] (row-major) converted to `type` (F32, F16, BF16,
  // Q8_0 or Q4_0; quantised with io::quantize_row).
  static WeightMatrix from_f32(const float* values, int64_t rows, int64_t cols,
                               io::GgmlType type = io::GgmlType::kF32);
  // True for the types the kernels use as stored: F32, F16, BF16, Q8_0, Q4_0.
  static bool supports(io::GgmlType type);

  bool defined() const { return data_ != nullptr; }
  io::GgmlType type() const { return type_; }
  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  const void* data() const { return data_; }
  int64_t row_bytes() const { return row_bytes_; }
  int64_t n_bytes() const { return row_bytes_ * rows_; }
  // What this matrix's products need in a MatmulScratch on n_threads threads: Q8_0 blocks of the
  // quantised matvec input (Q8_0 / Q4_0 matrices), f32 panel floats of matmul (non-F32), and the
  // two in bytes.
  int64_t input_blocks() const;
  int64_t panel_floats(int n_threads) const;
  int64_t scratch_bytes(int n_threads) const;

  // The split block layout, for the kernels that have it (AVX-512 VNNI): a Q8_0 / Q4_0 matrix's
  // block values contiguous row after row (data()) and its f16 block scales in a separate array,
  // same total bytes. Products and rows are unchanged (bit for bit). Returns an owned copy in that
  // layout when this CPU runs the split kernels and the type has blocks, else *this.
  WeightMatrix split_blocks() const;
  bool is_split() const { return scales_ != nullptr; }

  // y[rows] = W x for x [cols]. x and y must not overlap.
  void matvec(const float* x, float* y, MatmulScratch& scratch) const;
  // Y[n, rows] = X[n, cols] W^T through the matvec kernels (each row of Y equals matvec of that
  // row of X, bit for bit): every block of weight rows is read once for all n inputs while it is
  // in cache. For small n (decoding several sessions in one step), where matmul's dequantised
  // panels and BLAS packing cost more than they save. X and Y must not overlap.
  void matvec_rows(const float* x, int64_t n, float* y, MatmulScratch& scratch) const;
  // ys[i][rows_i] = ws[i] x for matrices that share the input (Q, K and V; gate and up): one
  // quantisation of x and one parallel loop over all their rows. All must have the same cols.
  static void matvec_group(std::span<const WeightMatrix* const> ws, const float* x,
                           std::span<float* const> ys, MatmulScratch& scratch);
  // Y[n, rows] = X[n, cols] W^T: row i of X at x + i * ldx (ldx >= cols), row i of Y at
  // y + i * ldy (ldy >= rows). X and Y must not overlap.
  void matmul(const float* x, int64_t n, int64_t ldx, float* y, int64_t ldy,
              MatmulScratch& scratch) const;
  // out[cols] = row r (0 <= r < rows, else Error(kOutOfRange)) as f32.
  void row(int64_t r, float* out) const;
  // Rows [r0, r0 + n) as f32 into out [n, cols] (bounds as row()).
  void rows_to_f32(int64_t r0, int64_t n, float* out) const;

 private:
  // y[r] = W[r, :] x for r in [begin, end); xq: x quantised to Q8_0 (block types only).
  void dot_rows(int64_t begin, int64_t end, const float* x, const io::BlockQ8_0* xq,
                float* y) const;
  // rows_to_f32 for the split layout.
  void split_rows_to_f32(int64_t r0, int64_t n, float* out) const;
  // Panel height of matmul for this matrix (types other than F32).
  int64_t panel_rows() const;
  void matmul_f32(const float* x, int64_t n, int64_t ldx, float* y, int64_t ldy) const;

  io::GgmlType type_ = io::GgmlType::kF32;
  int64_t rows_ = 0, cols_ = 0, row_bytes_ = 0;
  const void* data_ = nullptr;        // the rows, or in the split layout their values
  const uint16_t* scales_ = nullptr;  // split layout: the f16 block scales [rows * cols / 32]
  std::shared_ptr<const void> owner_;
};

}  // namespace llmkit::infer
