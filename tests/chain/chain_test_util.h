// Small runnables shared by the chain composition tests.
#pragma once

#include <cctype>
#include <stdexcept>
#include <string>

#include "llmkit/chain/lambda.h"
#include "llmkit/chain/run_config.h"

namespace llmkit::chain::testing {

// "abc" -> "ABC"; the input "fail" throws std::runtime_error("boom").
inline auto make_upper(std::string name = "upper") {
  return make_lambda<std::string, std::string>(
      [](const std::string& s) {
        if (s == "fail") throw std::runtime_error("boom");
        std::string out = s;
        for (char& ch : out) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        return out;
      },
      std::move(name));
}

inline auto make_length(std::string name = "length") {
  return make_lambda<std::string, int>(
      [](const std::string& s) { return static_cast<int>(s.size()); }, std::move(name));
}

// RunConfig builders (designated initializers would warn under -Wmissing-field-initializers).
inline RunConfig traced(std::shared_ptr<CallbackHandler> handler, int max_concurrency = 0) {
  RunConfig c;
  c.callbacks = {std::move(handler)};
  c.max_concurrency = max_concurrency;
  return c;
}
inline RunConfig concurrent(int max_concurrency) {
  RunConfig c;
  c.max_concurrency = max_concurrency;
  return c;
}
inline RunConfig named(std::string run_name) {
  RunConfig c;
  c.run_name = std::move(run_name);
  return c;
}
inline RunConfig timeout_of(std::chrono::milliseconds timeout) {
  RunConfig c;
  c.timeout = timeout;
  return c;
}
inline RunConfig cancellable(std::shared_ptr<std::atomic<bool>> flag) {
  RunConfig c;
  c.cancel = std::move(flag);
  return c;
}

}  // namespace llmkit::chain::testing
