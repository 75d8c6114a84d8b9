#include "llmkit/tokenizer/trainer.h"

#include <sentencepiece_trainer.h>

#include <filesystem>
#include <fstream>
#include <iomanip>
#include <random>
#include <set>
#include <sstream>
#include <unordered_map>

#include "llmkit/base/atomic_file.h"
#include "llmkit/base/error.h"
#include "llmkit/base/logging.h"
#include "llmkit/tokenizer/sentencepiece_tokenizer.h"

namespace llmkit::tokenizer {
namespace {

constexpr const char* kSpecialPieces[4] = {"<pad>", "<eos>", "<bos>", "<unk>"};  // ids 0..3

// Hands the sampled lines to sentencepiece's trainer.
class VectorSentenceIterator : public sentencepiece::SentenceIterator {
 public:
  explicit VectorSentenceIterator(const std::vector<std::string>& lines) : lines_(lines) {}
  bool done() const override { return index_ >= lines_.size(); }
  void Next() override { ++index_; }
  const std::string& value() const override { return lines_[index_]; }
  sentencepiece::util::Status status() const override { return sentencepiece::util::Status(); }

 private:
  const std::vector<std::string>& lines_;
  size_t index_ = 0;
};

// Uniform sample of at most `cap` lines (Vitter's algorithm R). mt19937_64's output sequence is
// fixed by the standard, and the index is drawn with our own reduction (std's distributions differ
// between library implementations), so the sample is the same everywhere for one seed.
class LineSampler {
 public:
  LineSampler(int64_t cap, uint64_t seed) : cap_(cap), rng_(seed) {}

  void add(std::string line) {
    ++seen_;
    if (static_cast<int64_t>(sample_.size()) < cap_) {
      sample_.push_back(std::move(line));
      return;
    }
    uint64_t j = rng_() % static_cast<uint64_t>(seen_);  // bias < seen / 2^64: negligible
    if (j < static_cast<uint64_t>(cap_)) sample_[j] = std::move(line);
  }

  int64_t seen() const { return seen_; }
  const std::vector<std::string>& sample() const { return sample_; }

 private:
  int64_t cap_;
  int64_t seen_ = 0;
  std::mt19937_64 rng_;
  std::vector<std::string> sample_;
};

void validate(const TokenizerTrainOptions& o) {
  LLMKIT_CHECK(!o.inputs.empty(), "tokenizer training: no input files given");
  int reserved = 4 + static_cast<int>(o.user_defined_symbols.size()) + (o.byte_fallback ? 256 : 0);
  LLMKIT_CHECK(o.vocab_size > reserved, "tokenizer training: vocab size ", o.vocab_size,
               " is too small: the ", reserved, " reserved pieces (4 special, ",
               o.user_defined_symbols.size(), " user-defined", o.byte_fallback ? ", 256 byte" : "",
               ") leave no room for learned pieces; use a vocab size well above ", reserved);
  LLMKIT_CHECK(o.character_coverage >= 0.98 && o.character_coverage <= 1.0,
               "tokenizer training: character coverage ", o.character_coverage,
               " is outside [0.98, 1]");
  LLMKIT_CHECK(o.input_sentence_size > 0, "tokenizer training: input sentence size ",
               o.input_sentence_size, " must be positive");
  LLMKIT_CHECK(o.max_sentence_length >= 10 && o.max_sentence_length <= (1 << 30),
               "tokenizer training: max sentence length ", o.max_sentence_length,
               " is outside [10, 2^30]");
  LLMKIT_CHECK(o.num_threads >= 1 && o.num_threads <= 128, "tokenizer training: thread count ",
               o.num_threads, " is outside [1, 128]");
  std::set<std::string> seen(std::begin(kSpecialPieces), std::end(kSpecialPieces));
  for (const std::string& s : o.user_defined_symbols) {
    bool ok = !s.empty() && s.find_first_of(", \t\r\n") == std::string::npos;
    LLMKIT_CHECK(ok, "tokenizer training: user-defined symbol '", s,
                 "' must be non-empty and contain no ',' or whitespace");
    LLMKIT_CHECK(seen.insert(s).second, "tokenizer training: user-defined symbol '", s,
                 "' is given twice or clashes with a special piece");
  }
}

// Reads every input line by line into the sampler; errors name the file.
void read_inputs(const TokenizerTrainOptions& o, LineSampler* sampler) {
  int64_t too_long = 0;
  for (const std::string& path : o.inputs) {
    std::error_code ec;
    LLMKIT_CHECK_CODE(std::filesystem::exists(path, ec), ErrorCode::kNotFound,
                      "tokenizer training input '", path, "' does not exist");
    LLMKIT_CHECK(std::filesystem::is_regular_file(path, ec), "tokenizer training input '", path,
                 "' is not a regular file");
    std::ifstream in(path, std::ios::binary);
    LLMKIT_CHECK_CODE(in.good(), ErrorCode::kIo, "cannot open tokenizer training input '", path,
                      "'");
    int64_t lines = 0;
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) continue;
      ++lines;
      if (static_cast<int64_t>(line.size()) > o.max_sentence_length) {
        ++too_long;
        continue;
      }
      sampler->add(std::move(line));
    }
    LLMKIT_CHECK_CODE(!in.bad(), ErrorCode::kIo, "read of tokenizer training input '", path,
                      "' failed");
    LLMKIT_CHECK(lines > 0, "tokenizer training input '", path,
                 "' is empty (no non-empty lines): remove it or give a file with text");
  }
  if (too_long > 0) {
    LLMKIT_LOG(kWarn, "tokenizer training: skipped ", too_long, " lines longer than ",
               o.max_sentence_length, " bytes");
  }
  LLMKIT_CHECK(sampler->seen() > 0, "tokenizer training: every line of the inputs is longer than ",
               o.max_sentence_length, " bytes");
}

std::string fmt_double(double v) {
  std::ostringstream out;
  out << std::setprecision(17) << v;
  return out.str();
}

int sentencepiece_log_level() {
  switch (log_level()) {
    case LogLevel::kDebug:
      return 0;  // INFO
    case LogLevel::kInfo:
    case LogLevel::kWarn:
      return 1;  // WARNING
    default:
      return 2;  // ERROR
  }
}

std::unordered_map<std::string, std::string> trainer_args(const TokenizerTrainOptions& o) {
  std::unordered_map<std::string, std::string> a;
  a["model_type"] = tokenizer_model_type_name(o.type);
  a["vocab_size"] = std::to_string(o.vocab_size);
  a["character_coverage"] = fmt_double(o.character_coverage);
  a["byte_fallback"] = o.byte_fallback ? "true" : "false";
  a["split_digits"] = o.split_digits ? "true" : "false";
  if (!o.user_defined_symbols.empty()) {
    std::string joined;
    for (const std::string& s : o.user_defined_symbols) joined += (joined.empty() ? "" : ",") + s;
    a["user_defined_symbols"] = joined;
  }
  // Gemma's id order.
  a["pad_id"] = "0";
  a["eos_id"] = "1";
  a["bos_id"] = "2";
  a["unk_id"] = "3";
  a["pad_piece"] = kSpecialPieces[0];
  a["eos_piece"] = kSpecialPieces[1];
  a["bos_piece"] = kSpecialPieces[2];
  a["unk_piece"] = kSpecialPieces[3];
  // Lossless text handling: no Unicode normalization, no dummy prefix, whitespace kept.
  a["normalization_rule_name"] = "identity";
  a["add_dummy_prefix"] = "false";
  a["remove_extra_whitespaces"] = "false";
  a["allow_whitespace_only_pieces"] = "true";
  // We sample the input ourselves (seeded); sentencepiece gets every line we pass.
  a["input_sentence_size"] = "0";
  a["shuffle_input_sentence"] = "false";
  a["max_sentence_length"] = std::to_string(o.max_sentence_length);
  a["num_threads"] = std::to_string(o.num_threads);
  a["minloglevel"] = std::to_string(sentencepiece_log_level());
  return a;
}

}  // namespace

TokenizerModelType parse_tokenizer_model_type(const std::string& name) {
  if (name == "bpe") return TokenizerModelType::kBpe;
  if (name == "unigram") return TokenizerModelType::kUnigram;
  throw_error(ErrorCode::kInvalidArgument,
              str_cat("unknown tokenizer type '", name, "' (expected bpe or unigram)"));
}

const char* tokenizer_model_type_name(TokenizerModelType type) {
  return type == TokenizerModelType::kBpe ? "bpe" : "unigram";
}

TokenizerTrainResult train_sentencepiece(const TokenizerTrainOptions& options,
                                         const std::string& out_model_path) {
  validate(options);
  LineSampler sampler(options.input_sentence_size, options.seed);
  read_inputs(options, &sampler);

  VectorSentenceIterator lines(sampler.sample());
  std::string serialized;
  auto status =
      sentencepiece::SentencePieceTrainer::Train(trainer_args(options), &lines, &serialized);
  LLMKIT_CHECK(status.ok(), "tokenizer training (", tokenizer_model_type_name(options.type),
               ", vocab size ", options.vocab_size, ", ", sampler.sample().size(),
               " lines) failed: ", status.message());

  // Load before writing: a model that does not load is never written.
  SentencePieceTokenizer tok = SentencePieceTokenizer::from_serialized(serialized, out_model_path);
  tok.save(out_model_path);

  TokenizerTrainResult result;
  result.lines_read = sampler.seen();
  result.lines_used = static_cast<int64_t>(sampler.sample().size());
  result.n_vocab = tok.n_vocab();
  result.fingerprint = tok.fingerprint();
  return result;
}

}  // namespace llmkit::tokenizer
