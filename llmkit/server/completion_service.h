// CompletionService: turns validated requests into engine jobs and their events into OpenAI
// responses — the model-facing half of the server (http_server.h is the wire-facing half).
//
//   chat:        messages (+ tools unless tool_choice is "none") -> the model's chat template
//                (chain::ChatFormatter) -> prompt tokens; stop at the template's end tokens and
//                stop strings plus the request's "stop".
//   completions: prompt text -> tokens (BOS by the tokenizer's policy); stop at EOS / end of turn.
//   Output constraints: response_format's JSON schema, or with tool_choice "required" / a named
//   function the forced-call schema (openai_request.h tool_call_schema), compiled to a grammar
//   once per distinct schema.
//   n choices = n jobs; with a seed, choice i samples with seed + i.
//   RAG (with a retriever): the last user message is the query; its content becomes the QA prompt
//   over the retrieved chunks (rag/qa_prompt.h) and the chunks are returned as sources.
// Thread-safe (many HTTP threads call it at once).
#pragma once
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "llmkit/chain/chat_formatter.h"
#include "llmkit/chain/chat_model.h"
#include "llmkit/infer/grammar.h"
#include "llmkit/infer/token_constraint.h"
#include "llmkit/rag/retriever.h"
#include "llmkit/server/api_types.h"
#include "llmkit/server/choice_builder.h"
#include "llmkit/server/engine.h"

namespace llmkit::server {

struct ServiceOptions {
  std::string model_id;                        // the served model's id
  std::string embed_model_id;                  // the embedding model's id ("" = model_id)
  std::chrono::milliseconds timeout{600'000};  // per request
  rag::RetrieverPtr retriever;                 // null: no RAG
  int64_t max_rag_top_k = 16;
  std::shared_ptr<const chain::Embeddings> embeddings;  // null: no /v1/embeddings
  std::string chat_template;                            // "" = the model's
};

// A request whose jobs run in the engine.
struct RunningRequest {
  GenerationRequest request;
  std::string id;  // "chatcmpl-..." / "cmpl-..."
  int64_t created = 0;
  std::vector<JobHandlePtr> jobs;      // one per choice
  std::vector<ChoiceBuilder> choices;  // one per choice
  std::vector<SourceRef> sources;      // RAG
  int64_t prompt_tokens = 0;
  void cancel() {
    for (auto& job : jobs) job->cancel();
  }
};

class CompletionService {
 public:
  CompletionService(std::shared_ptr<const infer::Model> model, Engine& engine,
                    ServiceOptions options);

  // Plans and submits. Throws ApiError (unknown model 404, context overflow 400, queue full 429).
  std::shared_ptr<RunningRequest> start(GenerationRequest request);
  // Waits for every choice to end and returns the response object (chat.completion or
  // text_completion). Throws ApiError 408 on a timeout, 500 on a generation error.
  nlohmann::json wait_response(RunningRequest& running);

  // Embeddings of the request's inputs. Throws ApiError (404 unknown model, 400 when the server
  // has no embedding model).
  nlohmann::json embed(const EmbeddingRequest& request) const;

  bool has_rag() const { return options_.retriever != nullptr; }
  const ServiceOptions& options() const { return options_; }
  std::vector<std::string> model_ids() const;

 private:
  std::shared_ptr<const infer::Grammar> grammar_for(const nlohmann::json& schema);
  std::shared_ptr<const infer::TokenTrie> trie();
  std::vector<SourceRef> retrieve(GenerationRequest& request) const;

  std::shared_ptr<const infer::Model> model_;
  Engine& engine_;
  ServiceOptions options_;
  chain::ChatFormatter formatter_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const infer::Grammar>> grammars_;
  std::shared_ptr<const infer::TokenTrie> trie_;
};

// A fresh id "<prefix>-<24 hex digits>".
std::string new_response_id(const std::string& prefix);

}  // namespace llmkit::server
