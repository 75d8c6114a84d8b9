// Shapes and strides: outermost dimension first (PyTorch order), strides counted in elements.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace llmkit {

using Shape = std::vector<int64_t>;
using Strides = std::vector<int64_t>;

int64_t shape_numel(const Shape& shape);
Strides contiguous_strides(const Shape& shape);
std::string shape_to_string(const Shape& shape);  // "[2, 3, 4]"

// NumPy broadcasting of two shapes; throws Error naming both shapes (and `what`, the operation)
// when they are incompatible.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* what);

// Maps a possibly negative axis into [0, ndim); throws Error(kOutOfRange) naming `what`.
int64_t normalize_axis(int64_t axis, int64_t ndim, const char* what);

}  // namespace llmkit
