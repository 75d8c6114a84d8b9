// Trainer options shared by `llmkit train` and `llmkit distill` (--steps, --batch, --seq, --lr,
// --min-lr, --warmup, --weight-decay, --grad-clip, --grad-accum, --eval-every, --eval-batches,
// --save-every, --seed, --threads, --resume, --no-progress), and the SIGINT handling that turns
// Ctrl-C into a saved, resumable stop.
#pragma once

#include <CLI/CLI.hpp>

#include <atomic>
#include <string>

#include "llmkit/train/trainer.h"

namespace llmkit::cli {

void add_train_args(CLI::App& command, train::TrainOptions& options);

// When the run was interrupted, prints where its checkpoint is and how to continue, and returns
// true.
bool report_interrupted(const train::TrainSummary& summary, const std::string& run_dir);

// While alive, the first Ctrl-C sets stop_flag() (work stops at the next step and saves); a
// second one ends the program at once.
class StopOnInterrupt {
 public:
  StopOnInterrupt();
  ~StopOnInterrupt();
  const std::atomic<bool>* flag() const;

 private:
  void (*previous_)(int) = nullptr;
};

}  // namespace llmkit::cli
