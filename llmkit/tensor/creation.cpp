#include "llmkit/tensor/creation.h"

#include <cmath>

#include "llmkit/base/context.h"
#include "llmkit/tensor/view.h"

namespace llmkit {

Tensor zeros(const Shape& shape, DType dtype) {
  return Tensor::empty(shape, dtype);
}

Tensor full(const Shape& shape, float value, DType dtype) {
  Tensor f = Tensor::empty(shape, DType::kF32);
  float* p = f.data<float>();
  for (int64_t i = 0; i < f.numel(); ++i) p[i] = value;
  return ops::to_dtype(f, dtype);
}

Tensor ones(const Shape& shape, DType dtype) {
  return full(shape, 1.0f, dtype);
}
Tensor zeros_like(const Tensor& x) {
  return zeros(x.shape(), x.dtype());
}
Tensor ones_like(const Tensor& x) {
  return ones(x.shape(), x.dtype());
}
Tensor scalar(float value, DType dtype) {
  return full({}, value, dtype);
}

Tensor arange(double start, double stop, double step, DType dtype) {
  LLMKIT_CHECK(step != 0.0 && std::isfinite(step), "arange: step must be non-zero, got ", step);
  auto n = static_cast<int64_t>(std::max(0.0, std::ceil((stop - start) / step)));
  if (dtype == DType::kI32) {
    Tensor t = Tensor::empty({n}, DType::kI32);
    for (int64_t i = 0; i < n; ++i) t.data<int32_t>()[i] = static_cast<int32_t>(start + i * step);
    return t;
  }
  Tensor f = Tensor::empty({n}, DType::kF32);
  for (int64_t i = 0; i < n; ++i) f.data<float>()[i] = static_cast<float>(start + i * step);
  return ops::to_dtype(f, dtype);
}

Tensor arange(int64_t n, DType dtype) {
  return arange(0.0, static_cast<double>(n), 1.0, dtype);
}

Tensor from_vector(const std::vector<float>& values, const Shape& shape, DType dtype) {
  LLMKIT_CHECK(static_cast<int64_t>(values.size()) == shape_numel(shape),
               "from_vector: ", values.size(), " values do not fill shape ",
               shape_to_string(shape));
  Tensor t = Tensor::empty(shape, dtype);
  convert_elements(values.data(), DType::kF32, t.raw_data(), dtype, t.numel());
  return t;
}

Tensor from_ints(const std::vector<int32_t>& values, const Shape& shape) {
  LLMKIT_CHECK(static_cast<int64_t>(values.size()) == shape_numel(shape),
               "from_ints: ", values.size(), " values do not fill shape ", shape_to_string(shape));
  Tensor t = Tensor::empty(shape, DType::kI32);
  std::copy(values.begin(), values.end(), t.data<int32_t>());
  return t;
}

namespace {
template <typename Draw>
Tensor fill_random(const Shape& shape, Generator& gen, DType dtype, Draw draw) {
  Tensor f = Tensor::empty(shape, DType::kF32);
  int64_t n = f.numel();
  uint64_t first = gen.take(static_cast<uint64_t>(n));
  uint64_t seed = gen.seed();
  float* p = f.data<float>();
  parallel_for(
      n,
      [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) p[i] = draw(seed, first + static_cast<uint64_t>(i));
      },
      1 << 14);
  return ops::to_dtype(f, dtype);
}
}  // namespace

Tensor rand(const Shape& shape, Generator& gen, float low, float high, DType dtype) {
  return fill_random(shape, gen, dtype, [=](uint64_t s, uint64_t c) {
    return low + (high - low) * Generator::uniform(s, c);
  });
}

Tensor randn(const Shape& shape, Generator& gen, float mean, float std, DType dtype) {
  return fill_random(shape, gen, dtype,
                     [=](uint64_t s, uint64_t c) { return mean + std * Generator::normal(s, c); });
}

}  // namespace llmkit
