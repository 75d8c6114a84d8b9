// `llmkit chain run PIPELINE.json --input JSON (-m MODEL | --endpoint URL [--api-key K]
// [--model-name N]) [--stream] [-n N] [--temp T] [--seed S] [--trace FILE.jsonl] [-t N] [--ctx N]`:
// runs a declarative pipeline (prompt -> model -> parser; llmkit/chain/pipeline.h) once on the
// input object and prints the output: text as it is, JSON values pretty-printed, lists one item
// per line. --stream prints text chunks as they arrive (lists: each item once complete).
// -n / --temp / --seed override the pipeline's model options. The model is the local engine
// (-m: GGUF file, model or run folder) or any OpenAI-compatible server (--endpoint, e.g.
// http://127.0.0.1:8080 for llama.cpp's server or llmkit serve). --input @FILE reads the JSON
// from a file. A token-count and timing line goes to stderr; --trace writes every run's start /
// end events as JSON lines.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli/commands.h"
#include "llmkit/base/atomic_file.h"
#include "llmkit/base/error.h"
#include "llmkit/base/timer.h"
#include "llmkit/chain/callbacks.h"
#include "llmkit/chain/local_chat_model.h"
#include "llmkit/chain/openai_client.h"
#include "llmkit/chain/pipeline.h"

namespace llmkit::cli {
namespace {

struct ChainCommand {
  std::string pipeline;
  std::string input = "{}";
  std::string model;
  std::string endpoint;
  std::string api_key;
  std::string model_name = "default";
  std::string trace;
  bool stream = false;
  int64_t n_predict = -1;
  float temperature = -1.0f;
  int64_t seed = -1;
  int threads = 0;
  int64_t ctx = 0;
};

nlohmann::json parse_input(const std::string& arg) {
  const std::string text = arg.starts_with("@") ? read_file(arg.substr(1)) : arg;
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw_error(ErrorCode::kInvalidArgument,
                str_cat("chain run: --input is not valid JSON (", e.what(),
                        "); give an object such as '{\"question\": \"...\"}' or @FILE"));
  }
}

std::shared_ptr<const chain::ChatModel> make_model(const ChainCommand& c) {
  LLMKIT_CHECK(c.model.empty() != c.endpoint.empty(),
               "chain run: give exactly one of -m MODEL (local engine) or --endpoint URL");
  if (!c.endpoint.empty()) {
    chain::HttpOptions http;
    http.base_url = c.endpoint;
    http.api_key = c.api_key;
    return std::make_shared<const chain::OpenAIChatModel>(http, c.model_name);
  }
  chain::LocalChatConfig config;
  config.session.n_threads = c.threads > 0 ? c.threads : 0;
  config.session.n_ctx = c.ctx;
  auto model = infer::Model::load(c.model);
  return std::make_shared<const chain::LocalChatModel>(model, chain::ChatOptions{}, config);
}

// The token counts of the root run (its end or error event covers the inner runs).
class RootTokens : public chain::CallbackHandler {
 public:
  void on_end(const chain::RunEvent& e) override { record(e); }
  void on_error(const chain::RunEvent& e) override { record(e); }
  chain::TokenUsage tokens;

 private:
  void record(const chain::RunEvent& e) {
    if (e.parent_run_id.empty()) tokens = e.tokens;
  }
};

void print_output(const nlohmann::json& out) {
  if (out.is_string()) {
    std::printf("%s\n", out.get<std::string>().c_str());
  } else if (out.is_array() && std::all_of(out.begin(), out.end(),
                                           [](const nlohmann::json& v) { return v.is_string(); })) {
    for (const nlohmann::json& item : out) std::printf("%s\n", item.get<std::string>().c_str());
  } else {
    std::printf("%s\n", out.dump(2).c_str());
  }
}

void run_chain(const ChainCommand& c) {
  const nlohmann::json input = parse_input(c.input);
  nlohmann::json overrides = nlohmann::json::object();
  if (c.n_predict >= 0) overrides["max_tokens"] = c.n_predict;
  if (c.temperature >= 0) overrides["temperature"] = c.temperature;
  if (c.seed >= 0) overrides["seed"] = c.seed;
  chain::Pipeline p = chain::load_pipeline(c.pipeline, make_model(c), overrides);
  chain::RunConfig config;
  config.run_name = "pipeline " + c.pipeline;
  auto counter = std::make_shared<RootTokens>();
  config.callbacks.push_back(counter);
  if (!c.trace.empty()) config.callbacks.push_back(std::make_shared<chain::JsonlTracer>(c.trace));
  Timer timer;
  if (c.stream) {
    bool printed_text = false;
    const nlohmann::json out = p.runnable->stream(
        input,
        [&](const nlohmann::json& chunk) {
          if (chunk.is_string()) {
            std::fputs(chunk.get<std::string>().c_str(), stdout);
            printed_text = true;
          } else if (chunk.is_array()) {
            for (const nlohmann::json& item : chunk) {
              std::printf("%s\n",
                          item.is_string() ? item.get<std::string>().c_str() : item.dump().c_str());
            }
          }
          std::fflush(stdout);
        },
        config);
    if (printed_text) std::fputs("\n", stdout);
    if (!out.is_string() && !out.is_array()) print_output(out);
  } else {
    print_output(p.runnable->invoke(input, config));
  }
  std::fprintf(stderr, "chain: %lld prompt + %lld generated tokens, %.2f s\n",
               static_cast<long long>(counter->tokens.prompt),
               static_cast<long long>(counter->tokens.completion), timer.seconds());
}

void register_chain(CLI::App& app) {
  auto c = std::make_shared<ChainCommand>();
  CLI::App* chain_cmd =
      app.add_subcommand("chain", "Run declarative chains (prompt -> model -> parser)");
  chain_cmd->require_subcommand(1);
  CLI::App* cmd = chain_cmd->add_subcommand("run", "Run a pipeline file once on an input");
  cmd->add_option("pipeline", c->pipeline, "pipeline JSON file (see examples/pipelines/)")
      ->required();
  cmd->add_option("--input", c->input, "input object as JSON, or @FILE")->capture_default_str();
  cmd->add_option("-m,--model", c->model, "local model: GGUF file, model folder or run folder");
  cmd->add_option("--endpoint", c->endpoint, "OpenAI-compatible server base URL");
  cmd->add_option("--api-key", c->api_key, "with --endpoint: the API key (Bearer)");
  cmd->add_option("--model-name", c->model_name, "with --endpoint: the \"model\" field sent")
      ->capture_default_str();
  cmd->add_flag("--stream", c->stream, "print output chunks as they arrive");
  cmd->add_option("-n,--n-predict", c->n_predict, "most tokens to generate (overrides the file)");
  cmd->add_option("--temp", c->temperature, "temperature (overrides the file)");
  cmd->add_option("--seed", c->seed, "sampling seed (overrides the file)");
  cmd->add_option("--trace", c->trace, "write run events as JSON lines to this file");
  cmd->add_option("-t,--threads", c->threads, "threads for the local engine (0: all)");
  cmd->add_option("--ctx", c->ctx, "context length for the local engine (0: model's, <= 4096)");
  cmd->callback([c] { run_chain(*c); });
}

}  // namespace

LLMKIT_REGISTER_COMMAND(690, register_chain)

}  // namespace llmkit::cli
