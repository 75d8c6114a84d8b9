// Minimal leveled logging to stderr. The level is read once from LLMKIT_LOG (debug, info, warn,
// error; default info). Thread-safe: each line is written with one call.
#pragma once

#include <string>

#include "llmkit/base/error.h"

namespace llmkit {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

LogLevel log_level();
void log_line(LogLevel level, const std::string& message);

}  // namespace llmkit

#define LLMKIT_LOG(level, ...)                                                       \
  do {                                                                               \
    if (::llmkit::LogLevel::level >= ::llmkit::log_level())                          \
      ::llmkit::log_line(::llmkit::LogLevel::level, ::llmkit::str_cat(__VA_ARGS__)); \
  } while (0)
