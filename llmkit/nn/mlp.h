// Feed-forward blocks. x [..., C] -> [..., C] through a hidden width n_ff.
//   kGeGLU:  down(gelu_tanh(gate(x)) * up(x))   (Gemma)
//   kSwiGLU: down(silu(gate(x)) * up(x))        (Llama)
//   kGelu:   down(gelu(up(x)))                  (GPT-2 style, exact GELU)
// Parameter names (GGUF): ffn_gate.weight, ffn_up.weight, ffn_down.weight.
#pragma once

#include <memory>

#include "llmkit/nn/linear.h"

namespace llmkit::nn {

enum class MlpKind { kGeGLU, kSwiGLU, kGelu };

struct MlpConfig {
  int64_t n_embd = 0;
  int64_t n_ff = 0;
  MlpKind kind = MlpKind::kSwiGLU;
  bool bias = false;
  float init_std = 0.02f;
  int64_t n_layer_for_init = 0;  // > 0: scaled residual init of ffn_down
};

class Mlp : public Module {
 public:
  Mlp(const MlpConfig& config, Generator& gen);
  Tensor forward(const Tensor& x) const;

 private:
  MlpConfig config_;
  std::shared_ptr<Linear> gate_, up_, down_;
};

}  // namespace llmkit::nn
