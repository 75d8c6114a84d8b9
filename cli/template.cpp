// `llmkit template render (--template FILE | -m MODEL) --messages FILE.json
// [--add-generation-prompt] [--tools FILE.json] [--extra FILE.json] [--bos-token S]
// [--eos-token S]`: renders a chat template as Hugging Face's apply_chat_template does and prints
// exactly the rendered text (nothing added), so it can be diffed against another renderer.
// MODEL: a GGUF file (metadata tokenizer.chat_template; BOS / EOS from tokenizer.ggml.bos_token_id
// / eos_token_id) or a Hugging Face folder (chat_template.jinja or tokenizer_config.json's
// chat_template; BOS / EOS from tokenizer_config.json, else from the tokenizer.model beside the
// weights). --bos-token / --eos-token override the
// model's; with --template there are none unless given.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "cli/commands.h"
#include "llmkit/base/atomic_file.h"
#include "llmkit/base/error.h"
#include "llmkit/io/gguf.h"
#include "llmkit/models/chat_template_source.h"
#include "llmkit/prompt/chat_template.h"
#include "llmkit/tokenizer/sentencepiece_tokenizer.h"

namespace llmkit::cli {
namespace {

struct TemplateCommand {
  std::string template_file;
  std::string model;
  std::string messages;
  std::string tools;
  std::string extra;
  bool add_generation_prompt = false;
  std::string bos_token;
  std::string eos_token;
  CLI::Option* bos_option = nullptr;
  CLI::Option* eos_option = nullptr;
};

nlohmann::ordered_json read_json(const std::string& path, const char* what) {
  try {
    return nlohmann::ordered_json::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {
    throw_error(ErrorCode::kInvalidArgument,
                str_cat("template render: ", what, " '", path, "' is not valid JSON: ", e.what()));
  }
}

struct ModelTemplate {
  std::string source;
  std::string name;
  std::string bos_token;
  std::string eos_token;
};

std::string gguf_token(const io::GgufFile& gguf, const std::vector<std::string>& tokens,
                       const char* key) {
  const int64_t id = gguf.get_int_or(key, -1);
  if (id < 0 || id >= static_cast<int64_t>(tokens.size())) return "";
  return tokens[static_cast<size_t>(id)];
}

ModelTemplate model_template(const std::string& model) {
  namespace fs = std::filesystem;
  ModelTemplate t;
  t.name = model;
  if (fs::is_directory(model)) {
    t.source = models::chat_template_from_folder(model);
    LLMKIT_CHECK_CODE(!t.source.empty(), ErrorCode::kNotFound, "template render: '", model,
                      "' has no chat template (no chat_template.jinja, and no chat_template in "
                      "tokenizer_config.json); give one with --template FILE");
    const fs::path config_path = fs::path(model) / "tokenizer_config.json";
    if (fs::exists(config_path)) {
      const nlohmann::json config = nlohmann::json::parse(read_file(config_path));
      t.bos_token = prompt::special_token_from_tokenizer_config(config, "bos_token");
      t.eos_token = prompt::special_token_from_tokenizer_config(config, "eos_token");
    }
    // Without tokenizer_config.json (llmkit model and run folders): the pieces of the
    // SentencePiece model beside the weights, as `chat` uses them.
    const fs::path spm = fs::path(model) / "tokenizer.model";
    if (!fs::exists(config_path) && fs::exists(spm)) {
      const auto tok = tokenizer::SentencePieceTokenizer::load(spm.string());
      if (tok.bos_id() >= 0) t.bos_token = tok.id_to_piece(tok.bos_id());
      if (tok.eos_id() >= 0) t.eos_token = tok.id_to_piece(tok.eos_id());
    }
    return t;
  }
  io::GgufFile gguf(model);
  t.source = models::chat_template_from_gguf(gguf);
  LLMKIT_CHECK_CODE(!t.source.empty(), ErrorCode::kNotFound, "template render: '", model,
                    "' has no tokenizer.chat_template; give one with --template FILE");
  if (const io::GgufValue* tokens = gguf.find("tokenizer.ggml.tokens")) {
    const std::vector<std::string> pieces = tokens->as_string_array("tokenizer.ggml.tokens");
    t.bos_token = gguf_token(gguf, pieces, "tokenizer.ggml.bos_token_id");
    t.eos_token = gguf_token(gguf, pieces, "tokenizer.ggml.eos_token_id");
  }
  return t;
}

void run_template_render(const TemplateCommand& c) {
  LLMKIT_CHECK(c.template_file.empty() != c.model.empty(),
               "template render: give exactly one of --template FILE or -m MODEL");
  ModelTemplate t;
  if (!c.template_file.empty()) {
    t.source = read_file(c.template_file);
    t.name = c.template_file;
  } else {
    t = model_template(c.model);
  }
  prompt::ChatInputs in;
  in.messages = read_json(c.messages, "messages");
  if (in.messages.is_object() && in.messages.contains("messages")) {
    in.messages = nlohmann::ordered_json(in.messages["messages"]);
  }
  LLMKIT_CHECK(in.messages.is_array(), "template render: '", c.messages,
               "' must hold a JSON array of messages");
  if (!c.tools.empty()) in.tools = read_json(c.tools, "tools");
  if (!c.extra.empty()) in.extra = read_json(c.extra, "extra variables");
  in.add_generation_prompt = c.add_generation_prompt;
  in.bos_token = c.bos_option->count() ? c.bos_token : t.bos_token;
  in.eos_token = c.eos_option->count() ? c.eos_token : t.eos_token;
  const prompt::ChatTemplate chat(t.source, t.name);
  const std::string text = chat.render(in);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

void register_template(CLI::App& app) {
  auto c = std::make_shared<TemplateCommand>();
  CLI::App* cmd = app.add_subcommand("template", "chat templates");
  cmd->require_subcommand(1);
  CLI::App* render = cmd->add_subcommand(
      "render", "render a chat template over a conversation and print exactly the text");
  auto* t = render->add_option("--template", c->template_file, "Jinja chat template file");
  auto* m = render->add_option("-m,--model", c->model,
                               "GGUF file or Hugging Face folder whose chat template to use");
  t->excludes(m);
  render->add_option("--messages", c->messages, "JSON file: [{\"role\", \"content\"}, ...]")
      ->required();
  render->add_flag("--add-generation-prompt", c->add_generation_prompt,
                   "end with the header of the assistant's turn");
  render->add_option("--tools", c->tools, "JSON file: a list of tool (function) schemas");
  render->add_option("--extra", c->extra,
                     "JSON file: an object of more template variables (e.g. enable_thinking)");
  c->bos_option =
      render->add_option("--bos-token", c->bos_token, "BOS text (default: the model's)");
  c->eos_option =
      render->add_option("--eos-token", c->eos_token, "EOS text (default: the model's)");
  render->callback([c] { run_template_render(*c); });
}

}  // namespace

LLMKIT_REGISTER_COMMAND(680, register_template)

}  // namespace llmkit::cli
