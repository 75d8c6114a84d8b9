// `llmkit eval-qa -m MODEL --data sft_heldout.jsonl [-n N] [--max-tokens T] [--report F.json]`:
// reading-comprehension accuracy of a chat model on conversations written by `llmkit make-qa`.
// For each conversation, the model answers the messages before the last (assistant) one, greedily,
// in its chat format; both answers are read with rag::parse_qa_answer. Answerable questions
// (the gold answer cites a source) score SQuAD exact match and F1 (an abstention scores 0) and
// whether the first citation is the gold source; unanswerable ones score whether the model
// abstained. Prints the figures; --report writes them and every answer as JSON.
#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/model_args.h"
#include "llmkit/base/atomic_file.h"
#include "llmkit/chain/local_chat_model.h"
#include "llmkit/rag/qa_metrics.h"
#include "llmkit/rag/qa_prompt.h"

namespace llmkit::cli {
namespace {
using json = nlohmann::json;

struct EvalQaCommand {
  ModelArgs model;
  std::string data;
  std::string chat_template;
  int64_t n = 0;  // 0: all
  int64_t max_tokens = 32;
  std::string report;
};

void run_eval_qa(const EvalQaCommand& c) {
  auto model = load_model_for_inference(c.model);
  chain::LocalChatConfig config;
  config.session = session_options(*model, c.model);
  config.max_tokens = c.max_tokens;
  config.chat_template = read_chat_template(c.chat_template);
  chain::ChatOptions options;
  options.temperature = 0.0f;
  const chain::LocalChatModel chat(model, options, config);

  std::ifstream in(c.data);
  LLMKIT_CHECK_CODE(in.good(), ErrorCode::kNotFound, "eval-qa: cannot read --data '", c.data, "'");
  double em = 0, f1 = 0, cited = 0, abstained_right = 0, abstained_wrong = 0;
  int64_t answerable = 0, unanswerable = 0;
  json answers = json::array();
  std::string line;
  for (int64_t lineno = 1; std::getline(in, line) && (c.n <= 0 || lineno <= c.n); ++lineno) {
    json j = json::parse(line, nullptr, false);
    LLMKIT_CHECK(!j.is_discarded() && j.contains("messages"), "eval-qa: line ", lineno, " of '",
                 c.data, "' has no \"messages\"");
    auto messages = j["messages"].get<chain::Messages>();
    LLMKIT_CHECK(!messages.empty() && messages.back().role == "assistant", "eval-qa: line ", lineno,
                 " of '", c.data, "' does not end with the gold assistant answer");
    const rag::ParsedAnswer gold = rag::parse_qa_answer(messages.back().content);
    messages.pop_back();
    const std::string output = chat.invoke(messages).content;
    const rag::ParsedAnswer pred = rag::parse_qa_answer(output);
    json a = {{"line", lineno}, {"gold", j["messages"].back()["content"]}, {"output", output}};
    if (gold.abstained) {
      ++unanswerable;
      abstained_right += pred.abstained;
    } else {
      ++answerable;
      const double e = pred.abstained ? 0.0 : rag::exact_match(pred.answer, gold.answer);
      const double f = pred.abstained ? 0.0 : rag::token_f1(pred.answer, gold.answer);
      em += e;
      f1 += f;
      abstained_wrong += pred.abstained;
      const bool c_ok = !pred.citations.empty() && !gold.citations.empty() &&
                        pred.citations.front() == gold.citations.front();
      cited += c_ok;
      a["em"] = e;
      a["f1"] = f;
      a["cited_gold"] = c_ok;
    }
    answers.push_back(a);
  }
  auto share = [](double x, int64_t n) { return n > 0 ? x / static_cast<double>(n) : 0.0; };
  json summary = {{"model", c.model.model},
                  {"data", c.data},
                  {"answerable", answerable},
                  {"exact_match", share(em, answerable)},
                  {"f1", share(f1, answerable)},
                  {"cited_gold_source", share(cited, answerable)},
                  {"abstained_when_answerable", share(abstained_wrong, answerable)},
                  {"unanswerable", unanswerable},
                  {"abstained_when_unanswerable", share(abstained_right, unanswerable)}};
  std::printf(
      "eval-qa: %lld answerable: exact match %.1f%%, F1 %.1f%%, gold source cited %.1f%%, "
      "abstained %.1f%%; %lld unanswerable: abstained %.1f%%\n",
      static_cast<long long>(answerable), 100 * share(em, answerable), 100 * share(f1, answerable),
      100 * share(cited, answerable), 100 * share(abstained_wrong, answerable),
      static_cast<long long>(unanswerable), 100 * share(abstained_right, unanswerable));
  if (!c.report.empty()) {
    summary["answers"] = answers;
    write_file_atomic(c.report, summary.dump(2) + "\n");
  }
}

void register_eval_qa(CLI::App& app) {
  auto c = std::make_shared<EvalQaCommand>();
  auto* cmd = app.add_subcommand(
      "eval-qa", "Reading-comprehension accuracy of a chat model on make-qa conversations");
  add_model_args(*cmd, c->model);
  cmd->add_option("--data", c->data, "conversations (sft_heldout.jsonl of make-qa)")->required();
  cmd->add_option("--chat-template", c->chat_template, "Jinja chat template file");
  cmd->add_option("-n", c->n, "first N conversations (0: all)")->capture_default_str();
  cmd->add_option("--max-tokens", c->max_tokens, "answer length limit")->capture_default_str();
  cmd->add_option("--report", c->report, "write figures and answers to this JSON file");
  cmd->callback([c] { run_eval_qa(*c); });
}

}  // namespace

LLMKIT_REGISTER_COMMAND(705, register_eval_qa)

}  // namespace llmkit::cli
