// Counter-based random numbers: element i of a draw is a pure function of (seed, counter + i), so
// the stream is identical whatever the thread count or chunking. Each draw advances the counter by
// the number of values taken. Not thread-safe: one Generator per thread or external locking.
#pragma once

#include <cstdint>

namespace llmkit {

class Generator {
 public:
  explicit Generator(uint64_t seed = 0) : seed_(seed) {}

  uint64_t seed() const { return seed_; }
  uint64_t counter() const { return counter_; }
  void set_counter(uint64_t counter) { counter_ = counter; }

  // Reserves n consecutive counters and returns the first one.
  uint64_t take(uint64_t n) {
    uint64_t first = counter_;
    counter_ += n;
    return first;
  }

  // 64 random bits for (seed, counter): stateless.
  static uint64_t bits(uint64_t seed, uint64_t counter);
  // Uniform in [0, 1) with 24 random bits.
  static float uniform(uint64_t seed, uint64_t counter);
  // Standard normal (Box-Muller on two 32-bit halves of bits()).
  static float normal(uint64_t seed, uint64_t counter);

  // Convenience draws that advance the counter by one.
  float next_uniform() { return uniform(seed_, take(1)); }
  float next_normal() { return normal(seed_, take(1)); }
  uint64_t next_bits() { return bits(seed_, take(1)); }

 private:
  uint64_t seed_;
  uint64_t counter_ = 0;
};

}  // namespace llmkit
