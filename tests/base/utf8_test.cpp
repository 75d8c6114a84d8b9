// utf8_prefix_length against a reference that walks the text character by character (lead byte
// -> sequence length) and keeps every whole character that fits.
#include "llmkit/base/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace llmkit {
namespace {

size_t reference(const std::string& text, size_t max_bytes) {
  size_t n = 0;
  while (n < text.size()) {
    const auto lead = static_cast<unsigned char>(text[n]);
    const size_t len = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
    if (n + len > max_bytes) break;
    n += len;
  }
  return n;
}

TEST(Utf8PrefixLength, NeverSplitsACharacter) {
  const std::string text =
      "a\xC3\xA9z\xE2\x82\xAC\xF0\x9F\x98\x80"
      "b";  // a é z € 😀 b
  for (size_t max = 0; max <= text.size() + 2; ++max) {
    EXPECT_EQ(utf8_prefix_length(text, max), reference(text, max)) << "max " << max;
  }
  EXPECT_EQ(utf8_prefix_length("", 3), 0u);
  EXPECT_EQ(utf8_prefix_length("abc", 3), 3u);
}

}  // namespace
}  // namespace llmkit
