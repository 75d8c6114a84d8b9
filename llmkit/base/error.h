// Error reporting for llmkit: one exception type with a machine-readable code, plus the
// LLMKIT_CHECK / LLMKIT_DCHECK macros that throw it.
//
// Contract: recoverable problems (bad user input, corrupt files, shape mismatches) throw
// llmkit::Error whose message names the offending input and says what to do. Messages are built
// with str_cat so any streamable value can be interpolated.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace llmkit {

enum class ErrorCode {
  kInvalidArgument,  // wrong shape, dtype, axis, option value
  kOutOfRange,       // index outside a valid range
  kNotFound,         // missing file, tensor name, key
  kCorruptData,      // malformed or truncated file contents
  kIo,               // read/write failure reported by the OS
  kUnsupported,      // valid request that llmkit does not implement
  kInternal,         // a broken invariant inside llmkit (a bug)
  kCancelled,        // interrupted by the user
};

const char* error_code_name(ErrorCode code);

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message);
  ErrorCode code() const { return code_; }

 private:
  ErrorCode code_;
};

// Concatenates any streamable values into one string: str_cat("shape ", 3, "x", 4).
template <typename... Args>
std::string str_cat(Args&&... args) {
  std::ostringstream out;
  (out << ... << std::forward<Args>(args));
  return out.str();
}

[[noreturn]] void throw_error(ErrorCode code, const std::string& message);

}  // namespace llmkit

// Throws Error(code, str_cat(msg...)) when cond is false. Used for input validation.
#define LLMKIT_CHECK_CODE(cond, code, ...)                                    \
  do {                                                                        \
    if (!(cond)) ::llmkit::throw_error(code, ::llmkit::str_cat(__VA_ARGS__)); \
  } while (0)

#define LLMKIT_CHECK(cond, ...) \
  LLMKIT_CHECK_CODE(cond, ::llmkit::ErrorCode::kInvalidArgument, __VA_ARGS__)

// Invariant checks in hot loops: active in debug builds only.
#ifdef NDEBUG
#define LLMKIT_DCHECK(cond, ...) \
  do {                           \
  } while (0)
#else
#define LLMKIT_DCHECK(cond, ...)                          \
  LLMKIT_CHECK_CODE(cond, ::llmkit::ErrorCode::kInternal, \
                    "internal check failed: " #cond " at " __FILE__ ": ", __VA_ARGS__)
#endif
