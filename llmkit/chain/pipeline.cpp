#include "llmkit/chain/pipeline.h"
#include "llmkit/base/atomic_file.h"

#include <fstream>
#include <sstream>

#include "llmkit/base/error.h"
#include "llmkit/chain/parsers.h"
#include "llmkit/chain/prompt_runnables.h"
#include "llmkit/chain/sequence.h"

namespace llmkit::chain {
namespace {

// Converts each chunk (and the whole output) of In to JSON, streaming chunk by chunk.
template <typename In>
class ToJson : public Runnable<In, nlohmann::json> {
 public:
  using ChunkFn = typename Runnable<In, nlohmann::json>::ChunkFn;
  std::string name() const override { return "ToJson"; }

 protected:
  nlohmann::json invoke_impl(const In& input, RunContext&) const override { return input; }
  std::unique_ptr<ChunkSink<In, nlohmann::json>> transform_impl(ChunkFn on_chunk,
                                                                RunContext&) const override {
    class Sink : public ChunkSink<In, nlohmann::json> {
     public:
      explicit Sink(ChunkFn on_chunk) : on_chunk_(std::move(on_chunk)) {}
      void push(const In& chunk) override {
        const nlohmann::json j = chunk;
        acc_.add(j);
        on_chunk_(j);
      }
      nlohmann::json finish() override { return acc_.value(); }

     private:
      ChunkFn on_chunk_;
      ChunkAccumulator<nlohmann::json> acc_;
    };
    return std::make_unique<Sink>(std::move(on_chunk));
  }
};

prompt::ChatPromptTemplate chat_prompt(const nlohmann::json& spec) {
  LLMKIT_CHECK(spec.is_object() && spec.contains("messages") && spec["messages"].is_array(),
               "pipeline: \"prompt\" must be an object with a \"messages\" array");
  prompt::ChatPromptTemplate t;
  for (const nlohmann::json& m : spec["messages"]) {
    LLMKIT_CHECK(m.is_object(), "pipeline: each prompt message must be an object");
    if (m.contains("history")) {
      LLMKIT_CHECK(m["history"].is_string(),
                   "pipeline: a history slot is {\"history\": \"NAME\", \"optional\": bool}");
      t.history(m["history"].get<std::string>(), m.value("optional", true));
      continue;
    }
    LLMKIT_CHECK(m.contains("role") && m["role"].is_string() && m.contains("content") &&
                     m["content"].is_string(),
                 "pipeline: a prompt message needs string \"role\" and \"content\" (or is a "
                 "{\"history\": NAME} slot)");
    t.message(m["role"].get<std::string>(), m["content"].get<std::string>());
  }
  return t;
}

ChatOptions model_options(ChatOptions o, const nlohmann::json& m) {
  LLMKIT_CHECK(m.is_object(), "pipeline: \"model\" must be an object");
  for (const auto& [key, value] : m.items()) {
    if (key == "temperature") {
      LLMKIT_CHECK(value.is_number(), "pipeline: model.temperature must be a number");
      o.temperature = value.get<float>();
    } else if (key == "max_tokens") {
      LLMKIT_CHECK(value.is_number_integer(), "pipeline: model.max_tokens must be an integer");
      o.max_tokens = value.get<int64_t>();
    } else if (key == "seed") {
      LLMKIT_CHECK(value.is_number_integer(), "pipeline: model.seed must be an integer");
      o.seed = value.get<uint64_t>();
    } else if (key == "stop") {
      LLMKIT_CHECK(value.is_array(), "pipeline: model.stop must be an array of strings");
      o.stop = value.get<std::vector<std::string>>();
    } else if (key == "json_schema") {
      LLMKIT_CHECK(value.is_object(), "pipeline: model.json_schema must be a JSON schema object");
      o.json_schema = value;
    } else {
      throw_error(ErrorCode::kInvalidArgument,
                  str_cat("pipeline: unknown model option '", key,
                          "' (known: temperature, max_tokens, seed, stop, json_schema)"));
    }
  }
  return o;
}

}  // namespace

Pipeline build_pipeline(const nlohmann::json& spec, std::shared_ptr<const ChatModel> model,
                        const nlohmann::json& overrides) {
  LLMKIT_CHECK(spec.is_object(), "pipeline: the file must hold a JSON object");
  LLMKIT_CHECK(model != nullptr, "pipeline: no model given");
  for (const auto& [key, value] : spec.items()) {
    LLMKIT_CHECK(key == "description" || key == "prompt" || key == "model" || key == "output",
                 "pipeline: unknown key '", key, "' (known: description, prompt, model, output)");
  }
  LLMKIT_CHECK(spec.contains("prompt"), "pipeline: \"prompt\" is missing");
  Pipeline p;
  p.description = spec.value("description", "");
  auto prompt_stage = std::make_shared<const ChatPromptRunnable>(chat_prompt(spec["prompt"]));
  p.input_variables = prompt_stage->prompt().input_variables();
  ChatOptions options = model->options();
  if (spec.contains("model")) options = model_options(options, spec["model"]);
  options = model_options(options, overrides);
  auto model_stage = model->with_options(options);
  const std::string output = spec.value("output", "text");
  auto text = std::make_shared<const MessageTextRunnable>();
  auto head = prompt_stage | model_stage | text;
  if (output == "text") {
    p.runnable = head | std::make_shared<const ToJson<std::string>>();
  } else if (output == "json") {
    p.runnable = head | std::make_shared<const JsonOutputRunnable>();
  } else if (output == "list" || output == "lines") {
    auto list = std::make_shared<const ListStreamParser>(
        output == "list" ? ListStreamParser::Style::kComma : ListStreamParser::Style::kNewline);
    p.runnable = head | list | std::make_shared<const ToJson<std::vector<std::string>>>();
  } else {
    throw_error(ErrorCode::kInvalidArgument,
                str_cat("pipeline: unknown output '", output, "' (text, json, list, lines)"));
  }
  return p;
}

Pipeline load_pipeline(const std::string& path, std::shared_ptr<const ChatModel> model,
                       const nlohmann::json& overrides) {
  const std::string text = read_file(path);
  nlohmann::json spec;
  try {
    spec = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw_error(ErrorCode::kInvalidArgument,
                str_cat("pipeline file '", path, "' is not valid JSON: ", e.what()));
  }
  try {
    return build_pipeline(spec, std::move(model), overrides);
  } catch (const Error& e) {
    throw_error(e.code(), str_cat(path, ": ", e.what()));
  }
}

}  // namespace llmkit::chain
