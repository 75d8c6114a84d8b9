// `llmkit generate -m MODEL -p PROMPT [-f FILE] [-n N] [sampling options] [--stop STR]...
// [--no-bos] [--ignore-eos] [--chat [--system TEXT] [--chat-template FILE]]
// [--grammar FILE | --json-schema FILE | --regex RE] [-t N] [--ctx N]`:
// prints the prompt, then streams the generated text to stdout; ends with one line on stderr:
//   prefill: N tokens, X tok/s | decode: M tokens, Y tok/s | stop: REASON
// The prompt gets the model's BOS unless --no-bos. Generation ends at an end-of-generation token
// (EOS, <end_of_turn>, <|eot_id|>; none with --ignore-eos), a --stop text (not printed), after
// -n tokens (-1: until the context is full) or on Ctrl-C (the statistics line still follows).
// --chat: the prompt is one user message (after --system when given) in the model's chat format
// (chain/chat_formatter.h: its template, BOS policy and end tokens); only the answer is printed.
// --grammar (GBNF), --json-schema, --regex: the generated text is constrained to the grammar
// (infer/grammar.h, json_schema_grammar.h, regex_grammar.h); generation also ends ("grammar")
// when the text is complete and nothing can follow.
#include <csignal>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.h"
#include "cli/model_args.h"
#include "cli/sampling_args.h"
#include "llmkit/base/error.h"
#include "llmkit/chain/chat_formatter.h"
#include "llmkit/infer/generator.h"
#include "llmkit/infer/grammar.h"
#include "llmkit/infer/json_schema_grammar.h"
#include "llmkit/infer/regex_grammar.h"

namespace llmkit::cli {
namespace {

struct GenerateCommand {
  ModelArgs model;
  SamplingArgs sampling;
  std::string prompt;
  std::string file;
  int64_t n_predict = 128;
  bool no_bos = false;
  bool ignore_eos = false;
  bool chat = false;
  std::string system;
  std::string chat_template;
  std::string grammar_file;
  std::string json_schema_file;
  std::string regex;
};

volatile std::sig_atomic_t g_interrupted = 0;
void on_sigint(int) {
  g_interrupted = 1;
}

std::string read_file(const std::string& path, const char* what = "prompt file") {
  std::ifstream in(path, std::ios::binary);
  LLMKIT_CHECK_CODE(in.good(), ErrorCode::kNotFound, "generate: cannot open ", what, " '", path,
                    "'");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_out(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

// The grammar of --grammar / --json-schema / --regex (at most one), or null.
std::shared_ptr<const infer::Grammar> load_grammar(const GenerateCommand& c) {
  const int given = !c.grammar_file.empty() + !c.json_schema_file.empty() + !c.regex.empty();
  LLMKIT_CHECK(given <= 1, "generate: give at most one of --grammar, --json-schema and --regex");
  if (!c.grammar_file.empty()) {
    return infer::Grammar::parse(read_file(c.grammar_file, "grammar file"));
  }
  if (!c.regex.empty()) return infer::Grammar::parse(infer::regex_to_gbnf(c.regex));
  if (c.json_schema_file.empty()) return nullptr;
  nlohmann::ordered_json schema;  // keeps the schema's property order
  try {
    schema = nlohmann::ordered_json::parse(read_file(c.json_schema_file, "JSON schema file"));
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::kInvalidArgument,
                str_cat("generate: JSON schema file '", c.json_schema_file,
                        "' is not valid JSON: ", e.what()));
  }
  return infer::Grammar::parse(infer::json_schema_to_gbnf(schema));
}

void run_generate(const GenerateCommand& c) {
  LLMKIT_CHECK(c.prompt.empty() || c.file.empty(),
               "generate: give the prompt with -p TEXT or -f FILE, not both");
  LLMKIT_CHECK(c.n_predict >= -1, "generate: -n must be >= -1 (-1: until the context is full)");
  LLMKIT_CHECK(c.chat || (c.system.empty() && c.chat_template.empty()),
               "generate: --system and --chat-template need --chat");
  LLMKIT_CHECK(!c.chat || !c.no_bos,
               "generate: --no-bos does not apply with --chat (the chat format decides BOS)");
  const std::string text = c.file.empty() ? c.prompt : read_file(c.file);
  infer::GenerateOptions options;
  options.sampler = resolve_sampler_options(c.sampling);
  options.max_tokens = c.n_predict;
  options.stop_strings = c.sampling.stop;
  if (c.ignore_eos) options.stop_tokens = std::vector<int32_t>{};
  options.grammar = load_grammar(c);

  auto model = load_model_for_inference(c.model);
  const tokenizer::Tokenizer& tok = model->require_tokenizer();
  std::vector<int32_t> ids;
  if (c.chat) {
    chain::ChatFormatter chat(model, read_chat_template(c.chat_template), c.chat_template);
    chain::Messages messages;
    if (!c.system.empty()) messages.push_back(chain::system_message(c.system));
    messages.push_back(chain::user_message(text));
    ids = chat.encode(messages, {}, /*add_generation_prompt=*/true);
    if (!c.ignore_eos) options.stop_tokens = chat.stop_tokens();
    for (const std::string& s : chat.stop_strings()) options.stop_strings.push_back(s);
  } else {
    // Special tokens written in the prompt ("<start_of_turn>") are parsed, as llama.cpp does.
    ids = tok.encode(text, !c.no_bos, /*parse_special=*/true);
  }
  LLMKIT_CHECK(!ids.empty(), "generate: the prompt is empty and the model has no BOS (or ",
               "--no-bos was given); pass a prompt with -p");
  infer::Session session(model, session_options(*model, c.model));
  LLMKIT_CHECK_CODE(static_cast<int64_t>(ids.size()) <= session.n_ctx(), ErrorCode::kOutOfRange,
                    "generate: the prompt has ", ids.size(), " tokens, more than the context of ",
                    session.n_ctx(), "; shorten it or raise --ctx");

  struct sigaction action = {}, previous = {};
  action.sa_handler = on_sigint;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &previous);
  g_interrupted = 0;
  if (!c.chat) write_out(text);
  infer::GenerateStats stats;
  try {
    stats = infer::generate(session, ids, options, [](const std::string& piece, int32_t) {
      write_out(piece);
      return g_interrupted == 0;
    });
  } catch (...) {
    sigaction(SIGINT, &previous, nullptr);
    throw;
  }
  sigaction(SIGINT, &previous, nullptr);
  write_out("\n");
  std::fprintf(
      stderr, "prefill: %lld tokens, %.2f tok/s | decode: %lld tokens, %.2f tok/s | stop: %s\n",
      static_cast<long long>(stats.prompt_tokens), stats.prefill_tokens_per_second(),
      static_cast<long long>(stats.generated_tokens), stats.decode_tokens_per_second(),
      g_interrupted && stats.stop_reason == "callback" ? "interrupted" : stats.stop_reason.c_str());
}

void register_generate(CLI::App& app) {
  auto c = std::make_shared<GenerateCommand>();
  CLI::App* cmd = app.add_subcommand("generate", "Generate text after a prompt (streamed)");
  add_model_args(*cmd, c->model);
  cmd->add_option("-p,--prompt", c->prompt, "prompt text");
  cmd->add_option("-f,--file", c->file, "read the prompt from this file");
  cmd->add_option("-n,--n-predict", c->n_predict,
                  "tokens to generate (-1: until the context is full)")
      ->capture_default_str();
  add_sampling_args(*cmd, c->sampling);
  cmd->add_flag("--no-bos", c->no_bos, "do not put BOS in front of the prompt");
  cmd->add_flag("--ignore-eos", c->ignore_eos, "do not stop at end-of-generation tokens");
  cmd->add_flag(
      "--chat", c->chat,
      "send the prompt as a user message in the model's chat format and print the answer");
  cmd->add_option("--system", c->system, "with --chat: a system message before the prompt");
  cmd->add_option("--chat-template", c->chat_template,
                  "with --chat: a Jinja chat template file to use instead of the model's");
  cmd->add_option("--grammar", c->grammar_file, "constrain the output to a GBNF grammar file");
  cmd->add_option("--json-schema", c->json_schema_file,
                  "constrain the output to JSON valid under this JSON Schema file");
  cmd->add_option("--regex", c->regex, "constrain the output to text matching this regex");
  cmd->callback([c] { run_generate(*c); });
}

}  // namespace

LLMKIT_REGISTER_COMMAND(600, register_generate)

}  // namespace llmkit::cli
