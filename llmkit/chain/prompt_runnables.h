// The prompt layer as runnables, so templates and parsers compose with models by `|`:
//
//   ChatPromptRunnable   nlohmann::json -> Messages: a prompt::ChatPromptTemplate formatted with
//                        the input object: string (or number/bool, written as JSON) values for
//                        the variables; arrays of {"role", "content"} messages for history slots
//   TextPromptRunnable   nlohmann::json -> std::string: a prompt::PromptTemplate likewise
//   JsonOutputRunnable   std::string -> nlohmann::json: prompt::JsonOutputParser (fenced, bare or
//                        embedded JSON; throws prompt::OutputParseError carrying the raw text)
//   MessageTextRunnable  ChatMessage -> std::string: the message's content, streamed through
//
// Missing or extra variables are errors naming them (the templates' own checks); a non-object
// input is an Error(kInvalidArgument).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "llmkit/chain/message.h"
#include "llmkit/chain/parsers.h"
#include "llmkit/chain/runnable.h"
#include "llmkit/prompt/chat_prompt_template.h"
#include "llmkit/prompt/output_parser.h"
#include "llmkit/prompt/prompt_template.h"

namespace llmkit::chain {

class ChatPromptRunnable : public Runnable<nlohmann::json, Messages> {
 public:
  explicit ChatPromptRunnable(prompt::ChatPromptTemplate prompt) : prompt_(std::move(prompt)) {}
  std::string name() const override { return "ChatPrompt"; }
  const prompt::ChatPromptTemplate& prompt() const { return prompt_; }

 protected:
  Messages invoke_impl(const nlohmann::json& input, RunContext& ctx) const override;

 private:
  prompt::ChatPromptTemplate prompt_;
};

class TextPromptRunnable : public Runnable<nlohmann::json, std::string> {
 public:
  explicit TextPromptRunnable(prompt::PromptTemplate prompt) : prompt_(std::move(prompt)) {}
  std::string name() const override { return "TextPrompt"; }

 protected:
  std::string invoke_impl(const nlohmann::json& input, RunContext& ctx) const override;

 private:
  prompt::PromptTemplate prompt_;
};

class JsonOutputRunnable : public Runnable<std::string, nlohmann::json> {
 public:
  std::string name() const override { return "JsonOutputParser"; }
  std::string format_instructions() const { return parser_.format_instructions(); }

 protected:
  nlohmann::json invoke_impl(const std::string& input, RunContext& ctx) const override;

 private:
  prompt::JsonOutputParser parser_;
};

using MessageTextRunnable = StringOutputParser<ChatMessage>;

// Values of a JSON object as template values (strings as they are, other scalars as JSON text);
// arrays are skipped (they are histories). Throws Error(kInvalidArgument) for a non-object.
prompt::Values template_values(const nlohmann::json& input);

}  // namespace llmkit::chain
