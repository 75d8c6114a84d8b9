#include "llmkit/base/allocator_tuning.h"

#include <malloc.h>

namespace llmkit {

void tune_allocator_for_tensors() {
  // 32 MiB is glibc's largest mmap threshold on 64-bit; blocks above it still come from mmap.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

}  // namespace llmkit
