#include "llmkit/train/contrastive_loss.h"

#include <cmath>

#include "llmkit/autograd/functions.h"
#include "llmkit/base/error.h"

namespace llmkit::train {

Tensor contrastive_loss(const Tensor& queries, const Tensor& passages, float temperature,
                        bool symmetric) {
  LLMKIT_CHECK(queries.defined() && passages.defined() && queries.dim() == 2 &&
                   queries.shape() == passages.shape() && queries.size(0) >= 1,
               "contrastive_loss: queries ", queries.defined() ? describe(queries) : "(undefined)",
               " and passages ", passages.defined() ? describe(passages) : "(undefined)",
               " must both be [N, C] with N >= 1");
  LLMKIT_CHECK(temperature > 0.0f && std::isfinite(temperature),
               "contrastive_loss: temperature must be positive, got ", temperature);
  const int64_t n = queries.size(0);
  Tensor sim = mul_scalar(matmul(queries, transpose(passages, 0, 1)), 1.0f / temperature);
  Tensor targets = arange(n, DType::kI32);  // the diagonal
  Tensor loss = cross_entropy(sim, targets);
  if (!symmetric) return loss;
  Tensor loss_t = cross_entropy(contiguous(transpose(sim, 0, 1)), targets);
  return mul_scalar(add(loss, loss_t), 0.5f);
}

}  // namespace llmkit::train
