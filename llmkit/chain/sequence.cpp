#include "llmkit/chain/sequence.h"

namespace llmkit::chain::detail {

namespace {
// Sinks of steps [first, n): each forwards its output chunks into the next one.
class PipelineSink : public AnySink {
 public:
  PipelineSink(const Steps& steps, size_t first, AnyChunkFn on_chunk, const RunConfig& config) {
    size_t n = steps.size() - first;
    sinks_.resize(n);
    for (size_t k = n; k-- > 0;) {
      AnyChunkFn emit;
      if (k + 1 == n) {
        emit = on_chunk;
      } else {
        AnySink* next = sinks_[k + 1].get();
        emit = [next](const std::any& chunk) { next->push(chunk); };
      }
      sinks_[k] = steps[first + k]->transform(std::move(emit), config);
    }
  }
  void push(const std::any& chunk) override { sinks_.front()->push(chunk); }
  std::any finish() override {
    std::any out;
    for (auto& sink : sinks_) out = sink->finish();
    return out;
  }

 private:
  std::vector<std::unique_ptr<AnySink>> sinks_;
};
}  // namespace

std::unique_ptr<AnySink> make_pipeline(const Steps& steps, AnyChunkFn on_chunk,
                                       const RunConfig& child_config) {
  return std::make_unique<PipelineSink>(steps, 0, std::move(on_chunk), child_config);
}

std::any stream_pipeline(const Steps& steps, const std::any& input, AnyChunkFn on_chunk,
                         const RunConfig& child_config) {
  PipelineSink rest(steps, 1, std::move(on_chunk), child_config);
  steps.front()->stream(
      input, [&rest](const std::any& chunk) { rest.push(chunk); }, child_config);
  return rest.finish();
}

}  // namespace llmkit::chain::detail
