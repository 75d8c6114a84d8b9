#include "llmkit/rag/qa_chain.h"

#include <algorithm>
#include <set>
#include <utility>

#include "llmkit/base/error.h"
#include "llmkit/base/utf8.h"
#include "llmkit/rag/qa_prompt.h"

namespace llmkit::rag {
namespace {

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  const auto last = s.find_last_not_of(" \t\r\n");
  return s.substr(first, last - first + 1);
}

std::string render_history(const chain::Messages& history) {
  std::string out;
  for (const auto& m : history) {
    out += (m.role == "assistant" ? "Assistant: " : "User: ");
    out += m.content;
    out += '\n';
  }
  return out;
}

}  // namespace

void interpret_answer(const std::string& raw, int n_sources, QaResult& result) {
  const ParsedAnswer parsed = parse_qa_answer(raw);
  result.raw_answer = raw;
  result.abstained = parsed.abstained;
  result.answer = trim(parsed.answer);
  std::set<int> valid;
  result.invalid_citations = 0;
  for (int n : parsed.citations) {
    if (n >= 1 && n <= n_sources) {
      valid.insert(n);
    } else {
      ++result.invalid_citations;
    }
  }
  result.citations.assign(valid.begin(), valid.end());
}

QaChain::QaChain(RetrieverPtr retriever, chain::ChatModelPtr model, QaOptions options)
    : retriever_(std::move(retriever)), model_(std::move(model)), options_(std::move(options)) {
  LLMKIT_CHECK_CODE(retriever_ != nullptr, ErrorCode::kInvalidArgument,
                    "QaChain: no retriever given");
  LLMKIT_CHECK_CODE(model_ != nullptr, ErrorCode::kInvalidArgument, "QaChain: no chat model given");
  LLMKIT_CHECK_CODE(options_.k >= 1, ErrorCode::kInvalidArgument,
                    "QaChain: k must be at least 1 (got ", options_.k, ")");
}

std::string QaChain::prompt_for(const std::string& question,
                                const std::vector<SearchHit>& hits) const {
  std::vector<QaSource> sources;
  sources.reserve(hits.size());
  for (const auto& hit : hits) {
    sources.push_back(QaSource{
        hit.chunk.text.substr(0, utf8_prefix_length(hit.chunk.text, options_.max_source_bytes))});
  }
  return qa_user_message(question, sources);
}

std::string QaChain::condense(const QaRequest& request, chain::RunContext& ctx) const {
  if (request.history.empty()) return request.question;
  chain::Messages messages = {
      chain::system_message(options_.condense_prompt),
      chain::user_message("Conversation:\n" + render_history(request.history) +
                          "\nFollow-up question: " + request.question + "\nStandalone question:")};
  const std::string rewritten = trim(model_->invoke(messages, ctx.child_config()).content);
  // A model that answers nothing usable leaves the question as asked.
  return rewritten.empty() ? request.question : rewritten;
}

QaResult QaChain::run(const QaRequest& request, chain::RunContext& ctx,
                      const std::function<void(const QaResult&)>* on_chunk) const {
  LLMKIT_CHECK_CODE(!trim(request.question).empty(), ErrorCode::kInvalidArgument,
                    "QaChain: the question is empty");
  QaResult result;
  result.question = request.question;
  result.standalone_question = condense(request, ctx);

  std::vector<SearchHit> hits = retriever_->invoke(result.standalone_question, ctx.child_config());
  if (static_cast<int>(hits.size()) > options_.k) hits.resize(options_.k);
  const bool all_below =
      options_.min_score && std::all_of(hits.begin(), hits.end(), [&](const SearchHit& h) {
        return h.score < *options_.min_score;
      });
  if (hits.empty() || all_below) {
    result.raw_answer = kNoAnswer;
    result.answer = kNoAnswer;
    result.abstained = true;
    if (on_chunk) (*on_chunk)(result);
    return result;
  }
  result.sources = hits;

  const chain::Messages messages = {
      chain::user_message(prompt_for(result.standalone_question, hits))};
  std::string raw;
  if (on_chunk) {
    raw = model_
              ->stream(
                  messages,
                  [&](const chain::ChatMessage& chunk) {
                    if (chunk.content.empty()) return;
                    QaResult delta;
                    delta.raw_answer = chunk.content;
                    (*on_chunk)(delta);
                  },
                  ctx.child_config())
              .content;
  } else {
    raw = model_->invoke(messages, ctx.child_config()).content;
  }
  interpret_answer(raw, static_cast<int>(hits.size()), result);
  if (on_chunk) {
    QaResult last = result;
    last.raw_answer.clear();  // already streamed
    (*on_chunk)(last);
  }
  return result;
}

QaResult QaChain::invoke_impl(const QaRequest& request, chain::RunContext& ctx) const {
  return run(request, ctx, nullptr);
}

QaResult QaChain::stream_impl(const QaRequest& request,
                              const std::function<void(const QaResult&)>& on_chunk,
                              chain::RunContext& ctx) const {
  return run(request, ctx, &on_chunk);
}

}  // namespace llmkit::rag
