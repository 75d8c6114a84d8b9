// UTF-8 helpers for cutting text to a byte budget without splitting a character.
#pragma once

#include <cstddef>
#include <string_view>

namespace llmkit {

// The largest n <= max_bytes such that text[0, n) ends on a character boundary (never inside a
// multi-byte UTF-8 sequence); text.size() when it already fits.
inline std::size_t utf8_prefix_length(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text.size();
  std::size_t n = max_bytes;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  return n;
}

}  // namespace llmkit
