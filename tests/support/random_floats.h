// Gaussian test data shared by tests and benchmarks: n floats from N(0, sigma^2), the same values
// for the same (n, seed) on every run.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace llmkit::test {

inline std::vector<float> normal_floats(int64_t n, uint32_t seed, float sigma = 1.0f) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> dist(0.0f, sigma);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = dist(gen);
  return v;
}

}  // namespace llmkit::test
