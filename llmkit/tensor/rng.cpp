#include "llmkit/tensor/rng.h"

#include <cmath>

namespace llmkit {
namespace {
// SplitMix64 finaliser: a bijective 64-bit mixer with good avalanche.
uint64_t mix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
}  // namespace

uint64_t Generator::bits(uint64_t seed, uint64_t counter) {
  return mix64(mix64(seed) ^ mix64(counter + 0x632be59bd9b4e019ull));
}

float Generator::uniform(uint64_t seed, uint64_t counter) {
  return static_cast<float>(bits(seed, counter) >> 40) * (1.0f / 16777216.0f);
}

float Generator::normal(uint64_t seed, uint64_t counter) {
  uint64_t b = bits(seed, counter);
  // u1 in (0, 1] so log is finite; u2 in [0, 1).
  double u1 = (static_cast<double>(b >> 32) + 1.0) / 4294967296.0;
  double u2 = static_cast<double>(b & 0xffffffffull) / 4294967296.0;
  return static_cast<float>(std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2));
}

}  // namespace llmkit
