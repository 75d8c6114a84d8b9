// QaChain: retrieval-augmented question answering with citations.
//
//   question (+ history) -> [condense with the history, when there is one] -> retriever -> the
//   top sources, numbered [1]..[k], in qa_user_message (qa_prompt.h) -> chat model -> the answer
//   parsed for its [n] citations -> QaResult (answer, cited numbers, the sources with their byte
//   offsets in their documents).
//
// Abstention: the chain answers kNoAnswer without calling the model when no source is found or
// every source scores below min_score (when set); the model may abstain itself (the prompt asks
// it to). Citations that name no listed source are dropped (and counted in invalid_citations).
//
// Conversational mode: with a non-empty history the follow-up question is first rewritten into a
// standalone question by the chat model (condense_prompt), and the rewritten question is what is
// retrieved and asked; the original stays in QaResult::question.
//
// Streaming: stream() emits the model's text as it is produced (chunks carrying raw_answer
// deltas only); the last chunk carries answer, citations and sources. Thread-safe as every
// Runnable: immutable once built.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "llmkit/chain/chat_model.h"
#include "llmkit/chain/message.h"
#include "llmkit/chain/runnable.h"
#include "llmkit/rag/retriever.h"

namespace llmkit::rag {

struct QaRequest {
  std::string question;
  chain::Messages history;  // earlier turns (user/assistant), oldest first; may be empty
};

struct QaResult {
  std::string question;             // as asked
  std::string standalone_question;  // what was retrieved and asked (== question without history)
  std::string answer;               // the model's answer with its [n] markers removed, trimmed
  std::string raw_answer;           // the model's text as generated
  std::vector<int> citations;       // cited source numbers (1-based, ascending, unique, valid)
  int invalid_citations = 0;        // [n] markers naming no listed source
  bool abstained = false;           // kNoAnswer (by the chain or the model)
  std::vector<SearchHit> sources;   // the numbered sources, [1] first
};

}  // namespace llmkit::rag

namespace llmkit::chain {
// Stream chunks of a QaResult: raw_answer and answer concatenate; the other fields take the
// last chunk's non-empty values.
template <>
struct ChunkTraits<rag::QaResult> {
  static void append(rag::QaResult& acc, const rag::QaResult& chunk) {
    acc.answer += chunk.answer;
    acc.raw_answer += chunk.raw_answer;
    if (!chunk.question.empty()) acc.question = chunk.question;
    if (!chunk.standalone_question.empty()) acc.standalone_question = chunk.standalone_question;
    if (!chunk.citations.empty()) acc.citations = chunk.citations;
    if (chunk.invalid_citations) acc.invalid_citations = chunk.invalid_citations;
    if (chunk.abstained) acc.abstained = true;
    if (!chunk.sources.empty()) acc.sources = chunk.sources;
  }
};
}  // namespace llmkit::chain

namespace llmkit::rag {

struct QaOptions {
  int k = 3;                           // sources given to the model
  std::size_t max_source_bytes = 600;  // a longer source text is cut (at a UTF-8 boundary)
  std::optional<double> min_score;     // abstain when every hit scores below this
  std::string condense_prompt =
      "Rewrite the follow-up question as one standalone question that can be understood "
      "without the conversation. Answer with the question only.";
};

class QaChain : public chain::Runnable<QaRequest, QaResult> {
 public:
  QaChain(RetrieverPtr retriever, chain::ChatModelPtr model, QaOptions options = {});
  std::string name() const override { return "QaChain"; }

  // The user message the model is given for a question and its sources (for tests and tools).
  std::string prompt_for(const std::string& question, const std::vector<SearchHit>& hits) const;

 protected:
  QaResult invoke_impl(const QaRequest& request, chain::RunContext& ctx) const override;
  QaResult stream_impl(const QaRequest& request,
                       const std::function<void(const QaResult&)>& on_chunk,
                       chain::RunContext& ctx) const override;

 private:
  QaResult run(const QaRequest& request, chain::RunContext& ctx,
               const std::function<void(const QaResult&)>* on_chunk) const;
  std::string condense(const QaRequest& request, chain::RunContext& ctx) const;

  RetrieverPtr retriever_;
  chain::ChatModelPtr model_;
  QaOptions options_;
};

// Fills `result` from the model's raw answer and the number of listed sources: answer without
// markers, valid citations, invalid count, abstention.
void interpret_answer(const std::string& raw, int n_sources, QaResult& result);

}  // namespace llmkit::rag
