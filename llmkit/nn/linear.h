// Linear: y = x @ weight^T + bias. weight [out, in] (GGUF/PyTorch layout), bias [out] optional.
// x [..., in] -> [..., out].
#pragma once

#include "llmkit/nn/module.h"
#include "llmkit/tensor/rng.h"

namespace llmkit::nn {

class Linear : public Module {
 public:
  // Weights drawn from N(0, init_std^2), or U(+-1/sqrt(in)) when init_std <= 0; bias zero.
  Linear(int64_t in_features, int64_t out_features, bool bias, Generator& gen,
         float init_std = 0.02f);
  Tensor forward(const Tensor& x) const;

  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }
  int64_t in_features() const { return weight_.size(1); }
  int64_t out_features() const { return weight_.size(0); }

 private:
  Tensor weight_;
  Tensor bias_;
};

// Embedding: table [V, C]; ids i32 [...] -> [..., C].
class Embedding : public Module {
 public:
  Embedding(int64_t n_vocab, int64_t n_embd, Generator& gen, float init_std = 0.02f);
  Tensor forward(const Tensor& ids) const;
  const Tensor& weight() const { return weight_; }

 private:
  Tensor weight_;
};

// Dropout: in train mode zeroes each element with probability p and scales the rest by 1/(1-p);
// identity in eval mode or when p == 0. Masks come from its own Generator (seeded at construction),
// so a run is reproducible.
class Dropout : public Module {
 public:
  explicit Dropout(float p, uint64_t seed = 0);
  Tensor forward(const Tensor& x);

 private:
  float p_;
  Generator gen_;
};

}  // namespace llmkit::nn
