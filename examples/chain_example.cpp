// The examples of docs/chains.md in one program: a prompt | model | parser chain streamed chunk by
// chunk, structured output under a JSON schema, a conversation kept in SQLite, and a ReAct agent
// with a calculator and a lookup tool.
//
// Usage: example_chain_example MODEL [WORK_DIR]
//   MODEL: a GGUF file, model folder or run folder with a tokenizer (the local engine).
// Exits non-zero when a step fails; prints what each step produced.
#include <cstdio>
#include <map>
#include <memory>

#include "llmkit/chain/agent.h"
#include "llmkit/chain/calculator.h"
#include "llmkit/chain/local_chat_model.h"
#include "llmkit/chain/memory.h"
#include "llmkit/chain/parsers.h"
#include "llmkit/chain/prompt_runnables.h"
#include "llmkit/chain/sequence.h"
#include "llmkit/chain/sqlite_chat_history.h"
#include "llmkit/chain/tool.h"

using namespace llmkit;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL [WORK_DIR]\n", argv[0]);
    return 2;
  }
  const std::string work = argc > 2 ? argv[2] : ".";
  try {
    // One loaded model shared by every chain below; each call gets its own session.
    chain::ChatOptions options;
    options.temperature = 0.7f;
    options.max_tokens = 40;
    auto model =
        std::make_shared<const chain::LocalChatModel>(infer::Model::load(argv[1]), options);

    // 1. prompt | model | parser, streamed: chunks reach the callback as they are generated.
    prompt::ChatPromptTemplate answer;
    answer.system("You answer in a {style} style.").user("{question}");
    auto chain = std::make_shared<const chain::ChatPromptRunnable>(answer) | model |
                 chain::make_string_parser<chain::ChatMessage>();
    int chunks = 0;
    const std::string text = chain->stream({{"style", "plain"}, {"question", "What is the Union?"}},
                                           [&](const std::string& piece) {
                                             std::fputs(piece.c_str(), stdout);
                                             ++chunks;
                                           });
    std::printf("\n[1] %d chunks, %zu bytes\n", chunks, text.size());

    // 2. Structured output: the local engine decodes under the schema's grammar.
    nlohmann::json schema = {{"type", "object"},
                             {"properties",
                              {{"city", {{"type", "string"}, {"maxLength", 20}}},
                               {"rank", {{"type", "integer"}, {"minimum", 1}, {"maximum", 10}}}}},
                             {"required", {"city", "rank"}}};
    chain::ChatOptions json_options = options;
    json_options.max_tokens = 200;
    json_options.json_schema = schema;
    auto json_model = model->with_options(json_options);
    auto card = std::make_shared<const chain::ChatPromptRunnable>(
                    prompt::ChatPromptTemplate().user("Rank {city} as JSON.")) |
                json_model | chain::make_string_parser<chain::ChatMessage>() |
                std::make_shared<const chain::JsonOutputRunnable>();
    const nlohmann::json value = card->invoke({{"city", "Oslo"}});
    std::printf("[2] %s\n", value.dump().c_str());
    if (!value.contains("city") || !value["rank"].is_number_integer()) return 1;

    // 3. Memory: the conversation persists in SQLite under a session id; a window memory sends
    //    the last two turns.
    auto history =
        std::make_shared<chain::SqliteChatHistory>(work + "/chat_history.db", "example-session");
    chain::WindowMemory memory(2, history);
    memory.add(chain::user_message("Hello"));
    memory.add(model->invoke(memory.messages()));
    std::printf("[3] %zu messages stored, %zu sent next turn\n", history->messages().size(),
                memory.messages().size());

    // 4. An agent with a calculator and a lookup tool (ReAct text protocol).
    const std::map<std::string, double> populations = {{"oslo", 709000}, {"bergen", 291000}};
    auto lookup = chain::make_function_tool(
        "population", "The population of a Norwegian city", {{"city", "the city, lower case"}},
        std::function<std::string(std::string)>([&](std::string city) {
          auto it = populations.find(city);
          if (it == populations.end()) throw std::runtime_error("no such city: " + city);
          return chain::format_number(it->second);
        }));
    auto agent = chain::make_react_agent(model, {chain::make_calculator_tool(), lookup}, [] {
      chain::AgentOptions o;
      o.max_iterations = 3;
      return o;
    }());
    const chain::AgentResult result =
        agent->invoke("How many more people live in Oslo than Bergen?");
    std::printf("[4] %s after %d model calls, %zu steps\n", result.stop_reason.c_str(),
                result.iterations, result.steps.size());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "chain_example: %s\n", e.what());
    return 1;
  }
}
