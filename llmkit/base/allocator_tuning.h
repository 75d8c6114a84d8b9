// Process-wide malloc tuning for tensor workloads, for programs (not library code) to call once at
// start-up. glibc serves large blocks with mmap and returns freed memory to the kernel eagerly,
// so a training step that allocates and frees the same activation sizes every iteration pays page
// faults and munmap calls each time. Raising the mmap and trim thresholds keeps those blocks in
// the heap for reuse (measured +14% training tokens/s, docs/benchmarks.md).
#pragma once

namespace llmkit {

void tune_allocator_for_tensors();

}  // namespace llmkit
