#include "llmkit/chain/runnable.h"

namespace llmkit::chain {

namespace {
std::string root_message_of(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const RunnableError& e) {
    return e.root_message();
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown exception";
  }
}
}  // namespace

RunnableError::RunnableError(ErrorCode code, std::string runnable, const std::string& inner_message,
                             std::exception_ptr cause)
    : Error(code, str_cat(runnable, ": ", inner_message)),
      runnable_(std::move(runnable)),
      cause_(std::move(cause)),
      root_message_(root_message_of(cause_)) {}

void ChunkTraits<nlohmann::json>::append(nlohmann::json& acc, const nlohmann::json& chunk) {
  if (acc.is_null()) {
    acc = chunk;
  } else if (acc.is_string() && chunk.is_string()) {
    acc.get_ref<std::string&>() += chunk.get_ref<const std::string&>();
  } else if (acc.is_array() && chunk.is_array()) {
    acc.insert(acc.end(), chunk.begin(), chunk.end());
  } else if (acc.is_object() && chunk.is_object()) {
    acc.update(chunk);
  } else {
    throw_error(ErrorCode::kInvalidArgument,
                str_cat("cannot combine JSON stream chunks of types ", acc.type_name(), " and ",
                        chunk.type_name(), "; chunks must be strings, arrays or objects alike"));
  }
}

namespace detail {

RunScope::RunScope(const RunConfig& config, const std::string& runnable_name)
    : ctx_(config, new_run_id()),
      name_(config.run_name.empty() ? runnable_name : config.run_name) {}

void RunScope::emit(RunEvent::Kind kind, nlohmann::json payload, const std::string& error) {
  if (!traced()) return;
  RunEvent event;
  event.kind = kind;
  event.run_id = ctx_.run_id();
  event.parent_run_id = ctx_.parent_run_id();
  event.name = name_;
  event.tags = ctx_.config().tags;
  event.metadata = ctx_.config().metadata;
  if (kind == RunEvent::Kind::kStart) {
    event.input = std::move(payload);
  } else {
    event.output = std::move(payload);
    event.error = error;
    event.elapsed_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_time_).count();
    event.tokens = ctx_.tokens();
  }
  for (const auto& handler : ctx_.config().callbacks) {
    if (!handler) continue;
    try {
      switch (kind) {
        case RunEvent::Kind::kStart:
          handler->on_start(event);
          break;
        case RunEvent::Kind::kEnd:
          handler->on_end(event);
          break;
        case RunEvent::Kind::kError:
          handler->on_error(event);
          break;
      }
    } catch (...) {
      // A failing handler must not break the run (see callbacks.h).
    }
  }
}

void RunScope::start(nlohmann::json input_summary) {
  started_ = true;
  start_time_ = std::chrono::steady_clock::now();
  emit(RunEvent::Kind::kStart, std::move(input_summary), "");
}

void RunScope::end(nlohmann::json output_summary) {
  if (!open()) return;
  closed_ = true;
  emit(RunEvent::Kind::kEnd, std::move(output_summary), "");
}

void RunScope::fail(std::exception_ptr error) {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  try {
    std::rethrow_exception(error);
  } catch (const Error& e) {
    code = e.code();
    message = e.what();
  } catch (const std::exception& e) {
    message = e.what();
  } catch (...) {
    message = "unknown exception";
  }
  std::exception_ptr cause = error;
  try {
    std::rethrow_exception(error);
  } catch (const RunnableError& e) {
    if (e.cause()) cause = e.cause();
  } catch (...) {
  }
  RunnableError wrapped(code, name_, message, cause);
  if (open()) {
    closed_ = true;
    emit(RunEvent::Kind::kError, nlohmann::json(), wrapped.what());
  }
  throw wrapped;
}

void RunScope::fail_downstream(std::exception_ptr error) {
  abandon(str_cat("stopped: the consumer of its chunks failed: ", root_message_of(error)));
  std::rethrow_exception(error);
}

void RunScope::abandon(const std::string& message) {
  if (!open()) return;
  closed_ = true;
  emit(RunEvent::Kind::kError, nlohmann::json(), message);
}

int resolve_concurrency(int max_concurrency, size_t n_items) {
  int n = max_concurrency > 0 ? max_concurrency
                              : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  return static_cast<int>(std::min<size_t>(static_cast<size_t>(n), std::max<size_t>(n_items, 1)));
}

void run_indexed(size_t n, int n_threads, const std::function<void(size_t)>& fn) {
  if (n == 0) return;
  if (n_threads <= 1 || n == 1) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::atomic<size_t> next{0};
  std::mutex error_mutex;
  std::exception_ptr first_error;
  auto work = [&] {
    for (size_t i = next++; i < n; i = next++) {
      try {
        fn(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!first_error) first_error = std::current_exception();
      }
    }
  };
  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(n_threads) - 1);
  for (int t = 1; t < n_threads; ++t) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
  if (first_error) std::rethrow_exception(first_error);
}

}  // namespace detail
}  // namespace llmkit::chain
