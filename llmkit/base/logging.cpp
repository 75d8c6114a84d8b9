#include "llmkit/base/logging.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace llmkit {

LogLevel log_level() {
  static const LogLevel level = [] {
    const char* env = std::getenv("LLMKIT_LOG");
    if (env == nullptr) return LogLevel::kInfo;
    if (std::strcmp(env, "debug") == 0) return LogLevel::kDebug;
    if (std::strcmp(env, "warn") == 0) return LogLevel::kWarn;
    if (std::strcmp(env, "error") == 0) return LogLevel::kError;
    return LogLevel::kInfo;
  }();
  return level;
}

void log_line(LogLevel level, const std::string& message) {
  static const char* const kNames[] = {"debug", "info", "warn", "error"};
  std::string line = str_cat("[llmkit ", kNames[static_cast<int>(level)], "] ", message, "\n");
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace llmkit
