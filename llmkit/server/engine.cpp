// Engine: the scheduler loop. One step:
//   1. admit queued jobs into free slots (longest shared prefix, else least recently used);
//   2. per busy slot: end it when cancelled or past its deadline; else either the next prompt
//      chunk (prefill, from a budget of prefill_chunk tokens per step over all slots) or one
//      sampled token from the logits of its last step (TokenGeneration), streamed as an event;
//   3. one BatchDecoder step over every slot's input; each slot keeps its row of logits.
#include "llmkit/server/engine.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

#include "llmkit/base/context.h"
#include "llmkit/base/error.h"
#include "llmkit/base/timer.h"
#include "llmkit/infer/batch_decoder.h"
#include "llmkit/infer/session.h"
#include "llmkit/infer/token_generation.h"

namespace llmkit::server {

using Clock = std::chrono::steady_clock;

bool JobHandle::next(JobEvent& event, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  if (!ready_.wait_for(lock, timeout, [&] { return !events_.empty(); })) return false;
  event = std::move(events_.front());
  events_.pop_front();
  return true;
}

void JobHandle::push(JobEvent event) {
  {
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(event));
  }
  ready_.notify_all();
}

struct Engine::Job {
  JobSpec spec;
  JobHandlePtr handle = std::make_shared<JobHandle>();
  std::unique_ptr<infer::Sampler> sampler;
  std::unique_ptr<infer::TokenGeneration> generation;
  int64_t cached = 0;
};

struct Engine::Slot {
  Slot(std::shared_ptr<const infer::Model> model, const infer::SessionOptions& options)
      : session(std::move(model), options) {}
  infer::Session session;
  std::vector<int32_t> tokens;  // what the session holds, position 0 first
  std::shared_ptr<Job> job;
  int64_t prefilled = 0;      // prompt tokens the session holds for the job
  std::vector<float> logits;  // [V] of the session's last token
  uint64_t last_used = 0;
};

struct Engine::Batch {
  Batch(std::shared_ptr<const infer::Model> model, int64_t rows, int threads)
      : decoder(std::move(model), rows, threads) {}
  infer::BatchDecoder decoder;
};

namespace {

// The sampled token's log-probability under softmax(logits) and the top alternatives.
TokenLogprob token_logprob(const tokenizer::Tokenizer& tok, std::span<const float> logits,
                           int32_t token, int64_t top) {
  const float max = *std::max_element(logits.begin(), logits.end());
  double sum = 0.0;
  for (float x : logits) sum += std::exp(static_cast<double>(x - max));
  const float lse = max + static_cast<float>(std::log(sum));
  TokenLogprob out;
  out.token = tok.token_to_piece(token);
  out.logprob = logits[token] - lse;
  if (top > 0) {
    std::vector<int32_t> ids(logits.size());
    std::iota(ids.begin(), ids.end(), 0);
    const int64_t k = std::min<int64_t>(top, static_cast<int64_t>(ids.size()));
    std::partial_sort(ids.begin(), ids.begin() + k, ids.end(),
                      [&](int32_t a, int32_t b) { return logits[a] > logits[b]; });
    for (int64_t i = 0; i < k; ++i) {
      out.top.emplace_back(tok.token_to_piece(ids[i]), logits[ids[i]] - lse);
    }
  }
  return out;
}

int64_t common_prefix(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  const size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return static_cast<int64_t>(i);
}

}  // namespace

Engine::Engine(std::shared_ptr<const infer::Model> model, const EngineOptions& options)
    : model_(std::move(model)), options_(options), sampling_(options.n_threads) {
  LLMKIT_CHECK(model_ != nullptr, "Engine: the model is null");
  LLMKIT_CHECK(options_.slots >= 1, "serve: --slots must be >= 1, got ", options_.slots);
  LLMKIT_CHECK(options_.max_queue >= 0, "serve: --max-queue must be >= 0, got ",
               options_.max_queue);
  LLMKIT_CHECK(options_.prefill_chunk >= 1, "serve: the prefill chunk must be >= 1");
  model_->require_tokenizer();
  infer::SessionOptions session;
  session.n_ctx = options_.n_ctx;
  session.n_batch = options_.prefill_chunk;
  session.n_threads = 1;  // the batch decoder runs the steps on its own threads
  session.kv_type = options_.kv_type;
  for (int i = 0; i < options_.slots; ++i) {
    slots_.push_back(std::make_unique<Slot>(model_, session));
  }
  options_.n_ctx = slots_[0]->session.n_ctx();
  batch_ =
      std::make_unique<Batch>(model_, options_.slots + options_.prefill_chunk, options_.n_threads);
  stats_.slots_total = options_.slots;
  thread_ = std::thread([this] { run(); });
}

Engine::~Engine() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    closed_ = true;
    for (auto& job : queue_) job->handle->cancel();
    for (auto& slot : slots_) {
      if (slot->job) slot->job->handle->cancel();
    }
  }
  wake_.notify_all();
  thread_.join();
}

JobHandlePtr Engine::submit(JobSpec spec) {
  LLMKIT_CHECK(!spec.prompt.empty(), "Engine::submit: the prompt is empty");
  const int64_t n = static_cast<int64_t>(spec.prompt.size());
  if (n >= options_.n_ctx) {
    throw ApiError(400, "invalid_request_error", "context_length_exceeded", "messages",
                   str_cat("the prompt is ", n, " tokens but the context holds ", options_.n_ctx,
                           " (one more is needed for the answer); shorten it or start the "
                           "server with a larger --ctx"));
  }
  auto job = std::make_shared<Job>();
  job->spec = std::move(spec);
  {
    std::lock_guard lock(mutex_);
    if (closed_) {
      throw ApiError(503, "server_error", "shutting_down", "",
                     "the server is shutting down and takes no new requests");
    }
    const int64_t free_slots = options_.slots - busy_;
    if (static_cast<int64_t>(queue_.size()) >= options_.max_queue + free_slots) {
      throw ApiError(429, "rate_limit_error", "rate_limit_exceeded", "",
                     str_cat("too many requests: ", queue_.size(), " are already waiting for ",
                             options_.slots, " slot(s); retry later"));
    }
    queue_.push_back(job);
    stats_.queue_length = static_cast<int64_t>(queue_.size());
  }
  wake_.notify_all();
  return job->handle;
}

void Engine::shutdown(std::chrono::milliseconds grace) {
  std::unique_lock lock(mutex_);
  closed_ = true;
  auto idle = [&] { return queue_.empty() && busy_ == 0; };
  if (!wake_.wait_for(lock, grace, idle)) {
    for (auto& job : queue_) job->handle->cancel();
    for (auto& slot : slots_) {
      if (slot->job) slot->job->handle->cancel();
    }
    wake_.notify_all();
    wake_.wait(lock, idle);
  }
}

EngineStats Engine::stats() const {
  std::lock_guard lock(mutex_);
  EngineStats s = stats_;
  s.queue_length = static_cast<int64_t>(queue_.size());
  s.slots_busy = busy_;
  return s;
}

void Engine::run() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty() || busy_ > 0; });
      if (stopping_ && busy_ == 0) {
        for (auto& job : queue_) {
          JobEvent end;
          end.done = true;
          end.stop_reason = "cancelled";
          job->handle->push(end);
        }
        queue_.clear();
        return;
      }
    }
    admit();
    step();
  }
}

void Engine::admit() {
  const tokenizer::Tokenizer& tok = model_->require_tokenizer();
  (void)tok;
  std::vector<std::pair<Slot*, std::shared_ptr<Job>>> admitted;
  {
    std::lock_guard lock(mutex_);
    while (!queue_.empty() && busy_ < options_.slots) {
      std::shared_ptr<Job> job = queue_.front();
      queue_.pop_front();
      const auto& prompt = job->spec.prompt;
      Slot* best = nullptr;
      int64_t best_prefix = -1;
      for (auto& slot : slots_) {
        if (slot->job) continue;
        const int64_t p = common_prefix(slot->tokens, prompt);
        if (p > best_prefix || (p == best_prefix && slot->last_used < best->last_used)) {
          best = slot.get();
          best_prefix = p;
        }
      }
      best->job = job;
      ++busy_;
      admitted.emplace_back(best, job);
    }
    stats_.queue_length = static_cast<int64_t>(queue_.size());
  }
  for (auto& [slot, job] : admitted) {
    const auto& prompt = job->spec.prompt;
    try {
      // At least the prompt's last token is decoded again: its logits start the answer.
      const int64_t keep = std::min<int64_t>(common_prefix(slot->tokens, prompt),
                                             static_cast<int64_t>(prompt.size()) - 1);
      slot->session.truncate(std::min<int64_t>(keep, slot->session.position()));
      slot->tokens.resize(static_cast<size_t>(slot->session.position()));
      slot->prefilled = slot->session.position();
      job->cached = slot->prefilled;
      job->sampler =
          std::make_unique<infer::Sampler>(job->spec.options.sampler, model_->config().n_vocab);
      job->generation =
          std::make_unique<infer::TokenGeneration>(*model_, job->spec.options, *job->sampler);
      job->generation->accept_prompt(prompt);
    } catch (const std::exception& e) {
      JobEvent end;
      end.done = true;
      end.stop_reason = "error";
      end.error = e.what();
      job->handle->push(end);
      std::lock_guard lock(mutex_);
      slot->job = nullptr;
      --busy_;
      wake_.notify_all();
    }
  }
}

bool Engine::step() {
  const tokenizer::Tokenizer& tok = model_->require_tokenizer();
  const auto now = Clock::now();
  std::vector<Slot*> finished;  // with the reason set on their generation
  std::vector<Slot*> rows;
  std::vector<infer::Session*> sessions;
  std::vector<std::span<const int32_t>> inputs;
  std::vector<int32_t> sampled(slots_.size());
  int64_t budget = options_.prefill_chunk;
  std::vector<size_t> to_sample;  // slots whose next token is drawn this step

  auto end_job = [&](Slot* slot, const std::string& reason, const std::string& error = "") {
    Job& job = *slot->job;
    job.generation->stop(reason);
    const std::string rest = job.generation->finish();
    if (!rest.empty()) {
      JobEvent text;
      text.text = rest;
      job.handle->push(std::move(text));
    }
    const infer::GenerateStats& st = job.generation->stats();
    JobEvent end;
    end.done = true;
    end.stop_reason = st.stop_reason;
    end.error = error;
    end.prompt_tokens = static_cast<int64_t>(job.spec.prompt.size());
    end.cached_tokens = job.cached;
    end.generated_tokens = st.generated_tokens;
    job.handle->push(std::move(end));
    std::lock_guard lock(mutex_);
    stats_.prompt_tokens += end.prompt_tokens;
    stats_.cached_tokens += end.cached_tokens;
    stats_.generated_tokens += end.generated_tokens;
    slot->job = nullptr;
    slot->last_used = ++clock_;
    --busy_;
    wake_.notify_all();  // shutdown() waits for the engine to go idle
  };

  for (size_t i = 0; i < slots_.size(); ++i) {
    Slot* slot = slots_[i].get();
    if (!slot->job) continue;
    Job& job = *slot->job;
    if (job.handle->cancelled()) {
      end_job(slot, "cancelled");
      continue;
    }
    if (now > job.spec.deadline) {
      end_job(slot, "timeout");
      continue;
    }
    const auto& prompt = job.spec.prompt;
    const int64_t remaining = static_cast<int64_t>(prompt.size()) - slot->prefilled;
    if (remaining > 0) {
      const int64_t n = std::min(remaining, budget);
      if (n == 0) continue;  // waits for the next step's budget
      budget -= n;
      rows.push_back(slot);
      sessions.push_back(&slot->session);
      inputs.push_back(std::span(prompt).subspan(slot->prefilled, n));
      continue;
    }
    to_sample.push_back(i);
  }
  // Sampling (and logprobs) of the generating slots, in parallel: each touches only its own job.
  std::vector<infer::GenerationStep> next(slots_.size());
  std::vector<std::optional<TokenLogprob>> logprob(slots_.size());
  std::vector<std::string> failure(slots_.size());
  {
    Context::Scope scope(sampling_);
    parallel_for(static_cast<int64_t>(to_sample.size()), [&](int64_t begin, int64_t end) {
      for (int64_t k = begin; k < end; ++k) {
        const size_t i = to_sample[k];
        Slot* slot = slots_[i].get();
        Job& job = *slot->job;
        try {
          next[i] = job.generation->next(slot->logits, slot->session.position(), options_.n_ctx);
          if (next[i].token >= 0 && job.spec.top_logprobs >= 0) {
            logprob[i] = token_logprob(tok, slot->logits, next[i].token, job.spec.top_logprobs);
          }
        } catch (const std::exception& e) {
          failure[i] = e.what();
          if (failure[i].empty()) failure[i] = "unknown error";
        }
      }
    });
  }
  for (size_t i : to_sample) {
    Slot* slot = slots_[i].get();
    Job& job = *slot->job;
    if (!failure[i].empty()) {
      end_job(slot, "error", failure[i]);
      continue;
    }
    if (next[i].token >= 0) {
      JobEvent event;
      event.text = std::move(next[i].text);
      event.token = next[i].token;
      event.logprob = std::move(logprob[i]);
      job.handle->push(std::move(event));
    }
    if (next[i].done) {
      end_job(slot, job.generation->stats().stop_reason);
      continue;
    }
    sampled[i] = next[i].token;
    rows.push_back(slot);
    sessions.push_back(&slot->session);
    inputs.push_back(std::span(&sampled[i], 1));
  }
  if (rows.empty()) return false;

  Timer timer;
  std::span<const float> logits;
  try {
    logits = batch_->decoder.decode(sessions, inputs);
  } catch (const std::exception& e) {
    for (Slot* slot : rows) end_job(slot, "error", e.what());
    return true;
  }
  const int64_t V = model_->config().n_vocab;
  for (size_t r = 0; r < rows.size(); ++r) {
    Slot* slot = rows[r];
    slot->logits.assign(logits.begin() + r * V, logits.begin() + (r + 1) * V);
    slot->tokens.insert(slot->tokens.end(), inputs[r].begin(), inputs[r].end());
    if (slot->prefilled < static_cast<int64_t>(slot->job->spec.prompt.size())) {
      slot->prefilled += static_cast<int64_t>(inputs[r].size());
    }
  }
  std::lock_guard lock(mutex_);
  stats_.steps += 1;
  stats_.decode_seconds += timer.seconds();
  if (busy_ == 0 && queue_.empty()) wake_.notify_all();
  return true;
}

}  // namespace llmkit::server
