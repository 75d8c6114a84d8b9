// Losses, each returning a 0-D tensor.
#pragma once

#include "llmkit/tensor/tensor.h"

namespace llmkit::nn {

// Next-token loss: logits [..., V], targets i32 [...]; mean over targets != ignore_index.
Tensor cross_entropy_loss(const Tensor& logits, const Tensor& targets, int64_t ignore_index = -100);
// mean((prediction - target)^2); shapes must match.
Tensor mse_loss(const Tensor& prediction, const Tensor& target);

}  // namespace llmkit::nn
