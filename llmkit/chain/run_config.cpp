#include "llmkit/chain/run_config.h"

#include <functional>
#include <random>
#include <thread>

#include "llmkit/base/error.h"

namespace llmkit::chain {

std::string new_run_id() {
  thread_local std::mt19937_64 rng{
      std::random_device{}() ^ (uint64_t)std::hash<std::thread::id>{}(std::this_thread::get_id())};
  static const char* hex = "0123456789abcdef";
  std::string id(32, '0');
  uint64_t a = rng(), b = rng();
  for (int i = 0; i < 16; ++i) {
    id[i] = hex[(a >> (4 * i)) & 15];
    id[16 + i] = hex[(b >> (4 * i)) & 15];
  }
  return id;
}

RunContext::RunContext(RunConfig config, std::string run_id)
    : config_(std::move(config)), link_(std::make_shared<detail::RunLink>()) {
  link_->run_id = std::move(run_id);
  link_->parent = config_.parent;
  deadline_ = config_.deadline;
  if (config_.timeout) {
    auto own = std::chrono::steady_clock::now() + *config_.timeout;
    if (!deadline_ || own < *deadline_) deadline_ = own;
  }
}

const std::string& RunContext::parent_run_id() const {
  static const std::string empty;
  return config_.parent ? config_.parent->run_id : empty;
}

bool RunContext::cancelled() const {
  if (config_.cancel && config_.cancel->load()) return true;
  return deadline_ && std::chrono::steady_clock::now() >= *deadline_;
}

void RunContext::check_cancelled() const {
  if (config_.cancel && config_.cancel->load()) {
    throw_error(ErrorCode::kCancelled, "cancelled (RunConfig::cancel was set)");
  }
  if (deadline_ && std::chrono::steady_clock::now() >= *deadline_) {
    if (config_.timeout) {
      throw_error(ErrorCode::kCancelled,
                  str_cat("timed out after ", config_.timeout->count(),
                          " ms (RunConfig::timeout); raise the timeout or simplify the chain"));
    }
    throw_error(ErrorCode::kCancelled,
                "timed out: the enclosing run's timeout (RunConfig::timeout) has passed");
  }
}

void RunContext::add_tokens(int64_t prompt, int64_t completion) {
  for (detail::RunLink* link = link_.get(); link != nullptr; link = link->parent.get()) {
    link->prompt_tokens += prompt;
    link->completion_tokens += completion;
  }
}

TokenUsage RunContext::tokens() const {
  return TokenUsage{link_->prompt_tokens.load(), link_->completion_tokens.load()};
}

RunConfig RunContext::child_config() const {
  RunConfig child = config_;
  child.run_name.clear();
  child.timeout.reset();
  child.deadline = deadline_;
  child.parent = link_;
  return child;
}

}  // namespace llmkit::chain
