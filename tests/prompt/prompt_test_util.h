// Shared by the prompt tests.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "llmkit/base/error.h"

namespace llmkit::prompt::testing {

// The message of the llmkit::Error f throws (its code must be kInvalidArgument), or a test
// failure and "".
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    return e.what();
  }
  ADD_FAILURE() << "expected an llmkit::Error";
  return "";
}

}  // namespace llmkit::prompt::testing
