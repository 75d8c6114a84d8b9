// Tokenizer training: a SentencePiece BPE or unigram model learned from text files, laid out the
// way Gemma's tokenizer is:
//   ids 0 <pad>, 1 <eos>, 2 <bos>, 3 <unk>, then the user-defined symbols (by default the chat
//   tokens <start_of_turn>, <end_of_turn>, each always one token), then with byte_fallback the 256
//   byte pieces <0x00>..<0xFF>, then the learned pieces;
//   identity normalization, no dummy-prefix space, whitespace kept as is (runs of spaces, leading
//   and trailing spaces survive: decode(encode(x)) == x for any valid UTF-8 x without U+2581 '▁',
//   SentencePiece's space marker, which decodes to a space);
//   digits split into single-digit pieces; byte fallback for characters outside the vocabulary.
//
// Input: every file is read line by line (one line = one training sentence; a trailing '\r' is
// dropped, empty lines are skipped). When the files hold more than input_sentence_size lines, a
// uniform sample of that many lines is drawn (reservoir sampling with seed).
//
// Determinism: for the same input files and options (num_threads included) the model file is
// byte-identical across runs: the sample depends only on seed, sentencepiece's own input
// sampling is switched off, and its trainers draw no random numbers otherwise. The thread count
// matters: it is recorded in the model, and the unigram trainer sums per-thread statistics, so
// its piece scores can differ in the last bits between thread counts.
//
// Thread safety: trainings may run concurrently, but they share sentencepiece's process-wide log
// level, which each training sets from LLMKIT_LOG (its INFO lines show only at debug level).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace llmkit::tokenizer {

enum class TokenizerModelType { kBpe, kUnigram };

// "bpe" / "unigram" <-> enum; parse throws Error(kInvalidArgument) listing the valid names.
TokenizerModelType parse_tokenizer_model_type(const std::string& name);
const char* tokenizer_model_type_name(TokenizerModelType type);

struct TokenizerTrainOptions {
  std::vector<std::string> inputs;  // text files, one sentence per line
  int vocab_size = 8000;            // V, including special, user-defined and byte pieces
  TokenizerModelType type = TokenizerModelType::kBpe;
  bool byte_fallback = true;
  bool split_digits = true;
  // Reserved pieces, each encoded as one id wherever it occurs in text. Must be non-empty, unique,
  // without ',' or whitespace, and distinct from <pad> <eos> <bos> <unk>.
  std::vector<std::string> user_defined_symbols = {"<start_of_turn>", "<end_of_turn>"};
  // Fraction of characters (by frequency) that must be single pieces, in [0.98, 1]; rarer
  // characters are left to byte fallback.
  double character_coverage = 0.9995;
  int64_t input_sentence_size = 2000000;  // sample cap in lines, > 0
  int max_sentence_length = 16384;        // bytes; longer lines are skipped, in [10, 2^30]
  int num_threads = 2;                    // in [1, 128]
  uint64_t seed = 1;                      // for the input sample
};

struct TokenizerTrainResult {
  int64_t lines_read = 0;  // usable lines in all inputs (non-empty, not too long)
  int64_t lines_used = 0;  // lines given to sentencepiece (after sampling)
  int32_t n_vocab = 0;
  uint64_t fingerprint = 0;  // of the written model, see Tokenizer::fingerprint()
};

// Trains a model and writes it to out_model_path atomically (a failure leaves any existing file
// there untouched). Throws Error naming the file or option: kNotFound for a missing input,
// kInvalidArgument for an empty input, a bad option or a vocabulary size that does not fit the
// data (sentencepiece's message included).
TokenizerTrainResult train_sentencepiece(const TokenizerTrainOptions& options,
                                         const std::string& out_model_path);

}  // namespace llmkit::tokenizer
