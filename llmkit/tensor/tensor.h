// Tensor: an N-D strided view (shape, strides, offset, dtype) into a shared Storage, plus the
// autograd state the autograd layer attaches to it.
//
// Tensor is a cheap handle: copies share one TensorImpl (so a parameter and its gradient are seen
// by every copy). Views made by the functions in view.h share the Storage but get a new TensorImpl.
// Shapes are outermost-first; strides are in elements and may be 0 (broadcast) but never negative.
// Thread safety: concurrent reads are safe; writes to shared bytes must be synchronised by callers.
//
// Which functions track gradients: everything in namespace llmkit::ops is raw (no autograd);
// the free functions in namespace llmkit declared by llmkit/autograd/ are differentiable.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "llmkit/base/error.h"
#include "llmkit/tensor/dtype.h"
#include "llmkit/tensor/shape.h"
#include "llmkit/tensor/storage.h"

namespace llmkit {

namespace autograd {
class Node;  // defined in llmkit/autograd/node.h
}

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape;
  Strides strides;
  int64_t offset = 0;  // in elements
  DType dtype = DType::kF32;

  // Autograd state, managed by llmkit/autograd.
  bool requires_grad = false;
  std::shared_ptr<TensorImpl> grad;         // accumulated gradient of a leaf
  std::shared_ptr<autograd::Node> grad_fn;  // producer of a non-leaf result
};

template <typename T>
constexpr bool dtype_matches(DType d);
template <>
constexpr bool dtype_matches<float>(DType d) {
  return d == DType::kF32;
}
template <>
constexpr bool dtype_matches<int32_t>(DType d) {
  return d == DType::kI32;
}
template <>
constexpr bool dtype_matches<uint16_t>(DType d) {
  return d == DType::kF16 || d == DType::kBF16;
}

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // A new contiguous, zero-filled tensor.
  static Tensor empty(const Shape& shape, DType dtype = DType::kF32);
  // A new contiguous tensor whose contents are unspecified: for kernel outputs that write every
  // element (saves a pass over memory).
  static Tensor uninitialized(const Shape& shape, DType dtype = DType::kF32);
  // A view into storage; throws Error if the view would reach outside the storage.
  static Tensor from_storage(std::shared_ptr<Storage> storage, const Shape& shape,
                             const Strides& strides, int64_t offset, DType dtype);

  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return impl().shape; }
  int64_t dim() const { return static_cast<int64_t>(impl().shape.size()); }
  int64_t size(int64_t axis) const;  // negative axes count from the end
  int64_t numel() const { return shape_numel(impl().shape); }
  const Strides& strides() const { return impl().strides; }
  int64_t stride(int64_t axis) const;
  int64_t offset() const { return impl().offset; }
  DType dtype() const { return impl().dtype; }
  const std::shared_ptr<Storage>& storage() const { return impl().storage; }
  bool is_contiguous() const;
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype()); }

  // Pointer to the first element (offset applied). Checks that T matches the dtype.
  template <typename T>
  T* data() const {
    LLMKIT_CHECK(dtype_matches<T>(dtype()), "data<T>(): tensor has dtype ", dtype_name(dtype()),
                 ", which does not match the requested element type");
    return reinterpret_cast<T*>(raw_data());
  }
  void* raw_data() const {
    return impl().storage->data() + impl().offset * static_cast<int64_t>(dtype_size(dtype()));
  }

  // Element values in row-major order, converted to float / int (any dtype, any layout).
  std::vector<float> to_vector() const;
  std::vector<int32_t> to_int_vector() const;
  // The single value of a one-element tensor.
  float item() const;
  // One element at a full index (negative indices count from the end). Slow; for tests.
  float at(const std::vector<int64_t>& index) const;

  // Identity: two handles to the same TensorImpl.
  TensorImpl* impl_ptr() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_shared() const { return impl_; }
  bool same(const Tensor& other) const { return impl_ == other.impl_; }

  // Autograd state.
  bool requires_grad() const { return impl().requires_grad; }
  // Marks a leaf as trainable. Throws on a non-leaf or a non-floating tensor.
  Tensor& set_requires_grad(bool value = true);
  bool is_leaf() const { return impl().grad_fn == nullptr; }
  Tensor grad() const { return Tensor(impl().grad); }  // undefined until a backward pass
  void set_grad(const Tensor& g) const { impl().grad = g.impl_; }
  void zero_grad() const { impl().grad.reset(); }
  const std::shared_ptr<autograd::Node>& grad_fn() const { return impl().grad_fn; }
  // Same storage and layout, no autograd state.
  Tensor detach() const;

  // NumPy-like text: "tensor([[1., 2.], [3., 4.]], dtype=f32)". Large tensors are summarised.
  std::string to_string() const;

 private:
  static Tensor allocate(const Shape& shape, DType dtype, bool zero_fill);
  TensorImpl& impl() const {
    LLMKIT_CHECK(impl_ != nullptr, "operation on an undefined (default-constructed) Tensor");
    return *impl_;
  }
  std::shared_ptr<TensorImpl> impl_;
};

std::ostream& operator<<(std::ostream& out, const Tensor& t);

// "f32[2, 3]": used in error messages.
std::string describe(const Tensor& t);

// Calls fn(flat_offset_in_elements) for each element of shape/strides in row-major order.
template <typename Fn>
void for_each_offset(const Shape& shape, const Strides& strides, int64_t offset, Fn&& fn) {
  int64_t n = shape_numel(shape);
  if (n == 0) return;
  size_t nd = shape.size();
  if (nd == 0) {
    fn(offset);
    return;
  }
  std::vector<int64_t> idx(nd, 0);
  int64_t inner = shape[nd - 1], inner_stride = strides[nd - 1];
  int64_t pos = offset;
  for (int64_t done = 0; done < n; done += inner) {
    for (int64_t i = 0; i < inner; ++i) fn(pos + i * inner_stride);
    for (size_t d = nd - 1; d-- > 0;) {
      pos += strides[d];
      if (++idx[d] < shape[d]) break;
      pos -= strides[d] * shape[d];
      idx[d] = 0;
    }
  }
}

// Calls fn(offset_a, offset_b, n, stride_a, stride_b) for each innermost row of `shape`, walking
// two layouts of the same shape together (row-major order). Rows have n = shape.back() elements.
template <typename Fn>
void for_each_row2(const Shape& shape, const Strides& sa, int64_t oa, const Strides& sb, int64_t ob,
                   Fn&& fn) {
  if (shape_numel(shape) == 0) return;
  size_t nd = shape.size();
  if (nd == 0) {
    fn(oa, ob, int64_t{1}, int64_t{0}, int64_t{0});
    return;
  }
  std::vector<int64_t> idx(nd, 0);
  int64_t inner = shape[nd - 1];
  int64_t rows = shape_numel(shape) / inner;
  for (int64_t r = 0; r < rows; ++r) {
    fn(oa, ob, inner, sa[nd - 1], sb[nd - 1]);
    for (size_t d = nd - 1; d-- > 0;) {
      oa += sa[d];
      ob += sb[d];
      if (++idx[d] < shape[d]) break;
      oa -= sa[d] * shape[d];
      ob -= sb[d] * shape[d];
      idx[d] = 0;
    }
  }
}

}  // namespace llmkit
