// Building a TeacherCache (teacher_cache.h) for a run: the teacher is run over the micro-batches a
// DataLoader(data, key.batch, key.seq, key.seed) yields, in order, and each batch's top-K targets
// (at key.temperature) are appended. Shows a progress bar (batches, rate, ETA); interruptible
// through `stop`, and resumable: calling again continues the .partial file after its last complete
// record. When `path` already holds a finished cache with this key and at least `batches`
// records, nothing is run.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "llmkit/train/teacher.h"
#include "llmkit/train/teacher_cache.h"
#include "llmkit/train/token_dataset.h"

namespace llmkit::train {

struct CacheBuildSummary {
  int64_t records = 0;       // records in the cache (finished or partial)
  int64_t built = 0;         // records computed by this call
  bool interrupted = false;  // stopped before `batches` records
  double seconds = 0.0;      // time of this call
  int64_t file_bytes = 0;    // size of the finished cache (0 while partial)
};

// Errors: a finished cache at `path` with another key or fewer than `batches` records ->
// kInvalidArgument saying to delete it or choose another --cache path.
CacheBuildSummary build_teacher_cache(Teacher& teacher, std::shared_ptr<const TokenDataset> data,
                                      const std::string& path, const TeacherCacheKey& key,
                                      int64_t batches, bool progress,
                                      const std::atomic<bool>* stop = nullptr);

}  // namespace llmkit::train
