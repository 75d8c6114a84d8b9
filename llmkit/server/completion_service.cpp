#include "llmkit/server/completion_service.h"

#include <cstdio>
#include <ctime>
#include <random>

#include "llmkit/base/error.h"
#include "llmkit/infer/json_schema_grammar.h"
#include "llmkit/rag/qa_prompt.h"
#include "llmkit/server/openai_request.h"
#include "llmkit/server/openai_response.h"

namespace llmkit::server {

std::string new_response_id(const std::string& prefix) {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  char hex[32];
  std::snprintf(hex, sizeof hex, "%016llx%08llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng() & 0xffffffffULL));
  return prefix + "-" + hex;
}

CompletionService::CompletionService(std::shared_ptr<const infer::Model> model, Engine& engine,
                                     ServiceOptions options)
    : model_(std::move(model)),
      engine_(engine),
      options_(std::move(options)),
      formatter_(model_, options_.chat_template) {
  if (options_.embed_model_id.empty()) options_.embed_model_id = options_.model_id;
}

std::vector<std::string> CompletionService::model_ids() const {
  std::vector<std::string> ids{options_.model_id};
  if (options_.embed_model_id != options_.model_id) ids.push_back(options_.embed_model_id);
  return ids;
}

std::shared_ptr<const infer::TokenTrie> CompletionService::trie() {
  std::lock_guard lock(mutex_);
  if (!trie_) trie_ = infer::TokenTrie::build(model_->require_tokenizer());
  return trie_;
}

std::shared_ptr<const infer::Grammar> CompletionService::grammar_for(const nlohmann::json& schema) {
  const std::string key = schema.dump();
  {
    std::lock_guard lock(mutex_);
    auto it = grammars_.find(key);
    if (it != grammars_.end()) return it->second;
  }
  std::shared_ptr<const infer::Grammar> g;
  try {
    g = infer::Grammar::parse(infer::json_schema_to_gbnf(nlohmann::ordered_json::parse(key)));
  } catch (const Error& e) {
    throw ApiError(
        400, "invalid_request_error", "invalid_schema", "response_format",
        std::string("the JSON schema cannot be used to constrain the output: ") + e.what());
  }
  std::lock_guard lock(mutex_);
  grammars_.emplace(key, g);
  return g;
}

std::vector<SourceRef> CompletionService::retrieve(GenerationRequest& request) const {
  if (!options_.retriever) {
    throw ApiError(400, "invalid_request_error", "rag_unavailable", "rag",
                   "this server has no document index; start it with --rag-db DIR to use \"rag\"");
  }
  chain::ChatMessage* question = nullptr;
  for (auto it = request.messages.rbegin(); it != request.messages.rend(); ++it) {
    if (it->role == "user") {
      question = &*it;
      break;
    }
  }
  if (question == nullptr) {
    throw ApiError(400, "invalid_request_error", "", "messages",
                   "\"rag\" needs a user message to use as the query");
  }
  std::vector<rag::SearchHit> hits = options_.retriever->invoke(question->content);
  const int64_t k = std::min(request.rag_top_k, options_.max_rag_top_k);
  if (static_cast<int64_t>(hits.size()) > k) hits.resize(static_cast<size_t>(k));
  std::vector<SourceRef> sources;
  std::vector<rag::QaSource> qa;
  for (const rag::SearchHit& hit : hits) {
    SourceRef s;
    s.id = std::to_string(hit.chunk_id);
    s.source = hit.chunk.source;
    s.title = hit.title;
    s.text = hit.chunk.text;
    s.score = hit.score;
    sources.push_back(s);
    qa.push_back({hit.chunk.text});
  }
  question->content = rag::qa_user_message(question->content, qa);
  return sources;
}

std::shared_ptr<RunningRequest> CompletionService::start(GenerationRequest request) {
  if (!request.model.empty() && request.model != options_.model_id) {
    throw ApiError(404, "invalid_request_error", "model_not_found", "model",
                   "the model '" + request.model + "' does not exist; this server serves '" +
                       options_.model_id + "' (GET /v1/models)");
  }
  auto running = std::make_shared<RunningRequest>();
  running->id = new_response_id(request.chat ? "chatcmpl" : "cmpl");
  running->created = static_cast<int64_t>(std::time(nullptr));
  if (request.chat && request.rag) running->sources = retrieve(request);

  const tokenizer::Tokenizer& tok = model_->require_tokenizer();
  const bool tools_on =
      request.chat && !request.tools.empty() && request.tool_choice != ToolChoice::kNone;
  std::vector<int32_t> prompt;
  infer::GenerateOptions options;
  if (request.chat) {
    prompt = formatter_.encode(request.messages,
                               tools_on ? request.tools : std::vector<chain::ToolSpec>{});
    options.stop_tokens = formatter_.stop_tokens();
    options.stop_strings = formatter_.stop_strings();
  } else {
    prompt = tok.encode(request.prompt, /*add_bos=*/true, /*parse_special=*/false);
    if (prompt.empty()) {
      throw ApiError(400, "invalid_request_error", "", "prompt",
                     "the prompt is empty and the tokenizer adds no BOS; give some text");
    }
  }
  for (const std::string& s : request.stop) options.stop_strings.push_back(s);
  if (request.ignore_eos) options.stop_tokens = std::vector<int32_t>{};
  const int64_t n_ctx = engine_.options().n_ctx;
  const int64_t prompt_tokens = static_cast<int64_t>(prompt.size());
  const int64_t want = request.max_tokens.value_or(0);
  if (prompt_tokens + std::max<int64_t>(want, 1) > n_ctx) {
    throw context_length_error(n_ctx, prompt_tokens, want, request.chat);
  }
  options.max_tokens = request.max_tokens.value_or(-1);
  options.sampler.temperature = request.temperature;
  options.sampler.top_p = request.top_p;
  options.sampler.top_k = request.top_k;
  options.sampler.min_p = request.min_p;
  options.sampler.repeat_penalty = 1.0f;
  options.sampler.frequency_penalty = request.frequency_penalty;
  options.sampler.presence_penalty = request.presence_penalty;
  std::optional<nlohmann::json> schema = request.json_schema;
  if (tools_on && (request.tool_choice == ToolChoice::kRequired ||
                   request.tool_choice == ToolChoice::kFunction)) {
    schema = tool_call_schema(request.tools, request.tool_choice, request.tool_choice_name,
                              request.parallel_tool_calls);
  }
  if (schema) {
    options.grammar = grammar_for(*schema);
    options.token_trie = trie();
  }

  const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
  const uint64_t base_seed = request.seed ? *request.seed : std::random_device{}();
  running->prompt_tokens = prompt_tokens;
  const std::string prefix = request.echo ? request.prompt : "";
  for (int64_t i = 0; i < request.n; ++i) {
    JobSpec spec;
    spec.prompt = prompt;
    spec.options = options;
    spec.options.sampler.seed = base_seed + static_cast<uint64_t>(i);
    spec.top_logprobs = request.logprobs ? request.top_logprobs : -1;
    spec.deadline = deadline;
    try {
      running->jobs.push_back(engine_.submit(std::move(spec)));
    } catch (...) {
      running->cancel();
      throw;
    }
    running->choices.emplace_back(i, request.chat, tools_on, prefix);
  }
  running->request = std::move(request);
  return running;
}

nlohmann::json CompletionService::wait_response(RunningRequest& running) {
  std::vector<ChoiceResult> results;
  Usage usage;
  usage.prompt_tokens = running.prompt_tokens;
  for (size_t i = 0; i < running.jobs.size(); ++i) {
    JobEvent event;
    for (;;) {
      if (!running.jobs[i]->next(event, std::chrono::milliseconds(1000))) continue;
      if (!event.done) {
        running.choices[i].add(event);
        continue;
      }
      break;
    }
    if (event.stop_reason == "timeout") {
      running.cancel();
      throw ApiError(408, "timeout_error", "timeout", "",
                     "the request ran past the server's time limit (--timeout)");
    }
    if (event.stop_reason == "error" || event.stop_reason == "cancelled") {
      running.cancel();
      throw ApiError(
          500, "server_error", "", "",
          "generation failed: " + (event.error.empty() ? event.stop_reason : event.error));
    }
    usage.completion_tokens += event.generated_tokens;
    usage.cached_tokens = std::max(usage.cached_tokens, event.cached_tokens);
    results.push_back(running.choices[i].finish(event, nullptr));
  }
  const std::vector<SourceRef>* sources = running.request.rag ? &running.sources : nullptr;
  return running.request.chat ? chat_completion_json(running.id, options_.model_id, running.created,
                                                     results, usage, sources)
                              : completion_json(running.id, options_.model_id, running.created,
                                                results, usage, sources);
}

nlohmann::json CompletionService::embed(const EmbeddingRequest& request) const {
  if (!request.model.empty() && request.model != options_.embed_model_id &&
      request.model != options_.model_id) {
    throw ApiError(404, "invalid_request_error", "model_not_found", "model",
                   "the model '" + request.model + "' does not exist; this server embeds with '" +
                       options_.embed_model_id + "' (GET /v1/models)");
  }
  if (!options_.embeddings) {
    throw ApiError(400, "invalid_request_error", "embeddings_unavailable", "",
                   "this server has no embedding model; start it with --embed-model M");
  }
  if (request.dimensions && *request.dimensions != options_.embeddings->dim()) {
    throw ApiError(400, "invalid_request_error", "", "dimensions",
                   "this embedding model gives " + std::to_string(options_.embeddings->dim()) +
                       " dimensions; omit \"dimensions\" or ask for exactly that");
  }
  std::vector<std::vector<float>> vectors = options_.embeddings->embed(request.input);
  int64_t tokens = 0;
  const tokenizer::Tokenizer& tok = model_->require_tokenizer();
  for (const std::string& text : request.input) {
    tokens += static_cast<int64_t>(tok.encode(text).size());
  }
  return embeddings_json(options_.embed_model_id, vectors, request.base64, tokens);
}

}  // namespace llmkit::server
