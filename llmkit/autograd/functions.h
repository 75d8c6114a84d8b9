// The differentiable tensor API: the functions users compose models from. Each records a Node when
// gradients are enabled and an input requires grad (see node.h); each primitive's backward rule is
// written once, next to its forward, in the *_fns.cpp file of its group:
//   elementwise_fns.cpp  arithmetic, math, activations, where/clamp (broadcasting: gradients are
//                        summed back to each operand's shape)
//   reduce_fns.cpp       sum, mean, max, min, logsumexp, var
//   shape_fns.cpp        reshape, transpose, permute, slice, select, expand, squeeze, unsqueeze,
//                        contiguous, to_dtype
//   linalg_fns.cpp       matmul, linear, softmax, log_softmax
//   index_fns.cpp        index_select/embedding, concat, stack
//   fused_fns.cpp        rms_norm, layer_norm, rope, attention, cross_entropy
// Functions marked (no grad) return results that never require grad.
#pragma once

#include <vector>

#include "llmkit/ops/fused.h"
#include "llmkit/tensor/creation.h"
#include "llmkit/tensor/tensor.h"

namespace llmkit {

// ---- element-wise (NumPy broadcasting)
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, const Tensor& b);  // a > 0 where b's gradient is needed
Tensor pow(const Tensor& a, float exponent);
Tensor maximum(const Tensor& a, const Tensor& b);  // ties send the gradient to a
Tensor minimum(const Tensor& a, const Tensor& b);
Tensor add_scalar(const Tensor& x, float s);
Tensor mul_scalar(const Tensor& x, float s);
Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor rsqrt(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor square(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor sin(const Tensor& x);
Tensor cos(const Tensor& x);
Tensor relu(const Tensor& x);
Tensor silu(const Tensor& x);
// approximate_tanh: GELU's tanh approximation (Gemma's "gelu_pytorch_tanh"); else the exact erf
// form.
Tensor gelu(const Tensor& x, bool approximate_tanh = false);
Tensor clamp(const Tensor& x, float low, float high);  // gradient 0 outside [low, high]
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);  // no gradient to cond
Tensor masked_fill(const Tensor& x, const Tensor& mask, float value);
// Comparisons (no grad): f32 masks of 0/1.
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);

Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& x);
Tensor operator+(const Tensor& a, float s);
Tensor operator+(float s, const Tensor& a);
Tensor operator-(const Tensor& a, float s);
Tensor operator-(float s, const Tensor& a);
Tensor operator*(const Tensor& a, float s);
Tensor operator*(float s, const Tensor& a);
Tensor operator/(const Tensor& a, float s);
Tensor operator/(float s, const Tensor& a);

// ---- reductions (empty axes: all axes)
Tensor sum(const Tensor& x, const std::vector<int64_t>& axes = {}, bool keepdim = false);
Tensor mean(const Tensor& x, const std::vector<int64_t>& axes = {}, bool keepdim = false);
// Gradient split evenly between tied extremes.
Tensor max(const Tensor& x, const std::vector<int64_t>& axes = {}, bool keepdim = false);
Tensor min(const Tensor& x, const std::vector<int64_t>& axes = {}, bool keepdim = false);
Tensor logsumexp(const Tensor& x, const std::vector<int64_t>& axes = {}, bool keepdim = false);
Tensor var(const Tensor& x, const std::vector<int64_t>& axes = {}, bool keepdim = false,
           int64_t correction = 0);
Tensor argmax(const Tensor& x, int64_t axis, bool keepdim = false);  // (no grad) i32
Tensor argmin(const Tensor& x, int64_t axis, bool keepdim = false);  // (no grad) i32

// ---- layout (views where ops:: makes views; gradients flow back through them)
Tensor reshape(const Tensor& x, const Shape& shape);
Tensor flatten(const Tensor& x, int64_t start_axis = 0, int64_t end_axis = -1);
Tensor transpose(const Tensor& x, int64_t axis0, int64_t axis1);
Tensor permute(const Tensor& x, const std::vector<int64_t>& axes);
Tensor slice(const Tensor& x, int64_t axis, int64_t start, int64_t stop, int64_t step = 1);
Tensor select(const Tensor& x, int64_t axis, int64_t index);
Tensor expand(const Tensor& x, const Shape& shape);
Tensor broadcast_to(const Tensor& x, const Shape& shape);
Tensor squeeze(const Tensor& x, int64_t axis);
Tensor unsqueeze(const Tensor& x, int64_t axis);
Tensor contiguous(const Tensor& x);
Tensor to_dtype(const Tensor& x, DType dtype);  // gradient cast back to f32

// ---- linear algebra and softmax
Tensor matmul(const Tensor& a, const Tensor& b);
Tensor linear(const Tensor& x, const Tensor& w, const Tensor& bias = Tensor());
Tensor softmax(const Tensor& x, int64_t axis = -1);
Tensor log_softmax(const Tensor& x, int64_t axis = -1);

// ---- indexing and joining
Tensor index_select(const Tensor& x, int64_t axis, const Tensor& idx);
// table [V, C], ids i32 [...] -> [..., C]
Tensor embedding(const Tensor& table, const Tensor& ids);
Tensor concat(const std::vector<Tensor>& xs, int64_t axis);
Tensor stack(const std::vector<Tensor>& xs, int64_t axis);
Tensor one_hot(const Tensor& idx, int64_t n_classes);  // (no grad)

// ---- fused Transformer ops (shapes as in llmkit/ops/fused.h)
Tensor rms_norm(const Tensor& x, const Tensor& w, float eps, bool unit_offset = false);
Tensor layer_norm(const Tensor& x, const Tensor& w, const Tensor& b, float eps);
Tensor rope(const Tensor& x, const Tensor& positions, float theta);
Tensor attention(const Tensor& q, const Tensor& k, const Tensor& v,
                 const ops::AttentionOptions& options);
// logits [N, V] (or [..., V] with targets [...]), mean over valid targets.
Tensor cross_entropy(const Tensor& logits, const Tensor& targets, int64_t ignore_index = -100);

}  // namespace llmkit
