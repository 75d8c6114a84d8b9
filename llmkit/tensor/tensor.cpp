#include "llmkit/tensor/tensor.h"

#include <ostream>

namespace llmkit {

Tensor Tensor::empty(const Shape& shape, DType dtype) {
  return allocate(shape, dtype, true);
}

Tensor Tensor::uninitialized(const Shape& shape, DType dtype) {
  return allocate(shape, dtype, false);
}

Tensor Tensor::allocate(const Shape& shape, DType dtype, bool zero_fill) {
  for (int64_t d : shape) {
    LLMKIT_CHECK(d >= 0, "cannot create a tensor of shape ", shape_to_string(shape),
                 ": dimensions must be non-negative");
  }
  auto impl = std::make_shared<TensorImpl>();
  impl->storage =
      Storage::allocate(static_cast<size_t>(shape_numel(shape)) * dtype_size(dtype), zero_fill);
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

Tensor Tensor::from_storage(std::shared_ptr<Storage> storage, const Shape& shape,
                            const Strides& strides, int64_t offset, DType dtype) {
  LLMKIT_CHECK(shape.size() == strides.size(), "from_storage: shape ", shape_to_string(shape),
               " and strides ", shape_to_string(strides), " differ in rank");
  LLMKIT_CHECK(offset >= 0, "from_storage: negative offset ", offset);
  int64_t last = offset;
  for (size_t i = 0; i < shape.size(); ++i) {
    LLMKIT_CHECK(shape[i] >= 0 && strides[i] >= 0, "from_storage: bad shape ",
                 shape_to_string(shape), " or strides ", shape_to_string(strides));
    if (shape[i] == 0) last = offset - 1;
    if (last >= offset) last += (shape[i] - 1) * strides[i];
  }
  size_t esize = dtype_size(dtype);
  LLMKIT_CHECK_CODE(last < offset || static_cast<size_t>(last + 1) * esize <= storage->nbytes(),
                    ErrorCode::kOutOfRange, "view of shape ", shape_to_string(shape), " at offset ",
                    offset, " reaches past the end of its ", storage->nbytes(), "-byte storage");
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::move(storage);
  impl->shape = shape;
  impl->strides = strides;
  impl->offset = offset;
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

int64_t Tensor::size(int64_t axis) const {
  return impl().shape[normalize_axis(axis, dim(), "size()")];
}

int64_t Tensor::stride(int64_t axis) const {
  return impl().strides[normalize_axis(axis, dim(), "stride()")];
}

bool Tensor::is_contiguous() const {
  const auto& s = impl().shape;
  const auto& st = impl().strides;
  int64_t expected = 1;
  for (size_t i = s.size(); i-- > 0;) {
    if (s[i] != 1 && st[i] != expected) return false;
    expected *= s[i];
  }
  return true;
}

namespace {
template <typename Out>
std::vector<Out> gather_values(const Tensor& t) {
  std::vector<Out> out;
  out.reserve(static_cast<size_t>(t.numel()));
  const uint8_t* base = t.storage()->data();
  DType dt = t.dtype();
  size_t es = dtype_size(dt);
  for_each_offset(t.shape(), t.strides(), t.offset(), [&](int64_t off) {
    float f = 0.0f;
    const uint8_t* p = base + off * static_cast<int64_t>(es);
    if (dt == DType::kI32) {
      int32_t v;
      std::memcpy(&v, p, 4);
      out.push_back(static_cast<Out>(v));
      return;
    }
    convert_elements(p, dt, &f, DType::kF32, 1);
    out.push_back(static_cast<Out>(f));
  });
  return out;
}
}  // namespace

std::vector<float> Tensor::to_vector() const {
  return gather_values<float>(*this);
}
std::vector<int32_t> Tensor::to_int_vector() const {
  return gather_values<int32_t>(*this);
}

float Tensor::item() const {
  LLMKIT_CHECK(numel() == 1, "item() needs a one-element tensor, got ", describe(*this));
  return to_vector()[0];
}

float Tensor::at(const std::vector<int64_t>& index) const {
  LLMKIT_CHECK(static_cast<int64_t>(index.size()) == dim(), "at(): index has ", index.size(),
               " entries for a tensor of shape ", shape_to_string(shape()));
  int64_t off = offset();
  for (size_t i = 0; i < index.size(); ++i) {
    int64_t k = index[i] < 0 ? index[i] + shape()[i] : index[i];
    LLMKIT_CHECK_CODE(k >= 0 && k < shape()[i], ErrorCode::kOutOfRange, "at(): index ", index[i],
                      " is out of range for dimension ", i, " of size ", shape()[i]);
    off += k * strides()[i];
  }
  float f;
  convert_elements(storage()->data() + off * static_cast<int64_t>(dtype_size(dtype())), dtype(), &f,
                   DType::kF32, 1);
  return f;
}

Tensor& Tensor::set_requires_grad(bool value) {
  LLMKIT_CHECK(!value || is_floating(dtype()), "set_requires_grad: only floating tensors can ",
               "require gradients, got ", describe(*this));
  LLMKIT_CHECK(is_leaf(), "set_requires_grad: only leaf tensors can be marked; this tensor was ",
               "computed from others (detach() it first)");
  impl().requires_grad = value;
  return *this;
}

Tensor Tensor::detach() const {
  return from_storage(storage(), shape(), strides(), offset(), dtype());
}

std::ostream& operator<<(std::ostream& out, const Tensor& t) {
  return out << t.to_string();
}

std::string describe(const Tensor& t) {
  if (!t.defined()) return "undefined tensor";
  return str_cat(dtype_name(t.dtype()), shape_to_string(t.shape()));
}

}  // namespace llmkit
