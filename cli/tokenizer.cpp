// `llmkit tokenizer train|encode|decode`: trains a SentencePiece tokenizer on text files (see
// llmkit/tokenizer/trainer.h for its layout) and encodes/decodes text with a .model file.
// Results go to stdout, progress and summaries to stderr.
#include <cinttypes>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "llmkit/base/timer.h"
#include "llmkit/tokenizer/sentencepiece_tokenizer.h"
#include "llmkit/tokenizer/trainer.h"

namespace llmkit::cli {
namespace {

struct TrainCliOptions {
  tokenizer::TokenizerTrainOptions train;
  std::string type = "bpe";
  std::string out;
  bool no_byte_fallback = false;
};

void run_train(TrainCliOptions o) {
  o.train.type = tokenizer::parse_tokenizer_model_type(o.type);
  o.train.byte_fallback = !o.no_byte_fallback;
  std::fprintf(stderr, "training a %s tokenizer (vocab size %d) on %zu file(s) with %d thread(s)\n",
               o.type.c_str(), o.train.vocab_size, o.train.inputs.size(), o.train.num_threads);
  Timer timer;
  tokenizer::TokenizerTrainResult r = tokenizer::train_sentencepiece(o.train, o.out);
  std::fprintf(stderr,
               "wrote '%s': %d pieces, trained on %lld of %lld lines in %.1f s (fingerprint "
               "%016" PRIx64 ")\n",
               o.out.c_str(), r.n_vocab, static_cast<long long>(r.lines_used),
               static_cast<long long>(r.lines_read), timer.seconds(), r.fingerprint);
}

struct EncodeCliOptions {
  std::string model;
  std::string prompt;
  bool have_prompt = false;
  bool ids = false;
};

std::string encode_line(const tokenizer::SentencePieceTokenizer& tok, const std::string& text,
                        bool ids) {
  std::string out;
  if (ids) {
    for (int32_t id : tok.encode(text)) out += (out.empty() ? "" : " ") + std::to_string(id);
  } else {
    for (const std::string& p : tok.encode_pieces(text)) out += (out.empty() ? "" : " ") + p;
  }
  return out;
}

// With -p: encodes that text (one output line). Without: encodes each line of stdin, one output
// line per input line (like spm_encode).
void run_encode(const EncodeCliOptions& o) {
  auto tok = tokenizer::SentencePieceTokenizer::load(o.model);
  if (o.have_prompt) {
    std::printf("%s\n", encode_line(tok, o.prompt, o.ids).c_str());
    return;
  }
  for (std::string line; std::getline(std::cin, line);) {
    std::printf("%s\n", encode_line(tok, line, o.ids).c_str());
  }
}

struct DecodeCliOptions {
  std::string model;
  std::vector<int32_t> ids;
};

void run_decode(const DecodeCliOptions& o) {
  auto tok = tokenizer::SentencePieceTokenizer::load(o.model);
  std::printf("%s\n", tok.decode(o.ids).c_str());
}

void register_tokenizer(CLI::App& app) {
  auto* cmd = app.add_subcommand("tokenizer", "Train a SentencePiece tokenizer, encode and decode");
  cmd->require_subcommand(1);

  auto topts = std::make_shared<TrainCliOptions>();
  auto* train = cmd->add_subcommand(
      "train",
      "Train a BPE or unigram tokenizer (Gemma layout: <pad> <eos> <bos> <unk>, chat "
      "tokens, byte fallback, split digits)");
  train->add_option("--input", topts->train.inputs, "text files, one sentence per line")
      ->required()
      ->expected(1, -1);
  train->add_option("--vocab-size", topts->train.vocab_size, "vocabulary size")
      ->required()
      ->check(CLI::Range(1, 1 << 24));
  train->add_option("--type", topts->type, "bpe or unigram")
      ->check(CLI::IsMember({"bpe", "unigram"}))
      ->capture_default_str();
  train->add_option("--out", topts->out, "output .model file (written atomically)")->required();
  train->add_option("--threads", topts->train.num_threads, "training threads")
      ->check(CLI::Range(1, 128))
      ->capture_default_str();
  train
      ->add_option("--sample", topts->train.input_sentence_size,
                   "train on a random sample of at most this many lines")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  train->add_option("--seed", topts->train.seed, "seed of the line sample")->capture_default_str();
  train
      ->add_option("--character-coverage", topts->train.character_coverage,
                   "share of characters kept as pieces, in [0.98, 1]")
      ->capture_default_str();
  train->add_flag("--no-byte-fallback", topts->no_byte_fallback,
                  "map unknown characters to <unk> instead of byte pieces");
  train->callback([topts] { run_train(*topts); });

  auto eopts = std::make_shared<EncodeCliOptions>();
  auto* encode = cmd->add_subcommand("encode", "Print the pieces (or ids) of text");
  encode->add_option("--model", eopts->model, "tokenizer .model file")->required();
  encode->add_option("-p,--prompt", eopts->prompt, "text to encode (default: each stdin line)");
  encode->add_flag("--ids", eopts->ids, "print ids instead of pieces");
  encode->callback([eopts, encode] {
    eopts->have_prompt = encode->count("--prompt") > 0;
    run_encode(*eopts);
  });

  auto dopts = std::make_shared<DecodeCliOptions>();
  auto* decode = cmd->add_subcommand("decode", "Print the text of ids");
  decode->add_option("--model", dopts->model, "tokenizer .model file")->required();
  decode->add_option("ids", dopts->ids, "token ids")->required()->expected(1, -1);
  decode->callback([dopts] { run_decode(*dopts); });
}

}  // namespace

LLMKIT_REGISTER_COMMAND(200, register_tokenizer)

}  // namespace llmkit::cli
