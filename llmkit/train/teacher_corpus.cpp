#include "llmkit/train/teacher_corpus.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <span>
#include <system_error>
#include <vector>

#include "llmkit/base/atomic_file.h"
#include "llmkit/base/error.h"
#include "llmkit/base/progress_bar.h"
#include "llmkit/base/timer.h"
#include "llmkit/infer/sampler.h"
#include "llmkit/infer/session.h"
#include "llmkit/tensor/rng.h"
#include "llmkit/train/teacher.h"

namespace llmkit::train {
namespace {

namespace fs = std::filesystem;

constexpr char kMagic[8] = {'L', 'L', 'M', 'K', 'T', 'C', 'P', '1'};
constexpr int64_t kHeaderBytes = 16;  // magic + u64 run key
// Salts that keep the window draws and the sampler seeds of one seed apart.
constexpr uint64_t kWindowSalt = 0x77696e646f770000ULL;   // "window"
constexpr uint64_t kSamplerSalt = 0x73616d706c650000ULL;  // "sample"

void check_options(const infer::Model& teacher, const TokenDataset& data,
                   const TeacherCorpusOptions& o) {
  const char* p = "teacher corpus: ";
  LLMKIT_CHECK(o.sequences >= 1, p, "sequences must be at least 1, got ", o.sequences);
  LLMKIT_CHECK(o.prompt_tokens >= 0, p, "prompt_tokens must be >= 0, got ", o.prompt_tokens);
  LLMKIT_CHECK(o.length > o.prompt_tokens + 1, p, "length (", o.length,
               ") must exceed prompt_tokens + 1 (", o.prompt_tokens + 1,
               ": BOS and the prompt) so that the teacher samples at least one token");
  LLMKIT_CHECK(o.length <= teacher.config().n_ctx, p, "length ", o.length,
               " exceeds the teacher's context n_ctx ", teacher.config().n_ctx);
  LLMKIT_CHECK(o.prompt_tokens <= data.train().size(), p, "prompt_tokens ", o.prompt_tokens,
               " exceeds the ", data.train().size(), " tokens of the train split of '", data.dir(),
               "'");
  LLMKIT_CHECK(o.temperature >= 0.0f, p, "temperature must be >= 0, got ", o.temperature);
  LLMKIT_CHECK(o.top_k >= 0, p, "top_k must be >= 0 (0: whole vocabulary), got ", o.top_k);
  LLMKIT_CHECK(o.threads >= 1, p, "threads must be at least 1, got ", o.threads);
}

// Identifies the samples a progress file holds: everything a sample depends on except the
// teacher's weights (represented by its path and vocabulary).
uint64_t run_key(const infer::Model& teacher, const std::string& teacher_path,
                 const TokenDataset& data, const TeacherCorpusOptions& o) {
  uint64_t h = fnv1a64(teacher_path.data(), teacher_path.size());
  auto add = [&h](uint64_t v) { h = fnv1a64(&v, sizeof(v), h); };
  add(static_cast<uint64_t>(teacher.config().n_vocab));
  add(data.tokenizer_fingerprint());
  add(static_cast<uint64_t>(data.n_vocab()));
  for (const ShardInfo& s : data.manifest().train.shards) add(s.checksum);
  add(static_cast<uint64_t>(o.length));
  add(static_cast<uint64_t>(o.prompt_tokens));
  uint32_t temperature_bits = 0;
  std::memcpy(&temperature_bits, &o.temperature, sizeof(temperature_bits));
  add(temperature_bits);
  add(static_cast<uint64_t>(o.top_k));
  add(o.seed);
  return h;
}

std::string header_bytes(uint64_t key) {
  std::string s(kMagic, sizeof(kMagic));
  for (int b = 0; b < 8; ++b) s += static_cast<char>((key >> (8 * b)) & 0xff);
  return s;
}

// Opens (creating or continuing) the progress file; returns the complete samples it holds, with
// a torn last sample cut off. Throws for a file of another run.
int64_t open_progress(const std::string& path, uint64_t key, int64_t length) {
  const std::string header = header_bytes(key);
  std::error_code ec;
  const bool exists = fs::is_regular_file(path, ec);
  const int64_t size = exists ? static_cast<int64_t>(fs::file_size(path, ec)) : 0;
  if (!exists || size < kHeaderBytes) {
    write_file_atomic(path, header);  // new, or torn before its header was complete
    return 0;
  }
  std::string head(static_cast<size_t>(kHeaderBytes), '\0');
  std::FILE* f = std::fopen(path.c_str(), "rb");
  LLMKIT_CHECK_CODE(f != nullptr, ErrorCode::kIo, "teacher corpus: cannot open '", path, "'");
  const size_t got = std::fread(head.data(), 1, head.size(), f);
  std::fclose(f);
  LLMKIT_CHECK_CODE(got == head.size(), ErrorCode::kIo, "teacher corpus: cannot read '", path, "'");
  LLMKIT_CHECK(head == header, "teacher corpus: progress file '", path,
               "' belongs to another run (other teacher, data or options); pass the original "
               "options to continue it, or delete it to start over");
  const int64_t sample_bytes = length * 4;
  const int64_t complete = (size - kHeaderBytes) / sample_bytes;
  const int64_t keep = kHeaderBytes + complete * sample_bytes;
  if (keep != size) {
    fs::resize_file(path, static_cast<uintmax_t>(keep), ec);
    LLMKIT_CHECK_CODE(!ec, ErrorCode::kIo, "teacher corpus: cannot cut the torn tail of '", path,
                      "': ", ec.message());
  }
  return complete;
}

// Sample i: BOS, the prompt window of the train split, then teacher tokens up to o.length.
class SampleGenerator {
 public:
  SampleGenerator(std::shared_ptr<const infer::Model> teacher, const TokenDataset& data,
                  const TeacherCorpusOptions& o)
      : data_(data), o_(o), session_(std::move(teacher), session_options(o)) {}

  // Returns the sample; adds the number of sampled tokens to *sampled.
  std::vector<int32_t> generate(int64_t i, int64_t* sampled) {
    std::vector<int32_t> ids;
    ids.reserve(static_cast<size_t>(o_.length));
    ids.push_back(data_.bos_id());
    if (o_.prompt_tokens > 0) {
      const auto windows = static_cast<uint64_t>(data_.train().size() - o_.prompt_tokens + 1);
      const auto start = static_cast<int64_t>(
          Generator::bits(o_.seed ^ kWindowSalt, static_cast<uint64_t>(i)) % windows);
      std::vector<int32_t> prompt = data_.train().read(start, o_.prompt_tokens);
      ids.insert(ids.end(), prompt.begin(), prompt.end());
    }
    infer::SamplerOptions so;
    so.temperature = o_.temperature;
    so.top_k = static_cast<int32_t>(std::min<int64_t>(o_.top_k, data_.n_vocab()));
    so.top_p = 1.0f;
    so.min_p = 0.0f;
    so.seed = Generator::bits(o_.seed ^ kSamplerSalt, static_cast<uint64_t>(i));
    // Only the data's ids are candidates: a padded teacher's extra logits are left out.
    infer::Sampler sampler(so, data_.n_vocab());
    const auto dv = static_cast<size_t>(data_.n_vocab());
    session_.reset();
    std::span<const float> logits = session_.decode(ids);
    while (true) {
      const int32_t t = sampler.sample(logits.first(dv));
      ids.push_back(t);
      ++*sampled;
      if (static_cast<int64_t>(ids.size()) == o_.length) break;
      logits = session_.decode(std::span<const int32_t>(&ids.back(), 1));
    }
    return ids;
  }

 private:
  static infer::SessionOptions session_options(const TeacherCorpusOptions& o) {
    infer::SessionOptions so;
    so.n_ctx = o.length;
    so.n_threads = o.threads;
    return so;
  }

  const TokenDataset& data_;
  const TeacherCorpusOptions& o_;
  infer::Session session_;
};

void append_sample(std::FILE* f, const std::vector<int32_t>& ids, const std::string& path) {
  std::string bytes(ids.size() * 4, '\0');
  for (size_t i = 0; i < ids.size(); ++i) {
    const auto v = static_cast<uint32_t>(ids[i]);
    for (size_t b = 0; b < 4; ++b) bytes[i * 4 + b] = static_cast<char>((v >> (8 * b)) & 0xff);
  }
  const bool ok =
      std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size() && std::fflush(f) == 0;
  LLMKIT_CHECK_CODE(ok, ErrorCode::kIo, "teacher corpus: cannot append to '", path, "'");
}

// Writes the train shards from the first `samples` samples of the progress file.
SplitInfo write_train_split(const std::string& progress, const std::string& out,
                            const TokenDataset& data, int64_t samples, int64_t length) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(progress.c_str(), "rb"),
                                                    &std::fclose);
  LLMKIT_CHECK_CODE(f != nullptr, ErrorCode::kIo, "teacher corpus: cannot open '", progress, "'");
  LLMKIT_CHECK_CODE(std::fseek(f.get(), kHeaderBytes, SEEK_SET) == 0, ErrorCode::kIo,
                    "teacher corpus: cannot read '", progress, "'");
  ShardWriter writer(out, "train", data.manifest().width, data.manifest().shard_tokens);
  std::string bytes(static_cast<size_t>(length) * 4, '\0');
  std::vector<int32_t> ids(static_cast<size_t>(length));
  for (int64_t s = 0; s < samples; ++s) {
    LLMKIT_CHECK_CODE(std::fread(bytes.data(), 1, bytes.size(), f.get()) == bytes.size(),
                      ErrorCode::kIo, "teacher corpus: cannot read sample ", s, " of '", progress,
                      "'");
    for (size_t i = 0; i < ids.size(); ++i) {
      uint32_t v = 0;
      for (size_t b = 0; b < 4; ++b)
        v |= uint32_t{static_cast<uint8_t>(bytes[i * 4 + b])} << (8 * b);
      LLMKIT_CHECK_CODE(v < static_cast<uint64_t>(data.n_vocab()), ErrorCode::kCorruptData,
                        "teacher corpus: sample ", s, " of '", progress, "' holds id ", v,
                        " outside the vocabulary; delete the file and run again");
      ids[i] = static_cast<int32_t>(v);
    }
    writer.add_document(ids[0], std::span<const int32_t>(ids).subspan(1));
  }
  return writer.finish();
}

// Copies the source's val shards to out/val_NNN.bin (bytes and checksums unchanged).
SplitInfo copy_val_split(const TokenDataset& data, const std::string& out) {
  SplitInfo val = data.manifest().val;
  const auto width = static_cast<int64_t>(data.manifest().width);
  for (size_t k = 0; k < val.shards.size(); ++k) {
    ShardInfo& shard = val.shards[k];
    const std::string src = (fs::path(data.dir()) / shard.file).string();
    const std::string bytes = read_file(src);
    LLMKIT_CHECK_CODE(static_cast<int64_t>(bytes.size()) == shard.tokens * width &&
                          fnv1a64(bytes.data(), bytes.size()) == shard.checksum,
                      ErrorCode::kCorruptData, "teacher corpus: validation shard '", src,
                      "' does not match its manifest (size or checksum); prepare the data again");
    char name[64];
    std::snprintf(name, sizeof(name), "val_%03zu.bin", k);
    shard.file = name;
    write_file_atomic((fs::path(out) / name).string(), bytes);
  }
  return val;
}

bool same_folder(const std::string& a, const std::string& b) {
  std::error_code ea, eb;
  const fs::path ca = fs::weakly_canonical(a, ea), cb = fs::weakly_canonical(b, eb);
  return !ea && !eb && ca == cb;
}

void prepare_output(const std::string& out) {
  std::error_code ec;
  const fs::file_status st = fs::status(out, ec);
  LLMKIT_CHECK(!fs::exists(st) || fs::is_directory(st), "teacher corpus: output '", out,
               "' exists and is not a directory");
  fs::create_directories(out, ec);
  LLMKIT_CHECK_CODE(!ec, ErrorCode::kIo, "teacher corpus: cannot create output folder '", out,
                    "': ", ec.message());
}

// Called once the progress file is accepted: the folder no longer holds a finished corpus.
void remove_manifest(const std::string& out) {
  std::error_code ec;
  fs::remove(fs::path(out) / "manifest.json", ec);
  LLMKIT_CHECK_CODE(!ec, ErrorCode::kIo, "teacher corpus: cannot remove the old manifest in '", out,
                    "': ", ec.message());
}

}  // namespace

TeacherCorpusSummary generate_teacher_corpus(std::shared_ptr<const infer::Model> teacher,
                                             const std::string& teacher_path,
                                             const TokenDataset& data, const std::string& out,
                                             const TeacherCorpusOptions& options,
                                             const std::atomic<bool>* stop) {
  LLMKIT_CHECK(teacher != nullptr, "teacher corpus: no teacher model given");
  LLMKIT_CHECK(!out.empty(), "teacher corpus: no output folder given");
  check_options(*teacher, data, options);
  check_same_vocabulary(*teacher, teacher_path, data);
  LLMKIT_CHECK(!same_folder(out, data.dir()), "teacher corpus: output folder '", out,
               "' is the data folder; choose another folder");
  Timer timer;
  prepare_output(out);
  const std::string progress = (fs::path(out) / "progress.bin").string();
  const uint64_t key = run_key(*teacher, teacher_path, data, options);
  int64_t done = std::min(open_progress(progress, key, options.length), options.sequences);
  remove_manifest(out);

  TeacherCorpusSummary summary;
  if (done < options.sequences) {
    SampleGenerator gen(teacher, data, options);
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(progress.c_str(), "ab"),
                                                      &std::fclose);
    LLMKIT_CHECK_CODE(f != nullptr, ErrorCode::kIo, "teacher corpus: cannot open '", progress,
                      "' for appending");
    std::unique_ptr<ProgressBar> bar;
    if (options.progress) {
      bar = std::make_unique<ProgressBar>("teacher", options.sequences, "sample", done);
    }
    for (; done < options.sequences; ++done) {
      if (stop != nullptr && stop->load()) {
        summary.interrupted = true;
        break;
      }
      append_sample(f.get(), gen.generate(done, &summary.generated_tokens), progress);
      if (bar) {
        const double s = timer.seconds();
        bar->update(
            done + 1,
            str_cat(static_cast<int64_t>(s > 0 ? summary.generated_tokens / s : 0.0), " tok/s"));
      }
    }
    if (bar) bar->finish();
  }
  summary.samples = done;
  if (summary.interrupted) {
    summary.seconds = timer.seconds();
    return summary;
  }

  ShardManifest m = data.manifest();
  m.train = write_train_split(progress, out, data, done, options.length);
  m.val = copy_val_split(data, out);
  m.skipped_documents = 0;
  m.sources = {{"teacher:" + teacher_path, "train", 0, m.train.tokens}};
  write_file_atomic((fs::path(out) / "manifest.json").string(), m.to_json());
  remove_stale_shards(out, m);
  std::error_code ec;
  fs::remove(progress, ec);
  summary.seconds = timer.seconds();
  return summary;
}

}  // namespace llmkit::train
