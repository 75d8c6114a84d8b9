// Softmax family over one axis (raw: no autograd). Computed in f32 with the max subtracted; inputs
// of any float dtype and layout, outputs contiguous f32. A row that is all -inf gives softmax 0 and
// log_softmax -inf (no NaN). The backward functions need y and grad of one shape.
#pragma once

#include "llmkit/tensor/tensor.h"

namespace llmkit::ops {

Tensor softmax(const Tensor& x, int64_t axis = -1);
Tensor log_softmax(const Tensor& x, int64_t axis = -1);
// Given y = softmax(x) and dL/dy, returns dL/dx = y * (g - sum(g * y)).
Tensor softmax_backward(const Tensor& y, const Tensor& grad, int64_t axis = -1);
// Given y = log_softmax(x) and dL/dy, returns dL/dx = g - exp(y) * sum(g).
Tensor log_softmax_backward(const Tensor& y, const Tensor& grad, int64_t axis = -1);

}  // namespace llmkit::ops
