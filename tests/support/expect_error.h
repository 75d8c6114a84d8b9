// Test helper shared by the suites: expects `fn` to throw llmkit::Error with `code` and a message
// containing every fragment in `parts`.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "llmkit/base/error.h"

namespace llmkit::test {

template <typename Fn>
void expect_error(Fn&& fn, ErrorCode code, const std::vector<std::string>& parts) {
  try {
    fn();
    ADD_FAILURE() << "no error thrown (expected one mentioning " << ::testing::PrintToString(parts)
                  << ")";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    for (const std::string& part : parts) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos)
          << "message '" << e.what() << "' lacks '" << part << "'";
    }
  }
}

}  // namespace llmkit::test
