// TokenDataset: a token shard folder (written by prepare_data; format in shard_manifest.h) opened
// for training: the train and validation token streams, memory-mapped, plus fixed validation
// batches.
//
// Opening validates everything before any token is served: the manifest (fields, sums), each
// shard's presence, size (tokens x bytes per token), FNV-1a 64 checksum and token ids (< n_vocab),
// and, when given, the tokenizer fingerprint. Errors name the file: kNotFound for a missing folder,
// manifest or shard; kCorruptData for a malformed manifest, a truncated or modified shard;
// kInvalidArgument for a tokenizer mismatch.
//
// Ownership and threads: the dataset owns its mappings (shared_ptr, shared by the loaders that use
// it); it is immutable after opening, so const members may be called from several threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "llmkit/base/mmap_file.h"
#include "llmkit/tensor/tensor.h"
#include "llmkit/train/shard_manifest.h"

namespace llmkit::train {

// One batch for next-token prediction. inputs i32 [B, T]; targets i32 [B, T] with
// targets[b, t] = inputs[b, t + 1] inside the window, i.e. window tokens w[0..T] give inputs
// w[0..T-1] and targets w[1..T].
struct Batch {
  Tensor inputs;
  Tensor targets;
};

// One split's token stream: the concatenation of its shards (read-only views of the mappings).
class TokenStream {
 public:
  int64_t size() const { return size_; }  // tokens
  int64_t documents() const { return documents_; }
  TokenWidth width() const { return width_; }

  // Token i, i in [0, size()).
  int32_t at(int64_t i) const;
  // Copies tokens [offset, offset + count) to out (a range may span shards). Throws
  // Error(kOutOfRange) when the range is outside [0, size()).
  void read(int64_t offset, int64_t count, int32_t* out) const;
  std::vector<int32_t> read(int64_t offset, int64_t count) const;

 private:
  friend class TokenDataset;
  struct Piece {
    std::shared_ptr<MappedFile> file;
    int64_t begin = 0;  // offset of the shard's first token in the stream
    int64_t tokens = 0;
  };
  std::vector<Piece> pieces_;
  int64_t size_ = 0;
  int64_t documents_ = 0;
  TokenWidth width_ = TokenWidth::kU16;
};

struct TokenDatasetOptions {
  // When set, the manifest's tokenizer fingerprint must equal it (the model's tokenizer).
  std::optional<uint64_t> tokenizer_fingerprint;
  // Checksums and token-range checks read every shard once at open; turn off only for speed on
  // data known to be intact. Sizes are always checked.
  bool verify = true;
};

class TokenDataset {
 public:
  explicit TokenDataset(const std::string& dir, const TokenDatasetOptions& options = {});
  static std::shared_ptr<TokenDataset> open(const std::string& dir,
                                            const TokenDatasetOptions& options = {});

  const std::string& dir() const { return dir_; }
  const ShardManifest& manifest() const { return manifest_; }
  const TokenStream& train() const { return train_; }
  const TokenStream& val() const { return val_; }
  int64_t n_vocab() const { return manifest_.n_vocab; }
  int32_t bos_id() const { return manifest_.bos_id; }
  uint64_t tokenizer_fingerprint() const { return manifest_.tokenizer_fingerprint; }

  // The validation set: windows of seq + 1 tokens starting at 0, seq, 2 seq, ... (each validation
  // token after the first is a target exactly once), in order, grouped into batches of `batch`
  // windows; the last batch holds the remaining windows (it may be smaller than `batch`). At most
  // max_batches batches (<= 0: all). The same on every call. Throws kInvalidArgument when batch or
  // seq is not positive or the validation split is shorter than seq + 1 tokens.
  std::vector<Batch> val_batches(int64_t batch, int64_t seq, int64_t max_batches = 0) const;

 private:
  TokenStream open_split(const SplitInfo& split, bool verify) const;

  std::string dir_;
  std::string manifest_path_;
  ShardManifest manifest_;
  TokenStream train_;
  TokenStream val_;
};

// Builds a batch from window starts: window i covers stream tokens [starts[i], starts[i] + seq].
// Shapes: inputs and targets i32 [starts.size(), seq].
Batch make_batch(const TokenStream& stream, const std::vector<int64_t>& starts, int64_t seq);

}  // namespace llmkit::train
