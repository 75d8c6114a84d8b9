// DataLoader: training batches from a TokenDataset's train stream, in a deterministic shuffled
// order that can be saved and resumed exactly.
//
// Windows: a batch is B windows of T + 1 consecutive tokens (inputs = the first T, targets = the
// last T; see Batch). Epoch e uses the windows starting at phase_e + k T, k = 0 .. W_e - 1, where
// phase_e in [0, min(T, N - T)) is drawn from (seed, e) and W_e = (N - 1 - phase_e) / T for a
// stream of N tokens: within an epoch the windows' targets never overlap, every epoch cuts the
// stream at other places. The windows are visited in a pseudo-random permutation drawn from
// (seed, e) (Fisher-Yates over Generator::bits). Batches run on across epoch ends: a batch may
// take its last windows from the next epoch.
//
// Position: DataPosition {epoch, index} is the next window to visit (index into epoch's
// permutation); after next() it is never at an epoch's end ({e, W_e} reads as {e + 1, 0}).
// position() after n batches, handed to set_position() of a loader made with the same dataset, B, T
// and seed, makes that loader yield exactly the batches the first would have yielded next. Not
// thread-safe; the dataset may be shared by several loaders.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "llmkit/train/token_dataset.h"

namespace llmkit::train {

struct DataPosition {
  int64_t epoch = 0;
  int64_t index = 0;  // windows of this epoch already visited
  bool operator==(const DataPosition&) const = default;
};

class DataLoader {
 public:
  // Throws kInvalidArgument when batch or seq is not positive or the train stream is shorter than
  // seq + 1 tokens (naming the dataset folder).
  DataLoader(std::shared_ptr<const TokenDataset> data, int64_t batch, int64_t seq, uint64_t seed);

  // The next batch: inputs and targets i32 [B, T].
  Batch next();

  DataPosition position() const { return {epoch_, index_}; }
  // Throws kOutOfRange unless epoch >= 0 and 0 <= index <= windows_in_epoch(epoch).
  void set_position(DataPosition position);

  // W_e, and the window start offsets of epoch e in visiting order (a permutation of
  // phase_e + k T); exposed for tests and tools.
  int64_t windows_in_epoch(int64_t epoch) const;
  std::vector<int64_t> epoch_starts(int64_t epoch) const;

  int64_t batch() const { return batch_; }
  int64_t seq() const { return seq_; }
  const TokenDataset& dataset() const { return *data_; }

 private:
  void load_epoch(int64_t epoch);

  std::shared_ptr<const TokenDataset> data_;
  int64_t batch_;
  int64_t seq_;
  uint64_t seed_;
  int64_t epoch_ = 0;
  int64_t index_ = 0;
  std::vector<int64_t> starts_;  // epoch_starts(epoch_)
};

}  // namespace llmkit::train
