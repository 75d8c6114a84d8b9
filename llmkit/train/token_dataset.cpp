#include "llmkit/train/token_dataset.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "llmkit/base/atomic_file.h"
#include "llmkit/base/error.h"

namespace llmkit::train {
namespace {

namespace fs = std::filesystem;

// Little-endian token i of a shard's bytes (explicit byte order: correct on any host and free of
// alignment assumptions; compilers turn it into one load).
inline int32_t load_token(const uint8_t* p, TokenWidth width, int64_t i) {
  if (width == TokenWidth::kU16) {
    const uint8_t* q = p + 2 * i;
    return static_cast<int32_t>(q[0] | (uint32_t{q[1]} << 8));
  }
  const uint8_t* q = p + 4 * i;
  return static_cast<int32_t>(q[0] | (uint32_t{q[1]} << 8) | (uint32_t{q[2]} << 16) |
                              (uint32_t{q[3]} << 24));
}

const char* kRerun = "re-run `llmkit data prepare` to rebuild the shard folder";

}  // namespace

int32_t TokenStream::at(int64_t i) const {
  int32_t v = 0;
  read(i, 1, &v);
  return v;
}

void TokenStream::read(int64_t offset, int64_t count, int32_t* out) const {
  LLMKIT_CHECK_CODE(offset >= 0 && count >= 0 && offset <= size_ - count, ErrorCode::kOutOfRange,
                    "TokenStream::read: tokens [", offset, ", ", offset + count,
                    ") are outside the stream of ", size_, " tokens");
  if (count == 0) return;
  // The last piece whose begin <= offset.
  auto it = std::upper_bound(pieces_.begin(), pieces_.end(), offset,
                             [](int64_t off, const Piece& p) { return off < p.begin; });
  size_t k = static_cast<size_t>(it - pieces_.begin()) - 1;
  while (count > 0) {
    const Piece& p = pieces_[k];
    int64_t local = offset - p.begin;
    int64_t n = std::min(count, p.tokens - local);
    const uint8_t* bytes = p.file->data();
    for (int64_t i = 0; i < n; ++i) out[i] = load_token(bytes, width_, local + i);
    out += n;
    offset += n;
    count -= n;
    ++k;
  }
}

std::vector<int32_t> TokenStream::read(int64_t offset, int64_t count) const {
  LLMKIT_CHECK_CODE(count >= 0, ErrorCode::kOutOfRange, "TokenStream::read: negative count ",
                    count);
  std::vector<int32_t> out(static_cast<size_t>(count));
  read(offset, count, out.data());
  return out;
}

TokenDataset::TokenDataset(const std::string& dir, const TokenDatasetOptions& options)
    : dir_(dir), manifest_path_((fs::path(dir) / "manifest.json").string()) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw_error(ErrorCode::kNotFound,
                str_cat("token shard folder '", dir,
                        "' does not exist; create it with `llmkit data prepare --out ", dir, "`"));
  }
  if (!fs::exists(manifest_path_, ec)) {
    throw_error(ErrorCode::kNotFound, str_cat("'", manifest_path_, "' not found: '", dir,
                                              "' is not a complete token shard folder; ", kRerun));
  }
  manifest_ = ShardManifest::from_json(read_file(manifest_path_), manifest_path_);
  if (options.tokenizer_fingerprint &&
      *options.tokenizer_fingerprint != manifest_.tokenizer_fingerprint) {
    throw_error(ErrorCode::kInvalidArgument,
                str_cat("the shards in '", dir, "' were made with tokenizer fingerprint ",
                        hex64(manifest_.tokenizer_fingerprint), " ('", manifest_.tokenizer_path,
                        "', per '", manifest_path_, "') but the tokenizer in use has fingerprint ",
                        hex64(*options.tokenizer_fingerprint),
                        "; prepare the data again with this tokenizer"));
  }
  train_ = open_split(manifest_.train, options.verify);
  val_ = open_split(manifest_.val, options.verify);
}

std::shared_ptr<TokenDataset> TokenDataset::open(const std::string& dir,
                                                 const TokenDatasetOptions& options) {
  return std::make_shared<TokenDataset>(dir, options);
}

TokenStream TokenDataset::open_split(const SplitInfo& split, bool verify) const {
  TokenStream s;
  s.width_ = manifest_.width;
  s.documents_ = split.documents;
  const int64_t w = static_cast<int64_t>(manifest_.width);
  for (const ShardInfo& info : split.shards) {
    std::string path = (fs::path(dir_) / info.file).string();
    std::error_code ec;
    if (!fs::exists(path, ec)) {
      throw_error(ErrorCode::kNotFound, str_cat("token shard '", path, "' listed in '",
                                                manifest_path_, "' is missing; ", kRerun));
    }
    auto file = std::make_shared<MappedFile>(path);
    const int64_t want = info.tokens * w;
    if (static_cast<int64_t>(file->size()) != want) {
      throw_error(ErrorCode::kCorruptData,
                  str_cat("token shard '", path, "' has ", file->size(), " bytes but '",
                          manifest_path_, "' lists ", info.tokens, " tokens of ", w, " bytes (",
                          want, " bytes): the shard is ",
                          static_cast<int64_t>(file->size()) < want ? "truncated" : "too long",
                          "; ", kRerun));
    }
    if (verify) {
      uint64_t sum = fnv1a64(file->data(), file->size());
      if (sum != info.checksum) {
        throw_error(
            ErrorCode::kCorruptData,
            str_cat("token shard '", path, "' is corrupt: its FNV-1a 64 checksum is ", hex64(sum),
                    " but '", manifest_path_, "' records ", hex64(info.checksum), "; ", kRerun));
      }
      for (int64_t i = 0; i < info.tokens; ++i) {
        int32_t id = load_token(file->data(), manifest_.width, i);
        if (id < 0 || id >= manifest_.n_vocab) {
          throw_error(
              ErrorCode::kCorruptData,
              str_cat("token shard '", path, "' holds id ", static_cast<uint32_t>(id), " at token ",
                      i, ", outside the vocabulary of ", manifest_.n_vocab, "; ", kRerun));
        }
      }
    }
    s.pieces_.push_back({std::move(file), s.size_, info.tokens});
    s.size_ += info.tokens;
  }
  return s;
}

Batch make_batch(const TokenStream& stream, const std::vector<int64_t>& starts, int64_t seq) {
  const auto b = static_cast<int64_t>(starts.size());
  LLMKIT_CHECK(b > 0 && seq > 0, "make_batch: need at least one window of at least one token, got ",
               b, " windows of seq ", seq);
  Batch out;
  out.inputs = Tensor::uninitialized({b, seq}, DType::kI32);
  out.targets = Tensor::uninitialized({b, seq}, DType::kI32);
  int32_t* in = out.inputs.data<int32_t>();
  int32_t* tg = out.targets.data<int32_t>();
  std::vector<int32_t> window(static_cast<size_t>(seq + 1));
  for (int64_t i = 0; i < b; ++i) {
    stream.read(starts[i], seq + 1, window.data());
    std::copy(window.begin(), window.end() - 1, in + i * seq);
    std::copy(window.begin() + 1, window.end(), tg + i * seq);
  }
  return out;
}

std::vector<Batch> TokenDataset::val_batches(int64_t batch, int64_t seq,
                                             int64_t max_batches) const {
  LLMKIT_CHECK(batch > 0, "val_batches: batch must be positive, got ", batch);
  LLMKIT_CHECK(seq > 0, "val_batches: seq must be positive, got ", seq);
  const int64_t n = val_.size();
  LLMKIT_CHECK(n >= seq + 1, "the validation split of '", dir_, "' has ", n,
               " tokens, fewer than seq + 1 = ", seq + 1,
               "; lower --seq or prepare the data with a larger --val-fraction");
  // Window k covers [k seq, k seq + seq]; it fits while k seq + seq + 1 <= n.
  const int64_t windows = (n - 1) / seq;
  std::vector<Batch> out;
  for (int64_t first = 0; first < windows; first += batch) {
    if (max_batches > 0 && static_cast<int64_t>(out.size()) >= max_batches) break;
    std::vector<int64_t> starts;
    for (int64_t k = first; k < std::min(windows, first + batch); ++k) starts.push_back(k * seq);
    out.push_back(make_batch(val_, starts, seq));
  }
  return out;
}

}  // namespace llmkit::train
