// Test helpers for the fused kernels: random inputs, double-precision copies, comparisons and
// central finite differences of double-precision reference functions.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "llmkit/tensor/creation.h"
#include "llmkit/tensor/tensor.h"

namespace llmkit::testing {

inline Tensor random_tensor(const Shape& shape, uint64_t seed, float std = 1.0f) {
  Generator gen(seed);
  return randn(shape, gen, 0.0f, std);
}

inline std::vector<double> to_doubles(const Tensor& t) {
  std::vector<float> v = t.to_vector();
  return std::vector<double>(v.begin(), v.end());
}

// Expects |got - want| <= atol + rtol * |want| elementwise; reports the first few mismatches.
inline void expect_close(const std::vector<float>& got, const std::vector<double>& want,
                         double atol, double rtol, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  int reported = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double err = std::fabs(static_cast<double>(got[i]) - want[i]);
    if (!(err <= atol + rtol * std::fabs(want[i])) && reported < 5) {
      ADD_FAILURE() << what << ": element " << i << " is " << got[i] << ", expected " << want[i];
      ++reported;
    }
  }
}

inline void expect_close(const Tensor& got, const std::vector<double>& want, double atol,
                         double rtol, const std::string& what) {
  expect_close(got.to_vector(), want, atol, rtol, what);
}

// A double-precision function of several flat inputs with one flat output.
using DoubleFn = std::function<std::vector<double>(const std::vector<std::vector<double>>&)>;

// d/d inputs[which] of sum_k dy[k] * f(inputs)[k], by central differences with step h.
inline std::vector<double> numeric_grad(const DoubleFn& f, std::vector<std::vector<double>> inputs,
                                        size_t which, const std::vector<double>& dy,
                                        double h = 1e-6) {
  auto weighted = [&](const std::vector<double>& y) {
    double s = 0.0;
    for (size_t k = 0; k < y.size(); ++k) s += dy[k] * y[k];
    return s;
  };
  std::vector<double> grad(inputs[which].size());
  for (size_t i = 0; i < grad.size(); ++i) {
    const double saved = inputs[which][i];
    inputs[which][i] = saved + h;
    const double plus = weighted(f(inputs));
    inputs[which][i] = saved - h;
    const double minus = weighted(f(inputs));
    inputs[which][i] = saved;
    grad[i] = (plus - minus) / (2.0 * h);
  }
  return grad;
}

}  // namespace llmkit::testing
