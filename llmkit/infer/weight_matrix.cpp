// WeightMatrix products (weight_matrix.h).
//
// matmul on types other than F32: rows are cut into panels of panel_rows() rows (about 1 MiB of
// f32 each); thread slot s dequantises panels s, s + slots, s + 2 * slots, ... into its own buffer
// and multiplies each with one single-threaded sgemm. The dequantisation costs O(rows * cols) per
// call against the sgemm's O(n * rows * cols), so it vanishes for prefill-sized n.
#include "llmkit/infer/weight_matrix.h"

#include <cblas.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <new>

#include "llmkit/base/context.h"
#include "llmkit/base/error.h"
#include "llmkit/infer/dot_kernels.h"
#include "llmkit/infer/dot_kernels_x86.h"
#include "llmkit/io/quantize.h"
#include "llmkit/tensor/dtype.h"

namespace llmkit::infer {
namespace {

constexpr int64_t kQBlock = 32;

// Bytes of a row of n elements of a supported type.
int64_t row_bytes_of(io::GgmlType type, int64_t n) {
  switch (type) {
    case io::GgmlType::kF32:
      return 4 * n;
    case io::GgmlType::kF16:
    case io::GgmlType::kBF16:
      return 2 * n;
    case io::GgmlType::kQ8_0:
      return n / kQBlock * static_cast<int64_t>(sizeof(io::BlockQ8_0));
    case io::GgmlType::kQ4_0:
      return n / kQBlock * static_cast<int64_t>(sizeof(io::BlockQ4_0));
    default:
      return 0;
  }
}

bool is_block_type(io::GgmlType type) {
  return type == io::GgmlType::kQ8_0 || type == io::GgmlType::kQ4_0;
}

// Each matvec task covers at least this many weight elements, so that waking a thread pays off.
constexpr int64_t kMatvecElemsPerTask = 1 << 16;
// Target size of one dequantised matmul panel, in floats (1 MiB).
constexpr int64_t kPanelFloats = 1 << 18;

void ensure_single_threaded_blas() {
  if (openblas_get_num_threads() != 1) openblas_set_num_threads(1);
}

void check_blas_range(int64_t v) {
  LLMKIT_CHECK_CODE(v <= INT_MAX, ErrorCode::kUnsupported, "WeightMatrix::matmul: dimension ", v,
                    " exceeds the 32-bit BLAS interface");
}

// C[n, m] (ldc) = A[n, k] (lda) B[m, k]^T (ldb), single-threaded BLAS call.
void sgemm_nt(int64_t n, int64_t m, int64_t k, const float* a, int64_t lda, const float* b,
              int64_t ldb, float* c, int64_t ldc) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(n), static_cast<int>(m),
              static_cast<int>(k), 1.0f, a, static_cast<int>(lda), b, static_cast<int>(ldb), 0.0f,
              c, static_cast<int>(ldc));
}

}  // namespace

void MatmulScratch::reserve_for(const WeightMatrix& w, int n_threads) {
  const size_t blocks = static_cast<size_t>(w.input_blocks());
  if (xq_.size() < blocks) xq_.resize(blocks);
  const size_t floats = static_cast<size_t>(w.panel_floats(n_threads));
  if (panels_.size() < floats) panels_.resize(floats);
}

int64_t MatmulScratch::bytes() const {
  return static_cast<int64_t>(xq_.size() * sizeof(io::BlockQ8_0) + panels_.size() * sizeof(float));
}

bool WeightMatrix::supports(io::GgmlType type) {
  return row_bytes_of(type, kQBlock) > 0;
}

WeightMatrix::WeightMatrix(io::GgmlType type, int64_t rows, int64_t cols, const void* data,
                           std::shared_ptr<const void> owner)
    : type_(type), rows_(rows), cols_(cols), data_(data), owner_(std::move(owner)) {
  LLMKIT_CHECK_CODE(supports(type), ErrorCode::kUnsupported, "WeightMatrix: weight type ",
                    io::ggml_type_name(type),
                    " is not used directly by the inference kernels (F32, F16, BF16, Q8_0, Q4_0);"
                    " dequantize it to f32 first");
  LLMKIT_CHECK(rows >= 0 && cols >= 0, "WeightMatrix: negative shape [", rows, ", ", cols, "]");
  LLMKIT_CHECK(!is_block_type(type) || cols % kQBlock == 0, "WeightMatrix: a ",
               io::ggml_type_name(type), " matrix [", rows, ", ", cols,
               "] needs rows of a multiple of ", kQBlock, " elements");
  LLMKIT_CHECK(data != nullptr || rows * cols == 0, "WeightMatrix: null data for a [", rows, ", ",
               cols, "] matrix");
  row_bytes_ = row_bytes_of(type, cols);
}

WeightMatrix WeightMatrix::from_f32(const float* values, int64_t rows, int64_t cols,
                                    io::GgmlType type) {
  LLMKIT_CHECK_CODE(supports(type), ErrorCode::kUnsupported, "WeightMatrix::from_f32: type ",
                    io::ggml_type_name(type), " is not one of F32, F16, BF16, Q8_0, Q4_0");
  LLMKIT_CHECK(rows >= 0 && cols >= 0 && (!is_block_type(type) || cols % kQBlock == 0),
               "WeightMatrix::from_f32: shape [", rows, ", ", cols, "] does not fit type ",
               io::ggml_type_name(type));
  const int64_t rb = row_bytes_of(type, cols);
  auto buffer = std::shared_ptr<uint8_t[]>(new uint8_t[std::max<int64_t>(1, rb * rows)]);
  uint8_t* dst = buffer.get();
  const int64_t n = rows * cols;
  switch (type) {
    case io::GgmlType::kF32:
      if (n > 0) std::memcpy(dst, values, static_cast<size_t>(n) * sizeof(float));
      break;
    case io::GgmlType::kF16:
      for (int64_t i = 0; i < n; ++i) reinterpret_cast<uint16_t*>(dst)[i] = f32_to_f16(values[i]);
      break;
    case io::GgmlType::kBF16:
      for (int64_t i = 0; i < n; ++i) reinterpret_cast<uint16_t*>(dst)[i] = f32_to_bf16(values[i]);
      break;
    default:
      for (int64_t r = 0; r < rows; ++r)
        io::quantize_row(type, values + r * cols, dst + r * rb, cols);
      break;
  }
  const void* data = dst;
  return WeightMatrix(type, rows, cols, data, std::shared_ptr<const void>(buffer, data));
}

WeightMatrix WeightMatrix::split_blocks() const {
  if (!is_block_type(type_) || is_split() || !kernels::x86::has_avx512_vnni()) return *this;
  const int64_t nb = rows_ * (cols_ / kQBlock);
  const int64_t value_bytes = type_ == io::GgmlType::kQ8_0 ? 32 : 16;
  const int64_t values_size = (nb * value_bytes + 63) / 64 * 64;
  const size_t bytes = static_cast<size_t>(std::max<int64_t>(1, values_size + 2 * nb));
  auto buffer =
      std::shared_ptr<uint8_t>(static_cast<uint8_t*>(::operator new[](bytes, std::align_val_t(64))),
                               [](uint8_t* p) { ::operator delete[](p, std::align_val_t(64)); });
  uint8_t* values = buffer.get();
  auto* scales = reinterpret_cast<uint16_t*>(values + values_size);
  const auto* src = static_cast<const uint8_t*>(data_);
  const int64_t block_bytes = 2 + value_bytes;  // f16 scale, then the values
  for (int64_t b = 0; b < nb; ++b) {
    std::memcpy(&scales[b], src + b * block_bytes, 2);
    std::memcpy(values + b * value_bytes, src + b * block_bytes + 2,
                static_cast<size_t>(value_bytes));
  }
  WeightMatrix out = *this;
  out.data_ = values;
  out.scales_ = scales;
  out.owner_ = std::shared_ptr<const void>(buffer, values);
  return out;
}

int64_t WeightMatrix::panel_rows() const {
  const int64_t p = std::clamp<int64_t>(kPanelFloats / std::max<int64_t>(cols_, 1), 16, 256);
  return std::min(p / 16 * 16, std::max<int64_t>(rows_, 1));
}

int64_t WeightMatrix::input_blocks() const {
  return is_block_type(type_) ? cols_ / kQBlock : 0;
}

int64_t WeightMatrix::panel_floats(int n_threads) const {
  if (type_ == io::GgmlType::kF32 || rows_ == 0) return 0;
  const int64_t p = panel_rows();
  const int64_t slots = std::min<int64_t>(std::max(n_threads, 1), (rows_ + p - 1) / p);
  return slots * p * cols_;
}

int64_t WeightMatrix::scratch_bytes(int n_threads) const {
  return input_blocks() * static_cast<int64_t>(sizeof(io::BlockQ8_0)) +
         panel_floats(n_threads) * static_cast<int64_t>(sizeof(float));
}

void WeightMatrix::dot_rows(int64_t begin, int64_t end, const float* x, const io::BlockQ8_0* xq,
                            float* y) const {
  const uint8_t* w = static_cast<const uint8_t*>(data_) + begin * row_bytes_;
  const int64_t n = end - begin;
  const int64_t nb = cols_ / kQBlock;
  switch (type_) {
    case io::GgmlType::kF32:
      kernels::dot_rows_f32(reinterpret_cast<const float*>(w), n, cols_, x, y + begin);
      break;
    case io::GgmlType::kF16:
      kernels::dot_rows_f16(reinterpret_cast<const uint16_t*>(w), n, cols_, x, y + begin);
      break;
    case io::GgmlType::kBF16:
      kernels::dot_rows_bf16(reinterpret_cast<const uint16_t*>(w), n, cols_, x, y + begin);
      break;
    case io::GgmlType::kQ8_0:
      if (is_split()) {
        kernels::x86::dot_rows_q8_0_split_vnni(static_cast<const int8_t*>(data_) + begin * nb * 32,
                                               scales_ + begin * nb, n, nb, xq, y + begin);
      } else {
        kernels::dot_rows_q8_0(reinterpret_cast<const io::BlockQ8_0*>(w), n, nb, xq, y + begin);
      }
      break;
    case io::GgmlType::kQ4_0:
      if (is_split()) {
        kernels::x86::dot_rows_q4_0_split_vnni(static_cast<const uint8_t*>(data_) + begin * nb * 16,
                                               scales_ + begin * nb, n, nb, xq, y + begin);
      } else {
        kernels::dot_rows_q4_0(reinterpret_cast<const io::BlockQ4_0*>(w), n, nb, xq, y + begin);
      }
      break;
    default:
      break;  // excluded by the constructor
  }
}

void WeightMatrix::matvec(const float* x, float* y, MatmulScratch& scratch) const {
  const WeightMatrix* self = this;
  matvec_group({&self, 1}, x, {&y, 1}, scratch);
}

void WeightMatrix::matvec_group(std::span<const WeightMatrix* const> ws, const float* x,
                                std::span<float* const> ys, MatmulScratch& scratch) {
  LLMKIT_CHECK(ws.size() == ys.size(), "WeightMatrix::matvec_group: ", ws.size(), " matrices but ",
               ys.size(), " outputs");
  if (ws.empty()) return;
  const int64_t cols = ws[0]->cols_;
  int64_t total_rows = 0;
  bool any_blocks = false;
  for (const WeightMatrix* w : ws) {
    LLMKIT_CHECK(w->cols_ == cols, "WeightMatrix::matvec_group: matrices of ", cols, " and ",
                 w->cols_, " columns cannot share one input");
    total_rows += w->rows_;
    any_blocks = any_blocks || is_block_type(w->type_);
  }
  if (total_rows == 0) return;
  const io::BlockQ8_0* xq = nullptr;
  if (any_blocks) {
    const size_t blocks = static_cast<size_t>(cols / kQBlock);
    if (scratch.xq_.size() < blocks) scratch.xq_.resize(blocks);
    kernels::quantize_q8_0(x, cols, scratch.xq_.data());
    xq = scratch.xq_.data();
  }
  const int64_t min_rows = std::max<int64_t>(1, kMatvecElemsPerTask / std::max<int64_t>(cols, 1));
  // Rows [begin, end) of the stacked matrices, each piece handed to its own matrix.
  parallel_for(
      total_rows,
      [&](int64_t begin, int64_t end) {
        int64_t offset = 0;
        for (size_t i = 0; i < ws.size() && offset < end; ++i) {
          const int64_t r0 = std::max(begin, offset) - offset;
          const int64_t r1 = std::min(end, offset + ws[i]->rows_) - offset;
          if (r0 < r1) ws[i]->dot_rows(r0, r1, x, xq, ys[i]);
          offset += ws[i]->rows_;
        }
      },
      min_rows);
}

void WeightMatrix::matvec_rows(const float* x, int64_t n, float* y, MatmulScratch& scratch) const {
  LLMKIT_CHECK(n >= 0, "WeightMatrix::matvec_rows: n = ", n, " must be >= 0");
  if (n == 0 || rows_ == 0) return;
  const io::BlockQ8_0* xq = nullptr;
  const int64_t blocks = input_blocks();
  if (blocks > 0) {
    if (scratch.xq_.size() < static_cast<size_t>(n * blocks)) {
      scratch.xq_.resize(static_cast<size_t>(n * blocks));
    }
    for (int64_t i = 0; i < n; ++i) {
      kernels::quantize_q8_0(x + i * cols_, cols_, scratch.xq_.data() + i * blocks);
    }
    xq = scratch.xq_.data();
  }
  // Rows per inner tile: about 64 KiB of weights, which stay in L1/L2 across the n inputs.
  const int64_t tile = std::max<int64_t>(1, (64 << 10) / std::max<int64_t>(row_bytes_, 1));
  const int64_t min_rows =
      std::max<int64_t>(tile, kMatvecElemsPerTask / std::max<int64_t>(cols_ * n, 1));
  parallel_for(
      rows_,
      [&](int64_t begin, int64_t end) {
        for (int64_t r0 = begin; r0 < end; r0 += tile) {
          const int64_t r1 = std::min(end, r0 + tile);
          if (is_split() && type_ == io::GgmlType::kQ8_0) {
            kernels::x86::dot_rows_q8_0_split_vnni_multi(
                static_cast<const int8_t*>(data_) + r0 * blocks * 32, scales_ + r0 * blocks,
                r1 - r0, blocks, xq, n, y + r0, rows_);
          } else if (is_split() && type_ == io::GgmlType::kQ4_0) {
            kernels::x86::dot_rows_q4_0_split_vnni_multi(
                static_cast<const uint8_t*>(data_) + r0 * blocks * 16, scales_ + r0 * blocks,
                r1 - r0, blocks, xq, n, y + r0, rows_);
          } else {
            for (int64_t i = 0; i < n; ++i) {
              dot_rows(r0, r1, x + i * cols_, xq ? xq + i * blocks : nullptr, y + i * rows_);
            }
          }
        }
      },
      min_rows);
}

void WeightMatrix::rows_to_f32(int64_t r0, int64_t n, float* out) const {
  LLMKIT_CHECK_CODE(r0 >= 0 && n >= 0 && r0 + n <= rows_, ErrorCode::kOutOfRange,
                    "WeightMatrix: rows [", r0, ", ", r0 + n, ") outside the ", rows_,
                    " rows of a [", rows_, ", ", cols_, "] matrix");
  if (is_split()) {
    split_rows_to_f32(r0, n, out);
    return;
  }
  const auto* src = static_cast<const uint8_t*>(data_) + r0 * row_bytes_;
  const int64_t count = n * cols_;
  switch (type_) {
    case io::GgmlType::kF32:
      if (count > 0) std::memcpy(out, src, static_cast<size_t>(count) * sizeof(float));
      break;
    case io::GgmlType::kF16:
      kernels::f16_to_f32_row(reinterpret_cast<const uint16_t*>(src), out, count);
      break;
    case io::GgmlType::kBF16:
      kernels::bf16_to_f32_row(reinterpret_cast<const uint16_t*>(src), out, count);
      break;
    case io::GgmlType::kQ8_0:
      kernels::dequantize_q8_0_row(reinterpret_cast<const io::BlockQ8_0*>(src), out, count);
      break;
    case io::GgmlType::kQ4_0:
      kernels::dequantize_q4_0_row(reinterpret_cast<const io::BlockQ4_0*>(src), out, count);
      break;
    default:
      break;
  }
}

namespace {

// Rows [r0, r0 + n) of a split-layout matrix (values_per_block bytes of values per block) rebuilt
// as blocks and converted by the block-layout row conversion.
template <class Block, class Convert>
void split_rows_as_blocks(const uint8_t* values, const uint16_t* scales, int64_t r0, int64_t n,
                          int64_t cols, Convert convert, float* out) {
  constexpr size_t kValueBytes = sizeof(Block::qs);
  const int64_t nb = cols / kQBlock;
  std::vector<Block> blocks(static_cast<size_t>(nb));
  for (int64_t r = r0; r < r0 + n; ++r) {
    for (int64_t b = 0; b < nb; ++b) {
      blocks[b].d = scales[r * nb + b];
      std::memcpy(blocks[b].qs, values + (r * nb + b) * static_cast<int64_t>(kValueBytes),
                  kValueBytes);
    }
    convert(blocks.data(), out + (r - r0) * cols, cols);
  }
}

}  // namespace

void WeightMatrix::split_rows_to_f32(int64_t r0, int64_t n, float* out) const {
  const auto* values = static_cast<const uint8_t*>(data_);
  if (type_ == io::GgmlType::kQ8_0) {
    split_rows_as_blocks<io::BlockQ8_0>(values, scales_, r0, n, cols_, kernels::dequantize_q8_0_row,
                                        out);
  } else {
    split_rows_as_blocks<io::BlockQ4_0>(values, scales_, r0, n, cols_, kernels::dequantize_q4_0_row,
                                        out);
  }
}

void WeightMatrix::row(int64_t r, float* out) const {
  rows_to_f32(r, 1, out);
}

void WeightMatrix::matmul_f32(const float* x, int64_t n, int64_t ldx, float* y, int64_t ldy) const {
  const auto* w = static_cast<const float*>(data_);
  parallel_for(
      rows_,
      [&](int64_t begin, int64_t end) {
        sgemm_nt(n, end - begin, cols_, x, ldx, w + begin * cols_, cols_, y + begin, ldy);
      },
      16);
}

void WeightMatrix::matmul(const float* x, int64_t n, int64_t ldx, float* y, int64_t ldy,
                          MatmulScratch& scratch) const {
  LLMKIT_CHECK(n >= 0 && ldx >= cols_ && ldy >= rows_, "WeightMatrix::matmul: n = ", n,
               ", ldx = ", ldx, ", ldy = ", ldy, " do not fit a [", rows_, ", ", cols_, "] matrix");
  if (n == 0 || rows_ == 0) return;
  if (cols_ == 0) {
    for (int64_t i = 0; i < n; ++i) std::fill(y + i * ldy, y + i * ldy + rows_, 0.0f);
    return;
  }
  for (int64_t v : {n, rows_, cols_, ldx, ldy}) check_blas_range(v);
  ensure_single_threaded_blas();
  if (type_ == io::GgmlType::kF32) {
    matmul_f32(x, n, ldx, y, ldy);
    return;
  }
  const int64_t p = panel_rows();
  const int64_t n_panels = (rows_ + p - 1) / p;
  const int n_threads = current_context().n_threads();
  const int64_t slots = std::min<int64_t>(n_threads, n_panels);
  const size_t need = static_cast<size_t>(panel_floats(n_threads));
  if (scratch.panels_.size() < need) scratch.panels_.resize(need);
  float* panels = scratch.panels_.data();
  // One item per slot: the pool runs each item on one thread, so buffer s is private to it.
  parallel_for(slots, [&](int64_t s_begin, int64_t s_end) {
    for (int64_t s = s_begin; s < s_end; ++s) {
      float* buf = panels + s * p * cols_;
      for (int64_t panel = s; panel < n_panels; panel += slots) {
        const int64_t r0 = panel * p;
        const int64_t nr = std::min(p, rows_ - r0);
        rows_to_f32(r0, nr, buf);
        sgemm_nt(n, nr, cols_, x, ldx, buf, cols_, y + r0, ldy);
      }
    }
  });
}

}  // namespace llmkit::infer
