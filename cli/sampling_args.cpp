#include "cli/sampling_args.h"

#include <cstdio>
#include <random>

#include "llmkit/base/error.h"

namespace llmkit::cli {

void add_sampling_args(CLI::App& command, SamplingArgs& args) {
  infer::SamplerOptions& s = args.sampler;
  command.add_option("--temp", s.temperature, "temperature (0: greedy)")->capture_default_str();
  command.add_option("--top-k", s.top_k, "keep the k likeliest tokens (0: off)")
      ->capture_default_str();
  command.add_option("--top-p", s.top_p, "nucleus sampling: keep probability mass p (1: off)")
      ->capture_default_str();
  command.add_option("--min-p", s.min_p, "keep tokens with p >= min_p * p_max (0: off)")
      ->capture_default_str();
  command.add_option("--repeat-penalty", s.repeat_penalty, "penalise repeated tokens (1: off)")
      ->capture_default_str();
  command
      .add_option("--repeat-last-n", s.repeat_last_n,
                  "tokens the penalties look back on (0: off, -1: all)")
      ->capture_default_str();
  command
      .add_option("--frequency-penalty", s.frequency_penalty,
                  "subtract count * this from a repeated token's logit (0: off)")
      ->capture_default_str();
  command
      .add_option("--presence-penalty", s.presence_penalty,
                  "subtract this from the logit of a token seen before (0: off)")
      ->capture_default_str();
  command.add_option("--seed", args.seed, "random seed (-1: random)")->capture_default_str();
  command.add_option("--stop", args.stop, "stop when the output contains this text (repeatable)")
      ->allow_extra_args(false);
}

infer::SamplerOptions resolve_sampler_options(const SamplingArgs& args) {
  LLMKIT_CHECK(args.seed >= -1, "--seed must be >= 0, or -1 for a random seed; got ", args.seed);
  infer::SamplerOptions o = args.sampler;
  if (args.seed >= 0) {
    o.seed = static_cast<uint64_t>(args.seed);
  } else {
    std::random_device device;
    // 63 bits, so that the printed value can be passed back to --seed
    o.seed = ((static_cast<uint64_t>(device()) << 32) ^ device()) & 0x7FFFFFFFFFFFFFFFULL;
    if (o.temperature > 0.0f) {
      std::fprintf(stderr, "sampling: seed %llu\n", static_cast<unsigned long long>(o.seed));
    }
  }
  for (const std::string& s : args.stop) {
    LLMKIT_CHECK(!s.empty(), "--stop needs a non-empty text");
  }
  infer::validate(o);
  return o;
}

}  // namespace llmkit::cli
