#include "llmkit/train/data_loader.h"

#include <algorithm>
#include <numeric>

#include "llmkit/base/error.h"
#include "llmkit/tensor/rng.h"

namespace llmkit::train {
namespace {

// Separates the loader's random stream from other users of the same seed.
constexpr uint64_t kLoaderSalt = 0x6c6f616465722d31ULL;  // "loader-1"

// Uniform in [0, n) from 64 random bits: the high word of x * n. The bias is below n / 2^64,
// negligible for any window count; no rejection loop keeps the draw count fixed.
inline uint64_t bounded(uint64_t x, uint64_t n) {
  return static_cast<uint64_t>((static_cast<unsigned __int128>(x) * n) >> 64);
}

uint64_t epoch_seed(uint64_t seed, int64_t epoch) {
  return Generator::bits(seed ^ kLoaderSalt, static_cast<uint64_t>(epoch));
}

// phase_e in [0, min(seq, n - seq)): the first window start of the epoch; phase_e <= n - 1 - seq,
// so at least one window of seq + 1 tokens fits.
int64_t epoch_phase(uint64_t es, int64_t n, int64_t seq) {
  const auto phases = static_cast<uint64_t>(std::min(seq, n - seq));
  return static_cast<int64_t>(bounded(Generator::bits(es, 0), phases));
}

}  // namespace

DataLoader::DataLoader(std::shared_ptr<const TokenDataset> data, int64_t batch, int64_t seq,
                       uint64_t seed)
    : data_(std::move(data)), batch_(batch), seq_(seq), seed_(seed) {
  LLMKIT_CHECK(data_ != nullptr, "DataLoader: no dataset");
  LLMKIT_CHECK(batch > 0, "DataLoader: batch size must be positive, got ", batch);
  LLMKIT_CHECK(seq > 0, "DataLoader: sequence length must be positive, got ", seq);
  const int64_t n = data_->train().size();
  LLMKIT_CHECK(n >= seq + 1, "DataLoader: the training split of '", data_->dir(), "' has ", n,
               " tokens, fewer than seq + 1 = ", seq + 1, "; lower --seq or prepare more data");
  load_epoch(0);
}

int64_t DataLoader::windows_in_epoch(int64_t epoch) const {
  LLMKIT_CHECK_CODE(epoch >= 0, ErrorCode::kOutOfRange, "DataLoader: negative epoch ", epoch);
  const int64_t n = data_->train().size();
  return (n - 1 - epoch_phase(epoch_seed(seed_, epoch), n, seq_)) / seq_;
}

std::vector<int64_t> DataLoader::epoch_starts(int64_t epoch) const {
  LLMKIT_CHECK_CODE(epoch >= 0, ErrorCode::kOutOfRange, "DataLoader: negative epoch ", epoch);
  const int64_t n = data_->train().size();
  const uint64_t es = epoch_seed(seed_, epoch);
  const int64_t phase = epoch_phase(es, n, seq_);
  const int64_t windows = (n - 1 - phase) / seq_;
  std::vector<int64_t> order(static_cast<size_t>(windows));
  std::iota(order.begin(), order.end(), int64_t{0});
  // Fisher-Yates: position i swaps with a uniform j in [0, i]; draw d uses counter 1 + d.
  uint64_t draw = 1;
  for (int64_t i = windows - 1; i > 0; --i) {
    auto j =
        static_cast<int64_t>(bounded(Generator::bits(es, draw++), static_cast<uint64_t>(i + 1)));
    std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
  }
  for (int64_t& k : order) k = phase + k * seq_;
  return order;
}

void DataLoader::load_epoch(int64_t epoch) {
  starts_ = epoch_starts(epoch);
  epoch_ = epoch;
  index_ = 0;
}

void DataLoader::set_position(DataPosition position) {
  LLMKIT_CHECK_CODE(position.epoch >= 0, ErrorCode::kOutOfRange,
                    "DataLoader::set_position: negative epoch ", position.epoch);
  std::vector<int64_t> starts = epoch_starts(position.epoch);
  LLMKIT_CHECK_CODE(position.index >= 0 && position.index <= static_cast<int64_t>(starts.size()),
                    ErrorCode::kOutOfRange, "DataLoader::set_position: index ", position.index,
                    " is outside epoch ", position.epoch, "'s ", starts.size(),
                    " windows (was the position saved with other data, --batch, --seq or --seed?)");
  starts_ = std::move(starts);
  epoch_ = position.epoch;
  index_ = position.index;
}

Batch DataLoader::next() {
  std::vector<int64_t> starts;
  starts.reserve(static_cast<size_t>(batch_));
  while (static_cast<int64_t>(starts.size()) < batch_) {
    if (index_ >= static_cast<int64_t>(starts_.size())) load_epoch(epoch_ + 1);
    starts.push_back(starts_[static_cast<size_t>(index_++)]);
  }
  // Roll over eagerly so that position() names the next window's epoch.
  if (index_ >= static_cast<int64_t>(starts_.size())) load_epoch(epoch_ + 1);
  return make_batch(data_->train(), starts, seq_);
}

}  // namespace llmkit::train
