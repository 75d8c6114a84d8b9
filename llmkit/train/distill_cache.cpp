#include "llmkit/train/distill_cache.h"

#include <filesystem>
#include <optional>

#include "llmkit/base/error.h"
#include "llmkit/base/progress_bar.h"
#include "llmkit/base/timer.h"
#include "llmkit/train/data_loader.h"

namespace llmkit::train {

CacheBuildSummary build_teacher_cache(Teacher& teacher, std::shared_ptr<const TokenDataset> data,
                                      const std::string& path, const TeacherCacheKey& key,
                                      int64_t batches, bool progress,
                                      const std::atomic<bool>* stop) {
  Timer timer;
  CacheBuildSummary summary;
  if (std::filesystem::exists(path)) {
    auto cache = TeacherCache::open(path, key);
    LLMKIT_CHECK(cache->records() >= batches, "teacher cache '", path, "' covers ",
                 cache->records(), " batches but this run needs ", batches,
                 "; delete it to rebuild, or pass another --cache path");
    summary.records = cache->records();
    summary.file_bytes = cache->file_bytes();
    return summary;
  }
  TeacherCacheWriter writer(path, key);
  DataLoader loader(data, key.batch, key.seq, key.seed);
  for (int64_t i = 0; i < writer.records(); ++i) loader.next();
  std::optional<ProgressBar> bar;
  if (progress) bar.emplace("teacher cache", batches, "batch", writer.records());
  while (writer.records() < batches) {
    if (stop != nullptr && stop->load()) {
      summary.interrupted = true;
      break;
    }
    Batch b = loader.next();
    std::vector<float> logits = teacher.logits(b.inputs);
    writer.append(
        batch_inputs_hash(b.inputs),
        topk_targets(logits.data(), b.inputs.numel(), teacher.n_vocab(), key.k, key.temperature));
    ++summary.built;
    if (bar) bar->update(writer.records());
  }
  if (bar) bar->finish();
  summary.records = writer.records();
  if (!summary.interrupted) {
    writer.finish();
    summary.file_bytes = static_cast<int64_t>(std::filesystem::file_size(path));
  }
  summary.seconds = timer.seconds();
  return summary;
}

}  // namespace llmkit::train
