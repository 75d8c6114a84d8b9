#include "llmkit/train/token_shards.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <system_error>
#include <tuple>

#include "llmkit/base/atomic_file.h"
#include "llmkit/base/context.h"
#include "llmkit/base/error.h"
#include "llmkit/base/progress_bar.h"
#include "llmkit/base/timer.h"
#include "llmkit/tokenizer/sentencepiece_tokenizer.h"

namespace llmkit::train {
namespace {

namespace fs = std::filesystem;

// Work is encoded in groups of documents: the group's texts are read, encoded in parallel and
// appended in path order. A group ends after this many bytes (bounds memory) or documents.
constexpr int64_t kGroupBytes = int64_t{2} << 20;
constexpr size_t kGroupDocuments = 256;

bool is_blank(const std::string& text) {
  return text.find_first_not_of(" \t\n\r\f\v") == std::string::npos;
}

std::string describe_inputs(const std::vector<std::string>& inputs) {
  std::string s;
  for (size_t i = 0; i < inputs.size() && i < 4; ++i) s += (i ? ", '" : "'") + inputs[i] + "'";
  if (inputs.size() > 4) s += str_cat(" and ", inputs.size() - 4, " more");
  return s;
}

// splitmix64's finaliser: spreads FNV's weak high bits over the whole word.
uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

enum class Split { kTrain, kVal, kSkipped };

struct DocPlan {
  Split split = Split::kSkipped;
  int64_t bytes = 0;
  uint64_t content_hash = 0;  // to notice a file that changes between the two passes
  int64_t tokens = 0;         // BOS included
};

void check_options(const PrepareOptions& o) {
  LLMKIT_CHECK(o.val_fraction > 0.0 && o.val_fraction < 1.0,
               "data prepare: --val-fraction must be between 0 and 1 (exclusive), got ",
               o.val_fraction);
  LLMKIT_CHECK(o.shard_tokens > 0, "data prepare: shard_tokens must be positive, got ",
               o.shard_tokens);
  LLMKIT_CHECK(!o.out.empty(), "data prepare: no output folder given (--out)");
}

// Creates the output folder and removes the old manifest (the first write of a new run).
void open_output(const std::string& out) {
  std::error_code ec;
  fs::file_status st = fs::status(out, ec);
  if (fs::exists(st) && !fs::is_directory(st)) {
    throw_error(ErrorCode::kInvalidArgument,
                str_cat("data prepare: output '", out, "' exists and is not a directory"));
  }
  fs::create_directories(out, ec);
  if (ec) {
    throw_error(ErrorCode::kIo,
                str_cat("data prepare: cannot create output folder '", out, "': ", ec.message()));
  }
  fs::remove(fs::path(out) / "manifest.json", ec);
  if (ec) {
    throw_error(ErrorCode::kIo, str_cat("data prepare: cannot remove the old manifest in '", out,
                                        "': ", ec.message()));
  }
}

}  // namespace

std::vector<DocumentSource> find_documents(const std::vector<std::string>& inputs) {
  LLMKIT_CHECK(!inputs.empty(), "data prepare: no input files or directories given (--input)");
  // Keyed by canonical path so one file reached twice is one document; on a tie the smaller
  // (path, key) wins, which keeps the result independent of the input order.
  std::map<std::string, DocumentSource> found;
  auto add = [&](const fs::path& file, std::string key) {
    std::error_code ec;
    std::string canon = fs::weakly_canonical(file, ec).string();
    if (ec) canon = file.lexically_normal().string();
    DocumentSource doc{file.lexically_normal().string(), std::move(key)};
    auto [it, inserted] = found.emplace(canon, doc);
    if (!inserted && std::tie(doc.path, doc.key) < std::tie(it->second.path, it->second.key)) {
      it->second = doc;
    }
  };
  for (const std::string& input : inputs) {
    std::error_code ec;
    fs::file_status st = fs::status(input, ec);
    if (!fs::exists(st)) {
      throw_error(ErrorCode::kNotFound,
                  str_cat("data prepare: input '", input, "' does not exist"));
    }
    if (fs::is_regular_file(st)) {
      add(input, fs::path(input).filename().string());
      continue;
    }
    if (!fs::is_directory(st)) {
      throw_error(ErrorCode::kInvalidArgument,
                  str_cat("data prepare: input '", input, "' is not a file or a directory"));
    }
    int64_t n_txt = 0;
    fs::recursive_directory_iterator it(input, fs::directory_options::skip_permission_denied, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      const fs::path& p = it->path();
      std::error_code fe;
      if (p.extension() == ".txt" && fs::is_regular_file(p, fe)) {
        ++n_txt;
        add(p, p.lexically_relative(input).generic_string());
      }
    }
    if (ec) {
      throw_error(ErrorCode::kIo,
                  str_cat("data prepare: cannot list directory '", input, "': ", ec.message()));
    }
    if (n_txt == 0) {
      throw_error(ErrorCode::kInvalidArgument,
                  str_cat("data prepare: directory '", input,
                          "' contains no .txt files (documents are UTF-8 .txt files)"));
    }
  }
  std::vector<DocumentSource> docs;
  docs.reserve(found.size());
  for (auto& [canon, doc] : found) docs.push_back(std::move(doc));
  std::sort(docs.begin(), docs.end(), [](const DocumentSource& a, const DocumentSource& b) {
    return std::tie(a.path, a.key) < std::tie(b.path, b.key);
  });
  return docs;
}

bool is_validation_document(const std::string& key, const std::string& text, uint64_t seed,
                            double val_fraction) {
  uint8_t seed_bytes[8];
  for (int i = 0; i < 8; ++i) seed_bytes[i] = static_cast<uint8_t>(seed >> (8 * i));
  uint64_t h = fnv1a64(seed_bytes, sizeof(seed_bytes));
  h = fnv1a64(key.data(), key.size(), h);
  const uint8_t separator = 0;  // keeps ("ab", "c") and ("a", "bc") apart
  h = fnv1a64(&separator, 1, h);
  h = fnv1a64(text.data(), text.size(), h);
  // The top 53 bits as a uniform double in [0, 1).
  double u = static_cast<double>(mix64(h) >> 11) * 0x1.0p-53;
  return u < val_fraction;
}

PrepareSummary prepare_data(const PrepareOptions& options) {
  check_options(options);
  LLMKIT_CHECK(!options.tokenizer.empty(), "data prepare: no tokenizer given (--tokenizer)");
  std::error_code ec;
  if (!fs::is_regular_file(options.tokenizer, ec)) {
    throw_error(ErrorCode::kNotFound, str_cat("data prepare: tokenizer '", options.tokenizer,
                                              "' does not exist or is not a file"));
  }
  tokenizer::SentencePieceTokenizer tok = [&] {
    try {
      return tokenizer::SentencePieceTokenizer::load(options.tokenizer);
    } catch (const Error& e) {
      throw Error(e.code(), str_cat("data prepare: cannot load tokenizer '", options.tokenizer,
                                    "': ", e.what()));
    }
  }();
  return prepare_data(options, tok);
}

PrepareSummary prepare_data(const PrepareOptions& options, const tokenizer::Tokenizer& tok) {
  check_options(options);
  Timer timer;
  const int32_t n_vocab = tok.n_vocab();
  const int32_t bos = tok.bos_id();
  LLMKIT_CHECK(n_vocab > 0, "data prepare: tokenizer '", options.tokenizer,
               "' has an empty vocabulary");
  LLMKIT_CHECK(bos >= 0 && bos < n_vocab, "data prepare: tokenizer '", options.tokenizer,
               "' has no BOS token; documents are separated by BOS");

  // Pass 1: read every document, decide its split, check that both splits get documents. Nothing
  // is written before this succeeds.
  std::vector<DocumentSource> docs = find_documents(options.inputs);
  std::vector<DocPlan> plan(docs.size());
  int64_t n_train = 0, n_val = 0, total_bytes = 0;
  for (size_t i = 0; i < docs.size(); ++i) {
    std::string text = read_file(docs[i].path);
    plan[i].bytes = static_cast<int64_t>(text.size());
    plan[i].content_hash = fnv1a64(text.data(), text.size());
    if (is_blank(text)) continue;
    bool val = is_validation_document(docs[i].key, text, options.seed, options.val_fraction);
    plan[i].split = val ? Split::kVal : Split::kTrain;
    (val ? n_val : n_train) += 1;
    total_bytes += plan[i].bytes;
  }
  const std::string where = describe_inputs(options.inputs);
  const int64_t n_docs = n_train + n_val;
  if (n_docs == 0) {
    throw_error(ErrorCode::kInvalidArgument,
                str_cat("data prepare: the corpus ", where, " is empty: its ", docs.size(),
                        " file(s) contain no text"));
  }
  if (n_val == 0 || n_train == 0) {
    bool no_val = n_val == 0;
    throw_error(ErrorCode::kInvalidArgument,
                str_cat("data prepare: the ", no_val ? "validation" : "training",
                        " split would be empty: none of the ", n_docs, " document(s) in ", where,
                        " fell into it at --val-fraction ", options.val_fraction, " (seed ",
                        options.seed, "); ", no_val ? "raise" : "lower",
                        " --val-fraction, change --seed, or add documents (each file is one "
                        "document)"));
  }

  // Pass 2: encode and write.
  open_output(options.out);
  const TokenWidth width = token_width_for_vocab(n_vocab);
  ShardWriter train(options.out, "train", width, options.shard_tokens);
  ShardWriter val(options.out, "val", width, options.shard_tokens);
  std::unique_ptr<ProgressBar> bar;
  if (options.progress) bar = std::make_unique<ProgressBar>("prepare", total_bytes, "B");

  int64_t bytes_done = 0;
  size_t next = 0;
  while (next < docs.size()) {
    // Gather a group of documents with text.
    std::vector<size_t> group;
    std::vector<std::string> texts;
    int64_t group_bytes = 0;
    for (; next < docs.size() && group.size() < kGroupDocuments && group_bytes < kGroupBytes;
         ++next) {
      if (plan[next].split == Split::kSkipped) continue;
      texts.push_back(read_file(docs[next].path));
      const std::string& t = texts.back();
      LLMKIT_CHECK_CODE(fnv1a64(t.data(), t.size()) == plan[next].content_hash, ErrorCode::kIo,
                        "data prepare: '", docs[next].path,
                        "' changed while it was being prepared; run again");
      group.push_back(next);
      group_bytes += static_cast<int64_t>(t.size());
    }
    std::vector<std::vector<int32_t>> ids(group.size());
    // Documents differ widely in length, so workers take the next document from a shared
    // counter instead of a fixed contiguous range (Tokenizer::encode is thread-safe).
    std::atomic<size_t> next_doc{0};
    const auto workers = static_cast<int64_t>(
        std::min<size_t>(group.size(), static_cast<size_t>(current_context().n_threads())));
    parallel_for(workers, [&](int64_t, int64_t) {
      for (size_t g; (g = next_doc.fetch_add(1)) < group.size();) ids[g] = tok.encode(texts[g]);
    });
    for (size_t g = 0; g < group.size(); ++g) {
      for (int32_t id : ids[g]) {
        LLMKIT_CHECK_CODE(id >= 0 && id < n_vocab, ErrorCode::kInternal,
                          "data prepare: tokenizer produced id ", id, " outside [0, ", n_vocab,
                          ") for '", docs[group[g]].path, "'");
      }
      DocPlan& p = plan[group[g]];
      (p.split == Split::kVal ? val : train).add_document(bos, ids[g]);
      p.tokens = static_cast<int64_t>(ids[g].size()) + 1;  // + BOS
      bytes_done += p.bytes;
    }
    if (bar) bar->update(bytes_done);
  }
  if (bar) bar->finish();

  ShardManifest m;
  m.width = width;
  m.n_vocab = n_vocab;
  m.bos_id = bos;
  m.tokenizer_path = options.tokenizer;
  m.tokenizer_fingerprint = tok.fingerprint();
  m.seed = options.seed;
  m.val_fraction = options.val_fraction;
  m.shard_tokens = options.shard_tokens;
  m.train = train.finish();
  m.val = val.finish();
  for (size_t i = 0; i < docs.size(); ++i) {
    const DocPlan& p = plan[i];
    const char* split = p.split == Split::kTrain ? "train"
                        : p.split == Split::kVal ? "val"
                                                 : "skipped";
    m.sources.push_back({docs[i].path, split, p.bytes, p.tokens});
    m.skipped_documents += p.split == Split::kSkipped;
  }
  write_file_atomic((fs::path(options.out) / "manifest.json").string(), m.to_json());
  remove_stale_shards(options.out, m);

  PrepareSummary summary;
  summary.manifest = std::move(m);
  summary.bytes = total_bytes;
  summary.seconds = timer.seconds();
  return summary;
}

}  // namespace llmkit::train
