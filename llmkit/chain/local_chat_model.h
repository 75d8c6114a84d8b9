// Local models on llmkit's inference engine: LocalChatModel (a ChatModel) and LocalEmbeddings.
//
// LocalChatModel: many chat models (and copies from with_options) share one loaded
// std::shared_ptr<const infer::Model>, its ChatFormatter, its TokenTrie (built once, on the first
// structured-output call) and compiled grammars; each call creates its own infer::Session, so
// calls may run concurrently.
//   - Prompt: ChatFormatter (the model's chat template, or the built-in format) with
//     ChatOptions::tools.
//   - Options: temperature (default: config.sampler's; 0 = greedy), max_tokens (default
//     config.max_tokens), seed, stop (added to the format's stop strings; never in the output),
//     json_schema -> infer::json_schema_to_gbnf -> GenerateOptions::grammar.
//   - Tool calls: when tools are offered, the generated text is parsed with parse_tool_calls
//     (tool_call_parser.h); the message's content is then the text without the calls, trimmed.
//     While streaming with tools, text is held back from the first character that may begin a
//     tool call (and leading/trailing whitespace), so the chunks still concatenate to the final
//     content; the calls arrive in a last chunk.
//   - Token counts: prompt and generated tokens go to RunContext::add_tokens.
//   - Cancellation/timeout: checked after every generated token.
//
// LocalEmbeddings: the final hidden states (after the output norm) of the text's tokens, mean-
// pooled (or the last token's), L2-normalised. Texts longer than the context are cut to it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "llmkit/chain/chat_formatter.h"
#include "llmkit/chain/chat_model.h"
#include "llmkit/infer/generator.h"
#include "llmkit/infer/model.h"
#include "llmkit/infer/session.h"

namespace llmkit::chain {

struct LocalChatConfig {
  infer::SessionOptions session;  // context length, threads, KV type of each call's session
  infer::SamplerOptions sampler;  // defaults; ChatOptions temperature/seed override
  int64_t max_tokens = 256;       // when ChatOptions::max_tokens is unset
  std::string chat_template;      // Jinja source overriding the model's ("" = model's/built-in)
  bool parse_tool_calls = true;   // parse calls from the text when tools are offered
};

class LocalChatModel : public ChatModel {
 public:
  // Throws Error when the model has no tokenizer or the template does not parse.
  LocalChatModel(std::shared_ptr<const infer::Model> model, ChatOptions options = {},
                 LocalChatConfig config = {});

  std::string name() const override { return "LocalChatModel"; }
  std::shared_ptr<const ChatModel> with_options(const ChatOptions& options) const override;
  const ChatOptions& options() const override { return options_; }

  const ChatFormatter& formatter() const;
  const std::shared_ptr<const infer::Model>& model() const;
  const LocalChatConfig& config() const { return config_; }

 protected:
  ChatMessage invoke_impl(const Messages& input, RunContext& ctx) const override;
  ChatMessage stream_impl(const Messages& input,
                          const std::function<void(const ChatMessage&)>& on_chunk,
                          RunContext& ctx) const override;

 private:
  struct Shared;
  ChatMessage generate(const Messages& input, RunContext& ctx,
                       const std::function<void(const ChatMessage&)>* on_chunk) const;
  infer::GenerateOptions generate_options() const;

  std::shared_ptr<Shared> shared_;
  ChatOptions options_;
  LocalChatConfig config_;
};

enum class Pooling { kMean, kLast };

class LocalEmbeddings : public Embeddings {
 public:
  // add_bos: BOS first when the tokenizer uses one. Needs the model's tokenizer.
  explicit LocalEmbeddings(std::shared_ptr<const infer::Model> model,
                           Pooling pooling = Pooling::kMean, bool add_bos = true,
                           infer::SessionOptions session = {});

  // One vector of dim() floats per text; an empty text (with no BOS to embed) is an Error.
  std::vector<std::vector<float>> embed(const std::vector<std::string>& texts) const override;
  int dim() const override;

 private:
  std::shared_ptr<const infer::Model> model_;
  Pooling pooling_;
  bool add_bos_;
  infer::SessionOptions session_;
};

}  // namespace llmkit::chain
