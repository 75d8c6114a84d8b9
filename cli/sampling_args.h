// Sampling and stopping options shared by `llmkit generate` and `llmkit chat`: --temp, --top-k,
// --top-p, --min-p, --repeat-penalty, --repeat-last-n, --frequency-penalty, --presence-penalty,
// --seed and the repeatable --stop STR. Names and defaults follow llama.cpp's CLI (temperature
// 0.8, top-k 40, top-p 0.95, min-p 0.05, repeat penalty 1 = off over the last 64 tokens).
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "llmkit/infer/sampler.h"

namespace llmkit::cli {

struct SamplingArgs {
  infer::SamplerOptions sampler;  // seed ignored: see seed below
  int64_t seed = -1;              // --seed; -1: a random seed, printed to stderr
  std::vector<std::string> stop;  // --stop, repeatable
};

void add_sampling_args(CLI::App& command, SamplingArgs& args);

// The sampler options with the seed resolved (drawn from std::random_device when --seed is -1;
// the seed used is then printed to stderr so the run can be repeated). Validates them (Error
// naming the bad option).
infer::SamplerOptions resolve_sampler_options(const SamplingArgs& args);

}  // namespace llmkit::cli
