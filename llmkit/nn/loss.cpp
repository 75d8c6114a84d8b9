#include "llmkit/nn/loss.h"

#include "llmkit/autograd/functions.h"

namespace llmkit::nn {

Tensor cross_entropy_loss(const Tensor& logits, const Tensor& targets, int64_t ignore_index) {
  return cross_entropy(logits, targets, ignore_index);
}

Tensor mse_loss(const Tensor& prediction, const Tensor& target) {
  LLMKIT_CHECK(prediction.shape() == target.shape(), "mse_loss: prediction ", describe(prediction),
               " and target ", describe(target), " differ in shape");
  return mean(square(sub(prediction, target)));
}

}  // namespace llmkit::nn
