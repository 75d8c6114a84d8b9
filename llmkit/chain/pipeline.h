// A declarative pipeline (JSON) -> one runnable from a JSON object of inputs to a JSON output:
// prompt -> chat model -> output parser. `llmkit chain run` executes these files; examples in
// examples/pipelines/.
//
//   {
//     "description": "free text",
//     "prompt": {"messages": [{"role": "system", "content": "You ... {style}"},
//                             {"history": "history"},            // optional history slot
//                             {"role": "user", "content": "{question}"}]},
//     "model": {"temperature": 0.2, "max_tokens": 200, "seed": 1, "stop": ["\n\n"],
//               "json_schema": {...}},                            // all optional
//     "output": "text" | "json" | "list" | "lines"                 // default "text"
//   }
//
// Output: "text" -> a JSON string; "json" -> the parsed value (prompt::JsonOutputParser; with
// "json_schema" the model is constrained to it); "list" -> an array of strings (comma-separated);
// "lines" -> an array of strings (one per line, bullets removed). Streaming passes through: text
// streams as string chunks, lists as one-item arrays as each item completes.
// Every problem in the file is an Error(kInvalidArgument) naming the key and what is expected.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "llmkit/chain/chat_model.h"
#include "llmkit/chain/runnable.h"

namespace llmkit::chain {

struct Pipeline {
  std::string description;
  std::vector<std::string> input_variables;  // what the input object must hold
  RunnablePtr<nlohmann::json, nlohmann::json> runnable;
};

// `model` runs the pipeline (its options are overridden by the file's "model" options, which
// command-line options may override in turn through `overrides`: same keys).
Pipeline build_pipeline(const nlohmann::json& spec, std::shared_ptr<const ChatModel> model,
                        const nlohmann::json& overrides = nlohmann::json::object());
// Reads and builds a pipeline file; errors name the file.
Pipeline load_pipeline(const std::string& path, std::shared_ptr<const ChatModel> model,
                       const nlohmann::json& overrides = nlohmann::json::object());

}  // namespace llmkit::chain
