// dot_kernels_x86.h. Each kernel is compiled for its instruction set through a function target
// attribute and only called after the matching CPU check, so the file builds with the project's
// baseline flags.
//
// Block pairs (VNNI): one 512-bit register holds two 32-element blocks. Q8_0 weights keep their
// element order; a Q4_0 pair unpacks to [lo nibbles b0 | lo b1 | hi b0 | hi b1] (16 bytes each),
// so the activation pair is prepared in that same order. Lane group g of the int32 products then
// belongs to block b0 or b1, and the float scale vector repeats d_w * d_x in the same groups.
#include "llmkit/infer/dot_kernels_x86.h"

#if defined(__x86_64__)
// GCC 12's AVX-512 headers trip -Wmaybe-uninitialized inside their own set/cast helpers.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <type_traits>
#include <vector>

#include "llmkit/tensor/dtype.h"

#define LLMKIT_TARGET_VNNI \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx2,fma,f16c")))
#define LLMKIT_TARGET_AVX2 __attribute__((target("avx2,fma,f16c")))

namespace llmkit::infer::kernels::x86 {
namespace {

// The activation prepared once per call: block scales as f32, the int8 values laid out for the
// weight type, and per-lane offset corrections (negated).
struct PreparedX {
  // (Plain element vectors: std::vector of __m512i would drop the type's alignment.)
  std::vector<float> dx;         // [n_blocks]
  std::vector<int8_t> packed;    // [n_pairs * 64] VNNI: two blocks per register
  std::vector<int32_t> corr512;  // [n_pairs * 16] VNNI: -offset * (sum of 4 x) per lane
  std::vector<int32_t> corr256;  // [n_blocks * 8] tail block (VNNI) or every block (AVX2)
};

PreparedX& thread_buffer() {
  thread_local PreparedX buffer;
  return buffer;
}

LLMKIT_TARGET_VNNI void prepare_vnni(const io::BlockQ8_0* x, int64_t n_blocks, bool q4,
                                     PreparedX& p) {
  const int64_t n_pairs = n_blocks / 2;
  p.dx.resize(static_cast<size_t>(n_blocks));
  p.packed.resize(static_cast<size_t>(n_pairs * 64));
  p.corr512.resize(static_cast<size_t>(n_pairs * 16));
  p.corr256.resize(8);
  for (int64_t b = 0; b < n_blocks; ++b) p.dx[b] = f16_to_f32(x[b].d);
  const __m512i offset512 = _mm512_set1_epi8(static_cast<char>(q4 ? 8 : 0x80));
  for (int64_t i = 0; i < n_pairs; ++i) {
    const io::BlockQ8_0& b0 = x[2 * i];
    const io::BlockQ8_0& b1 = x[2 * i + 1];
    __m512i v;
    if (q4) {
      const __m256i lo = _mm256_inserti128_si256(
          _mm256_zextsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b0.qs))),
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(b1.qs)), 1);
      const __m256i hi = _mm256_inserti128_si256(
          _mm256_zextsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b0.qs + 16))),
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(b1.qs + 16)), 1);
      v = _mm512_inserti64x4(_mm512_zextsi256_si512(lo), hi, 1);
    } else {
      v = _mm512_inserti64x4(
          _mm512_zextsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b0.qs))),
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b1.qs)), 1);
    }
    _mm512_storeu_si512(p.packed.data() + 64 * i, v);
    _mm512_storeu_si512(
        p.corr512.data() + 16 * i,
        _mm512_sub_epi32(_mm512_setzero_si512(),
                         _mm512_dpbusd_epi32(_mm512_setzero_si512(), offset512, v)));
  }
  if (n_blocks % 2 != 0) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[n_blocks - 1].qs));
    const __m256i offset256 = _mm256_set1_epi8(static_cast<char>(q4 ? 8 : 0x80));
    _mm256_storeu_si256(
        reinterpret_cast<__m256i*>(p.corr256.data()),
        _mm256_sub_epi32(_mm256_setzero_si256(),
                         _mm256_dpbusd_epi32(_mm256_setzero_si256(), offset256, v)));
  }
}

// Sum of the 8 lanes (AVX2 code; it inlines into the AVX-512 functions too, a superset).
LLMKIT_TARGET_AVX2 inline float reduce256(__m256 v) {
  const __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 s2 = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(s2, _mm_movehdup_ps(s2)));
}

LLMKIT_TARGET_VNNI inline float scale_of(uint16_t d) {
  return _cvtsh_ss(d);
}

}  // namespace

bool has_avx512_vnni() {
  static const bool ok = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
                         __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("fma") &&
                         __builtin_cpu_supports("f16c");
  return ok;
}

bool has_avx2() {
  static const bool ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                         __builtin_cpu_supports("f16c");
  return ok;
}

namespace {

// Lane permutations that spread 16 block scales over the lanes of pair k (blocks 2k, 2k + 1):
// Q8_0 pairs hold block 2k in lanes 0-7 and 2k + 1 in lanes 8-15; Q4_0 pairs alternate in groups
// of four lanes (lo b0, lo b1, hi b0, hi b1).
struct ScalePermutations {
  alignas(64) int32_t q8[8][16];
  alignas(64) int32_t q4[8][16];
};
constexpr ScalePermutations make_scale_permutations() {
  ScalePermutations t{};
  for (int k = 0; k < 8; ++k) {
    for (int lane = 0; lane < 16; ++lane) {
      t.q8[k][lane] = 2 * k + lane / 8;
      t.q4[k][lane] = 2 * k + (lane / 4) % 2;
    }
  }
  return t;
}
constexpr ScalePermutations kScalePermutations = make_scale_permutations();

// The int32 lane sums of weight pair i (blocks 2i, 2i + 1) against the prepared activation,
// offsets already taken back.
LLMKIT_TARGET_VNNI inline __m512i pair_dot(const io::BlockQ8_0* row, int64_t i,
                                           const PreparedX& p) {
  const __m512i v = _mm512_inserti64x4(
      _mm512_zextsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(row[2 * i].qs))),
      _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row[2 * i + 1].qs)), 1);
  return _mm512_dpbusd_epi32(_mm512_loadu_si512(p.corr512.data() + 16 * i),
                             _mm512_xor_si512(v, _mm512_set1_epi8(static_cast<char>(0x80))),
                             _mm512_loadu_si512(p.packed.data() + 64 * i));
}

LLMKIT_TARGET_VNNI inline __m512i pair_dot(const io::BlockQ4_0* row, int64_t i,
                                           const PreparedX& p) {
  const __m256i q = _mm256_inserti128_si256(
      _mm256_zextsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row[2 * i].qs))),
      _mm_loadu_si128(reinterpret_cast<const __m128i*>(row[2 * i + 1].qs)), 1);
  const __m512i v =
      _mm512_and_si512(_mm512_inserti64x4(_mm512_zextsi256_si512(q), _mm256_srli_epi16(q, 4), 1),
                       _mm512_set1_epi8(0x0F));
  return _mm512_dpbusd_epi32(_mm512_loadu_si512(p.corr512.data() + 16 * i), v,
                             _mm512_loadu_si512(p.packed.data() + 64 * i));
}

// The last block of an odd count (256-bit), as the sum of its products times d_w * d_x.
LLMKIT_TARGET_VNNI inline float tail_dot(const io::BlockQ8_0& b, const io::BlockQ8_0& x,
                                         const PreparedX& p, float dx) {
  const __m256i v = _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs)),
                                     _mm256_set1_epi8(static_cast<char>(0x80)));
  const __m256i s =
      _mm256_dpbusd_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p.corr256.data())), v,
                          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.qs)));
  return reduce256(_mm256_cvtepi32_ps(s)) * (scale_of(b.d) * dx);
}

LLMKIT_TARGET_VNNI inline float tail_dot(const io::BlockQ4_0& b, const io::BlockQ8_0& x,
                                         const PreparedX& p, float dx) {
  const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.qs));
  const __m256i v =
      _mm256_and_si256(_mm256_inserti128_si256(_mm256_zextsi128_si256(q), _mm_srli_epi16(q, 4), 1),
                       _mm256_set1_epi8(0x0F));
  const __m256i s =
      _mm256_dpbusd_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p.corr256.data())), v,
                          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.qs)));
  return reduce256(_mm256_cvtepi32_ps(s)) * (scale_of(b.d) * dx);
}

// d_w * d_x of one block pair spread over the pair's lanes: the two weight scales (f16 d0, d1)
// converted in one instruction, multiplied by the pair's two activation scales dx[0..1], then
// permuted into place.
LLMKIT_TARGET_VNNI inline __m512 pair_scale(uint16_t d0, uint16_t d1, const float* dx,
                                            __m512i permutation) {
  const __m128i h = _mm_insert_epi16(_mm_cvtsi32_si128(d0), d1, 1);
  const __m128 x = _mm_castsi128_ps(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(dx)));
  return _mm512_permutexvar_ps(permutation, _mm512_zextps128_ps512(_mm_mul_ps(_mm_cvtph_ps(h), x)));
}

// Rows of Q8_0 or Q4_0 blocks against the activation x, pair by pair (an odd last block apart).
template <class Block>
LLMKIT_TARGET_VNNI void dot_rows_vnni(const Block* w, int64_t n_rows, int64_t n_blocks,
                                      const io::BlockQ8_0* x, float* out) {
  constexpr bool kQ4 = std::is_same_v<Block, io::BlockQ4_0>;
  PreparedX& p = thread_buffer();
  prepare_vnni(x, n_blocks, kQ4, p);
  const int64_t n_pairs = n_blocks / 2;
  const __m512i permutation =
      _mm512_load_si512(kQ4 ? kScalePermutations.q4[0] : kScalePermutations.q8[0]);
  for (int64_t r = 0; r < n_rows; ++r) {
    const Block* row = w + r * n_blocks;
    __m512 acc = _mm512_setzero_ps();
    for (int64_t i = 0; i < n_pairs; ++i) {
      acc = _mm512_fmadd_ps(
          _mm512_cvtepi32_ps(pair_dot(row, i, p)),
          pair_scale(row[2 * i].d, row[2 * i + 1].d, p.dx.data() + 2 * i, permutation), acc);
    }
    float total = _mm512_reduce_add_ps(acc);
    if (n_blocks % 2 != 0) {
      total += tail_dot(row[n_blocks - 1], x[n_blocks - 1], p, p.dx[n_blocks - 1]);
    }
    out[r] = total;
  }
}

// Split layout: pair i of a row is 64 (Q8_0) or 32 (Q4_0) contiguous bytes.
LLMKIT_TARGET_VNNI inline __m512i split_pair_dot(const int8_t* q, int64_t i, const PreparedX& p) {
  const __m512i v =
      _mm512_xor_si512(_mm512_loadu_si512(q + 64 * i), _mm512_set1_epi8(static_cast<char>(0x80)));
  return _mm512_dpbusd_epi32(_mm512_loadu_si512(p.corr512.data() + 16 * i), v,
                             _mm512_loadu_si512(p.packed.data() + 64 * i));
}

LLMKIT_TARGET_VNNI inline __m512i split_pair_dot(const uint8_t* q, int64_t i, const PreparedX& p) {
  const __m256i qq = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + 32 * i));
  const __m512i v =
      _mm512_and_si512(_mm512_inserti64x4(_mm512_zextsi256_si512(qq), _mm256_srli_epi16(qq, 4), 1),
                       _mm512_set1_epi8(0x0F));
  return _mm512_dpbusd_epi32(_mm512_loadu_si512(p.corr512.data() + 16 * i), v,
                             _mm512_loadu_si512(p.packed.data() + 64 * i));
}

// Rows in the split layout: 16 scales per conversion, spread over the 8 pairs by permutation.
template <class Q>
LLMKIT_TARGET_VNNI void dot_rows_split_vnni(const Q* qs, const uint16_t* d, int64_t n_rows,
                                            int64_t n_blocks, const io::BlockQ8_0* x, float* out) {
  constexpr bool kQ4 = std::is_same_v<Q, uint8_t>;
  constexpr int64_t kBlockBytes = kQ4 ? 16 : 32;
  constexpr int64_t kPrefetchBytes = 2048;
  PreparedX& p = thread_buffer();
  prepare_vnni(x, n_blocks, kQ4, p);
  const int64_t n_pairs = n_blocks / 2;
  const auto& perm = kQ4 ? kScalePermutations.q4 : kScalePermutations.q8;
  for (int64_t r = 0; r < n_rows; ++r) {
    const Q* q = qs + r * n_blocks * kBlockBytes;
    const uint16_t* dr = d + r * n_blocks;
    __m512 acc = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= n_pairs; i += 8) {
      // The values (and rows) are one sequential stream: fetch kPrefetchBytes ahead of it.
      const char* ahead = reinterpret_cast<const char*>(q + 2 * i * kBlockBytes) + kPrefetchBytes;
      for (int64_t line = 0; line < 16 * kBlockBytes; line += 64) {
        _mm_prefetch(ahead + line, _MM_HINT_T0);
      }
      _mm_prefetch(reinterpret_cast<const char*>(dr + 2 * i) + kPrefetchBytes / 8, _MM_HINT_T0);
      const __m512 scales = _mm512_mul_ps(
          _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(dr + 2 * i))),
          _mm512_loadu_ps(p.dx.data() + 2 * i));
      for (int k = 0; k < 8; ++k) {
        const __m512 scale = _mm512_permutexvar_ps(_mm512_load_si512(perm[k]), scales);
        acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(split_pair_dot(q, i + k, p)), scale, acc);
      }
    }
    const __m512i pair_permutation = _mm512_load_si512(perm[0]);
    for (; i < n_pairs; ++i) {
      acc = _mm512_fmadd_ps(
          _mm512_cvtepi32_ps(split_pair_dot(q, i, p)),
          pair_scale(dr[2 * i], dr[2 * i + 1], p.dx.data() + 2 * i, pair_permutation), acc);
    }
    float total = _mm512_reduce_add_ps(acc);
    if (n_blocks % 2 != 0) {
      // Rebuild the last block and reuse the block-layout tail.
      const int64_t b = n_blocks - 1;
      if constexpr (kQ4) {
        io::BlockQ4_0 blk;
        blk.d = dr[b];
        std::memcpy(blk.qs, q + b * kBlockBytes, kBlockBytes);
        total += tail_dot(blk, x[b], p, p.dx[b]);
      } else {
        io::BlockQ8_0 blk;
        blk.d = dr[b];
        std::memcpy(blk.qs, q + b * kBlockBytes, kBlockBytes);
        total += tail_dot(blk, x[b], p, p.dx[b]);
      }
    }
    out[r] = total;
  }
}

// The values of split pair i, offset for dpbusd (Q8_0: to unsigned; Q4_0: nibbles unpacked).
LLMKIT_TARGET_VNNI inline __m512i split_pair_values(const int8_t* q, int64_t i) {
  return _mm512_xor_si512(_mm512_loadu_si512(q + 64 * i),
                          _mm512_set1_epi8(static_cast<char>(0x80)));
}
LLMKIT_TARGET_VNNI inline __m512i split_pair_values(const uint8_t* q, int64_t i) {
  const __m256i qq = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + 32 * i));
  return _mm512_and_si512(
      _mm512_inserti64x4(_mm512_zextsi256_si512(qq), _mm256_srli_epi16(qq, 4), 1),
      _mm512_set1_epi8(0x0F));
}

// Activation scales spread over the lanes of each pair as the weight type lays them out:
// dxp[16 i + lane] = dx[block of that lane in pair i].
LLMKIT_TARGET_VNNI void spread_pair_scales(const PreparedX& p, int64_t n_pairs, bool q4,
                                           std::vector<float>& dxp) {
  dxp.resize(static_cast<size_t>(n_pairs * 16));
  for (int64_t i = 0; i < n_pairs; ++i) {
    for (int lane = 0; lane < 16; ++lane) {
      dxp[16 * i + lane] = p.dx[2 * i + (q4 ? (lane / 4) % 2 : lane / 8)];
    }
  }
}

struct PreparedMulti {
  PreparedX x;
  std::vector<float> dxp;
};

std::vector<PreparedMulti>& thread_multi_buffers() {
  thread_local std::vector<PreparedMulti> buffers;
  return buffers;
}

// Rows in the split layout against NX activations at once: each weight pair is loaded, offset
// and its scales converted once for all of them. Same products and sums per activation as
// dot_rows_split_vnni except that d_w * d_x is formed per lane (equal values, same rounding).
template <class Q, int NX>
LLMKIT_TARGET_VNNI void dot_rows_split_vnni_multi(const Q* qs, const uint16_t* d, int64_t n_rows,
                                                  int64_t n_blocks, const PreparedMulti* px,
                                                  const io::BlockQ8_0* const* xs,
                                                  float* const* outs) {
  constexpr bool kQ4 = std::is_same_v<Q, uint8_t>;
  constexpr int64_t kBlockBytes = kQ4 ? 16 : 32;
  const int64_t n_pairs = n_blocks / 2;
  const auto& perm = kQ4 ? kScalePermutations.q4 : kScalePermutations.q8;
  const __m512i perm0 = _mm512_load_si512(perm[0]);
  for (int64_t r = 0; r < n_rows; ++r) {
    const Q* q = qs + r * n_blocks * kBlockBytes;
    const uint16_t* dr = d + r * n_blocks;
    __m512 acc[NX];
    for (int j = 0; j < NX; ++j) acc[j] = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= n_pairs; i += 8) {
      const __m512 wscales =
          _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(dr + 2 * i)));
      for (int k = 0; k < 8; ++k) {
        const __m512i v = split_pair_values(q, i + k);
        const __m512 ws = _mm512_permutexvar_ps(_mm512_load_si512(perm[k]), wscales);
        for (int j = 0; j < NX; ++j) {
          const PreparedX& p = px[j].x;
          const __m512i s =
              _mm512_dpbusd_epi32(_mm512_loadu_si512(p.corr512.data() + 16 * (i + k)), v,
                                  _mm512_loadu_si512(p.packed.data() + 64 * (i + k)));
          acc[j] = _mm512_fmadd_ps(
              _mm512_cvtepi32_ps(s),
              _mm512_mul_ps(ws, _mm512_loadu_ps(px[j].dxp.data() + 16 * (i + k))), acc[j]);
        }
      }
    }
    for (; i < n_pairs; ++i) {
      const __m512i v = split_pair_values(q, i);
      const float ones[2] = {1.0f, 1.0f};
      const __m512 ws = pair_scale(dr[2 * i], dr[2 * i + 1], ones, perm0);
      for (int j = 0; j < NX; ++j) {
        const PreparedX& p = px[j].x;
        const __m512i s = _mm512_dpbusd_epi32(_mm512_loadu_si512(p.corr512.data() + 16 * i), v,
                                              _mm512_loadu_si512(p.packed.data() + 64 * i));
        acc[j] =
            _mm512_fmadd_ps(_mm512_cvtepi32_ps(s),
                            _mm512_mul_ps(ws, _mm512_loadu_ps(px[j].dxp.data() + 16 * i)), acc[j]);
      }
    }
    for (int j = 0; j < NX; ++j) {
      float total = _mm512_reduce_add_ps(acc[j]);
      if (n_blocks % 2 != 0) {
        const int64_t b = n_blocks - 1;
        const PreparedX& p = px[j].x;
        if constexpr (kQ4) {
          io::BlockQ4_0 blk;
          blk.d = dr[b];
          std::memcpy(blk.qs, q + b * kBlockBytes, kBlockBytes);
          total += tail_dot(blk, xs[j][b], p, p.dx[b]);
        } else {
          io::BlockQ8_0 blk;
          blk.d = dr[b];
          std::memcpy(blk.qs, q + b * kBlockBytes, kBlockBytes);
          total += tail_dot(blk, xs[j][b], p, p.dx[b]);
        }
      }
      outs[j][r] = total;
    }
  }
}

// Prepares the n_x activations, then runs the multi-activation kernel in groups of up to 4.
template <class Q>
LLMKIT_TARGET_VNNI void dot_rows_split_multi(const Q* qs, const uint16_t* d, int64_t n_rows,
                                             int64_t n_blocks, const io::BlockQ8_0* x, int64_t n_x,
                                             float* out, int64_t out_stride) {
  constexpr bool kQ4 = std::is_same_v<Q, uint8_t>;
  std::vector<PreparedMulti>& px = thread_multi_buffers();
  if (static_cast<int64_t>(px.size()) < n_x) px.resize(static_cast<size_t>(n_x));
  for (int64_t j = 0; j < n_x; ++j) {
    prepare_vnni(x + j * n_blocks, n_blocks, kQ4, px[j].x);
    spread_pair_scales(px[j].x, n_blocks / 2, kQ4, px[j].dxp);
  }
  for (int64_t j0 = 0; j0 < n_x; j0 += 4) {
    const int64_t g = std::min<int64_t>(4, n_x - j0);
    const io::BlockQ8_0* xs[4];
    float* outs[4];
    for (int64_t j = 0; j < g; ++j) {
      xs[j] = x + (j0 + j) * n_blocks;
      outs[j] = out + (j0 + j) * out_stride;
    }
    switch (g) {
      case 1:
        dot_rows_split_vnni_multi<Q, 1>(qs, d, n_rows, n_blocks, px.data() + j0, xs, outs);
        break;
      case 2:
        dot_rows_split_vnni_multi<Q, 2>(qs, d, n_rows, n_blocks, px.data() + j0, xs, outs);
        break;
      case 3:
        dot_rows_split_vnni_multi<Q, 3>(qs, d, n_rows, n_blocks, px.data() + j0, xs, outs);
        break;
      default:
        dot_rows_split_vnni_multi<Q, 4>(qs, d, n_rows, n_blocks, px.data() + j0, xs, outs);
        break;
    }
  }
}

}  // namespace

void dot_rows_q8_0_split_vnni_multi(const int8_t* qs, const uint16_t* d, int64_t n_rows,
                                    int64_t n_blocks, const io::BlockQ8_0* x, int64_t n_x,
                                    float* out, int64_t out_stride) {
  if (n_rows > 0 && n_x > 0) dot_rows_split_multi(qs, d, n_rows, n_blocks, x, n_x, out, out_stride);
}

void dot_rows_q4_0_split_vnni_multi(const uint8_t* qs, const uint16_t* d, int64_t n_rows,
                                    int64_t n_blocks, const io::BlockQ8_0* x, int64_t n_x,
                                    float* out, int64_t out_stride) {
  if (n_rows > 0 && n_x > 0) dot_rows_split_multi(qs, d, n_rows, n_blocks, x, n_x, out, out_stride);
}

void dot_rows_q8_0_split_vnni(const int8_t* qs, const uint16_t* d, int64_t n_rows, int64_t n_blocks,
                              const io::BlockQ8_0* x, float* out) {
  if (n_rows > 0) dot_rows_split_vnni(qs, d, n_rows, n_blocks, x, out);
}

void dot_rows_q4_0_split_vnni(const uint8_t* qs, const uint16_t* d, int64_t n_rows,
                              int64_t n_blocks, const io::BlockQ8_0* x, float* out) {
  if (n_rows > 0) dot_rows_split_vnni(qs, d, n_rows, n_blocks, x, out);
}

void dot_rows_q8_0_vnni(const io::BlockQ8_0* w, int64_t n_rows, int64_t n_blocks,
                        const io::BlockQ8_0* x, float* out) {
  if (n_rows > 0) dot_rows_vnni(w, n_rows, n_blocks, x, out);
}

void dot_rows_q4_0_vnni(const io::BlockQ4_0* w, int64_t n_rows, int64_t n_blocks,
                        const io::BlockQ8_0* x, float* out) {
  if (n_rows > 0) dot_rows_vnni(w, n_rows, n_blocks, x, out);
}

LLMKIT_TARGET_AVX2 void dot_rows_q8_0_avx2(const io::BlockQ8_0* w, int64_t n_rows, int64_t n_blocks,
                                           const io::BlockQ8_0* x, float* out) {
  if (n_rows <= 0) return;
  PreparedX& p = thread_buffer();
  p.dx.resize(static_cast<size_t>(n_blocks));
  for (int64_t b = 0; b < n_blocks; ++b) p.dx[b] = _cvtsh_ss(x[b].d);
  const __m256i ones = _mm256_set1_epi16(1);
  for (int64_t r = 0; r < n_rows; ++r) {
    const io::BlockQ8_0* row = w + r * n_blocks;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < n_blocks; ++b) {
      const __m256i wv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row[b].qs));
      const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[b].qs));
      // |q| (unsigned; -128 -> 128) times x with q's sign: the products of q * x, in int16 pairs
      // of at most 2 * 128 * 127 (no saturation).
      const __m256i prod16 =
          _mm256_maddubs_epi16(_mm256_sign_epi8(wv, wv), _mm256_sign_epi8(xv, wv));
      const __m256i s = _mm256_madd_epi16(prod16, ones);
      acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_set1_ps(_cvtsh_ss(row[b].d) * p.dx[b]),
                            acc);
    }
    out[r] = reduce256(acc);
  }
}

LLMKIT_TARGET_AVX2 void dot_rows_q4_0_avx2(const io::BlockQ4_0* w, int64_t n_rows, int64_t n_blocks,
                                           const io::BlockQ8_0* x, float* out) {
  if (n_rows <= 0) return;
  PreparedX& p = thread_buffer();
  p.dx.resize(static_cast<size_t>(n_blocks));
  p.corr256.resize(static_cast<size_t>(n_blocks * 8));
  const __m256i ones = _mm256_set1_epi16(1);
  const __m256i eight = _mm256_set1_epi8(8);
  for (int64_t b = 0; b < n_blocks; ++b) {
    p.dx[b] = _cvtsh_ss(x[b].d);
    const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[b].qs));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p.corr256.data() + 8 * b),
                        _mm256_madd_epi16(_mm256_maddubs_epi16(eight, xv), ones));  // 8 * sum x
  }
  const __m256i mask = _mm256_set1_epi8(0x0F);
  for (int64_t r = 0; r < n_rows; ++r) {
    const io::BlockQ4_0* row = w + r * n_blocks;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < n_blocks; ++b) {
      const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row[b].qs));
      const __m256i v = _mm256_and_si256(
          _mm256_inserti128_si256(_mm256_zextsi128_si256(q), _mm_srli_epi16(q, 4), 1), mask);
      const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[b].qs));
      const __m256i s = _mm256_sub_epi32(
          _mm256_madd_epi16(_mm256_maddubs_epi16(v, xv), ones),
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p.corr256.data() + 8 * b)));
      acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_set1_ps(_cvtsh_ss(row[b].d) * p.dx[b]),
                            acc);
    }
    out[r] = reduce256(acc);
  }
}

}  // namespace llmkit::infer::kernels::x86

#else  // not x86-64: the dispatchers never call these

namespace llmkit::infer::kernels::x86 {
bool has_avx512_vnni() {
  return false;
}
bool has_avx2() {
  return false;
}
void dot_rows_q8_0_vnni(const io::BlockQ8_0*, int64_t, int64_t, const io::BlockQ8_0*, float*) {}
void dot_rows_q4_0_vnni(const io::BlockQ4_0*, int64_t, int64_t, const io::BlockQ8_0*, float*) {}
void dot_rows_q8_0_avx2(const io::BlockQ8_0*, int64_t, int64_t, const io::BlockQ8_0*, float*) {}
void dot_rows_q8_0_split_vnni(const int8_t*, const uint16_t*, int64_t, int64_t,
                              const io::BlockQ8_0*, float*) {}
void dot_rows_q4_0_split_vnni(const uint8_t*, const uint16_t*, int64_t, int64_t,
                              const io::BlockQ8_0*, float*) {}
void dot_rows_q4_0_avx2(const io::BlockQ4_0*, int64_t, int64_t, const io::BlockQ8_0*, float*) {}
void dot_rows_q8_0_split_vnni_multi(const int8_t*, const uint16_t*, int64_t, int64_t,
                                    const io::BlockQ8_0*, int64_t, float*, int64_t) {}
void dot_rows_q4_0_split_vnni_multi(const uint8_t*, const uint16_t*, int64_t, int64_t,
                                    const io::BlockQ8_0*, int64_t, float*, int64_t) {}
}  // namespace llmkit::infer::kernels::x86

#endif
