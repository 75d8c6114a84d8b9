#include "cli/chat_prompt.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "llmkit/base/error.h"
#include "llmkit/infer/generator.h"

namespace llmkit::cli {
namespace {

std::string read_template(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  LLMKIT_CHECK_CODE(in.good(), ErrorCode::kNotFound, "cannot open chat template file '", path, "'");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string piece_or_empty(const tokenizer::Tokenizer& tok, int32_t id) {
  return id >= 0 ? tok.id_to_piece(id) : std::string();
}

}  // namespace

ChatPrompt::ChatPrompt(const infer::Model& model, const std::string& template_file)
    : model_(model), tokenizer_(model.require_tokenizer()) {
  if (!template_file.empty()) {
    template_ = std::make_unique<prompt::ChatTemplate>(read_template(template_file), template_file);
    description_ = "template " + template_file;
  } else if (!model.chat_template().empty()) {
    template_ = std::make_unique<prompt::ChatTemplate>(model.chat_template(),
                                                       "chat template of " + model.path());
    description_ = "template of " + model.path();
  } else {
    builtin_ = std::make_unique<infer::ChatFormat>(model.config().arch, tokenizer_);
    description_ = std::string("built-in ") + infer::chat_style_name(builtin_->style());
  }
}

std::string ChatPrompt::render(const std::vector<infer::ChatMessage>& messages,
                               bool add_generation_prompt) const {
  if (builtin_) return builtin_->render(messages, /*add_bos=*/true, add_generation_prompt);
  prompt::ChatInputs inputs;
  for (const infer::ChatMessage& m : messages) {
    inputs.messages.push_back({{"role", m.role}, {"content", m.content}});
  }
  inputs.add_generation_prompt = add_generation_prompt;
  inputs.bos_token = piece_or_empty(tokenizer_, tokenizer_.bos_id());
  inputs.eos_token = piece_or_empty(tokenizer_, tokenizer_.eos_id());
  return template_->render(inputs);
}

std::vector<int32_t> ChatPrompt::encode(const std::vector<infer::ChatMessage>& messages,
                                        bool add_generation_prompt) const {
  if (builtin_) return builtin_->encode(messages, /*add_bos=*/true, add_generation_prompt);
  return tokenizer_.encode(render(messages, add_generation_prompt), /*add_bos=*/true,
                           /*parse_special=*/true);
}

std::vector<int32_t> ChatPrompt::stop_tokens() const {
  std::vector<int32_t> ids = builtin_ ? builtin_->stop_tokens() : std::vector<int32_t>{};
  auto add = [&](const std::vector<int32_t>& more) {
    for (int32_t id : more) {
      if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
    }
  };
  add(tokenizer_.end_ids());
  add(infer::default_stop_tokens(model_));
  return ids;
}

std::vector<std::string> ChatPrompt::stop_strings() const {
  return builtin_ ? builtin_->stop_strings() : std::vector<std::string>{};
}

}  // namespace llmkit::cli
