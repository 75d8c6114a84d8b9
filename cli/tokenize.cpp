// `llmkit tokenize (-m MODEL | --tokenizer FILE) (-p TEXT | -f FILE) [--ids] [--no-bos]
// [--parse-special]`: the token ids of a text, with a model's tokenizer or a tokenizer file
// (a SentencePiece .model or a Hugging Face tokenizer.json).
// Default output: one "id -> 'piece'" line per token (as llama-tokenize prints them); --ids prints
// only the list, "[2, 651, 9456]", which llama-tokenize --ids prints too, so the two can be diffed.
// BOS: added unless --no-bos; a tokenizer.json adds it the way its post-processor does (and never
// twice). --parse-special: special tokens written in the text (<bos>, <|eot_id|>) become their ids;
// without it they are plain text. Only a tokenizer.json has the choice: SentencePiece models always
// read their user-defined symbols as tokens and never their control tokens.
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include "cli/commands.h"
#include "llmkit/base/error.h"
#include "llmkit/infer/model.h"
#include "llmkit/tokenizer/hf_tokenizer.h"
#include "llmkit/tokenizer/sentencepiece_tokenizer.h"

namespace llmkit::cli {
namespace {

struct TokenizeCommand {
  std::string model;
  std::string tokenizer;
  std::string prompt;
  std::string file;
  bool ids = false;
  bool no_bos = false;
  bool parse_special = false;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  LLMKIT_CHECK_CODE(in.good(), ErrorCode::kNotFound, "tokenize: cannot open '", path, "'");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A tokenizer.json when the file's first non-blank byte is '{', else a SentencePiece .model.
std::shared_ptr<const tokenizer::Tokenizer> load_tokenizer_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  LLMKIT_CHECK_CODE(in.good(), ErrorCode::kNotFound, "tokenize: cannot open tokenizer '", path,
                    "'");
  char c = 0;
  while (in.get(c) && (c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
  }
  if (in && c == '{') return tokenizer::HfTokenizer::load(path);
  return std::make_shared<tokenizer::SentencePieceTokenizer>(
      tokenizer::SentencePieceTokenizer::load(path));
}

void run_tokenize(const TokenizeCommand& c) {
  LLMKIT_CHECK(c.prompt.empty() != c.file.empty(),
               "tokenize: give the text with exactly one of -p TEXT or -f FILE");
  LLMKIT_CHECK(c.model.empty() != c.tokenizer.empty(),
               "tokenize: give exactly one of -m MODEL or --tokenizer FILE");
  std::string text = c.file.empty() ? c.prompt : read_file(c.file);
  std::shared_ptr<const infer::Model> model;  // owns the tokenizer when -m is used
  std::shared_ptr<const tokenizer::Tokenizer> owned;
  const tokenizer::Tokenizer* tok = nullptr;
  if (!c.model.empty()) {
    model = infer::Model::load(c.model);
    tok = &model->require_tokenizer();
  } else {
    owned = load_tokenizer_file(c.tokenizer);
    tok = owned.get();
  }
  const std::vector<int32_t> ids = tok->encode(text, !c.no_bos, c.parse_special);
  if (c.ids) {
    std::string out = "[";
    for (size_t i = 0; i < ids.size(); ++i) {
      if (i) out += ", ";
      out += std::to_string(ids[i]);
    }
    std::printf("%s]\n", out.c_str());
    return;
  }
  for (int32_t id : ids) {
    std::printf("%6d -> '%s'\n", id, tok->token_to_piece(id, /*with_special=*/true).c_str());
  }
  std::fprintf(stderr, "tokenize: %zu tokens\n", ids.size());
}

void register_tokenize(CLI::App& app) {
  auto c = std::make_shared<TokenizeCommand>();
  CLI::App* cmd = app.add_subcommand("tokenize", "the token ids of a text");
  auto* m = cmd->add_option("-m,--model", c->model, "GGUF file, model folder or run folder");
  auto* t = cmd->add_option("--tokenizer", c->tokenizer,
                            "tokenizer file instead of a model: SentencePiece .model or "
                            "tokenizer.json");
  m->excludes(t);
  cmd->add_option("-p,--prompt", c->prompt, "text to tokenize");
  cmd->add_option("-f,--file", c->file, "read the text from this file");
  cmd->add_flag("--ids", c->ids, "print only the list of ids, [2, 651, 9456]");
  cmd->add_flag("--no-bos", c->no_bos, "do not add BOS");
  cmd->add_flag("--parse-special", c->parse_special,
                "special tokens written in the text become their ids (<bos>, <|im_start|>)");
  cmd->callback([c] { run_tokenize(*c); });
}

}  // namespace

LLMKIT_REGISTER_COMMAND(660, register_tokenize)

}  // namespace llmkit::cli
