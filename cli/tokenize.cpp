// `llmkit tokenize -m MODEL (-p TEXT | -f FILE) [--ids] [--no-bos]`: the model's tokens of a text.
// Default output: one "id -> 'piece'" line per token (as llama-tokenize prints them); --ids prints
// only the list, "[2, 651, 9456]", which llama-tokenize --ids prints too, so the two can be diffed.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli/commands.h"
#include "llmkit/base/error.h"
#include "llmkit/infer/model.h"

namespace llmkit::cli {
namespace {

struct TokenizeCommand {
  std::string model;
  std::string prompt;
  std::string file;
  bool ids = false;
  bool no_bos = false;
};

void run_tokenize(const TokenizeCommand& c) {
  LLMKIT_CHECK(c.prompt.empty() != c.file.empty(),
               "tokenize: give the text with exactly one of -p TEXT or -f FILE");
  std::string text = c.prompt;
  if (!c.file.empty()) {
    std::ifstream in(c.file, std::ios::binary);
    LLMKIT_CHECK_CODE(in.good(), ErrorCode::kNotFound, "tokenize: cannot open '", c.file, "'");
    std::ostringstream s;
    s << in.rdbuf();
    text = s.str();
  }
  auto model = infer::Model::load(c.model);
  const tokenizer::Tokenizer& tok = model->require_tokenizer();
  std::vector<int32_t> ids;
  if (!c.no_bos && tok.bos_id() >= 0) ids.push_back(tok.bos_id());
  for (int32_t id : tok.encode(text)) ids.push_back(id);
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
    std::printf("%6d -> '%s'\n", id, tok.decode({id}).c_str());
  }
  std::fprintf(stderr, "tokenize: %zu tokens\n", ids.size());
}

void register_tokenize(CLI::App& app) {
  auto c = std::make_shared<TokenizeCommand>();
  CLI::App* cmd = app.add_subcommand("tokenize", "the model's token ids of a text");
  cmd->add_option("-m,--model", c->model, "GGUF file, model folder or run folder")->required();
  cmd->add_option("-p,--prompt", c->prompt, "text to tokenize");
  cmd->add_option("-f,--file", c->file, "read the text from this file");
  cmd->add_flag("--ids", c->ids, "print only the list of ids, [2, 651, 9456]");
  cmd->add_flag("--no-bos", c->no_bos, "do not add BOS");
  cmd->callback([c] { run_tokenize(*c); });
}

}  // namespace

LLMKIT_REGISTER_COMMAND(660, register_tokenize)

}  // namespace llmkit::cli
