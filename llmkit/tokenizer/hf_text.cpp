#include "llmkit/tokenizer/hf_text.h"

#include <array>
#include <cctype>

namespace llmkit::tokenizer::hf {

namespace {

// Length of the valid UTF-8 sequence at text[pos], or 0 with *bad = bytes of its maximal invalid
// subpart (at least 1).
size_t valid_sequence(std::string_view text, size_t pos, size_t* bad) {
  const auto b0 = static_cast<uint8_t>(text[pos]);
  if (b0 < 0x80) return 1;
  size_t need = 0;
  uint8_t lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 1;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 2;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 3;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    *bad = 1;
    return 0;
  }
  for (size_t k = 1; k <= need; ++k) {
    if (pos + k >= text.size()) {
      *bad = k;
      return 0;
    }
    const auto b = static_cast<uint8_t>(text[pos + k]);
    const uint8_t l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
    if (b < l || b > h) {
      *bad = k;
      return 0;
    }
  }
  return need + 1;
}

std::array<std::string, 256> make_byte_table() {
  std::array<std::string, 256> table;
  int extra = 0;
  for (int b = 0; b < 256; ++b) {
    const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
    const char32_t cp = printable ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + extra++);
    append_utf8(table[b], cp);
  }
  return table;
}

const std::array<std::string, 256>& byte_table() {
  static const std::array<std::string, 256> table = make_byte_table();
  return table;
}

}  // namespace

std::string sanitize_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    size_t bad = 0;
    const size_t n = valid_sequence(text, pos, &bad);
    if (n > 0) {
      out.append(text.substr(pos, n));
      pos += n;
    } else {
      out.append("\xEF\xBF\xBD");
      pos += bad;
    }
  }
  return out;
}

char32_t decode_utf8(std::string_view text, size_t pos, size_t* len) {
  const auto b0 = static_cast<uint8_t>(text[pos]);
  size_t n = b0 < 0x80 ? 1 : b0 < 0xE0 ? 2 : b0 < 0xF0 ? 3 : 4;
  if (pos + n > text.size()) n = text.size() - pos;
  char32_t cp = n == 1 ? b0 : n == 2 ? (b0 & 0x1F) : n == 3 ? (b0 & 0x0F) : (b0 & 0x07);
  for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<uint8_t>(text[pos + k]) & 0x3F);
  *len = n;
  return cp;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::vector<std::string> split_chars(std::string_view text) {
  std::vector<std::string> chars;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t len = 0;
    decode_utf8(text, pos, &len);
    chars.emplace_back(text.substr(pos, len));
    pos += len;
  }
  return chars;
}

bool is_js_space(char32_t cp) {
  switch (cp) {
    case 0x09:
    case 0x0A:
    case 0x0B:
    case 0x0C:
    case 0x0D:
    case 0x20:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
    case 0xFEFF:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

std::string_view js_trim_start(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t len = 0;
    if (!is_js_space(decode_utf8(text, pos, &len))) break;
    pos += len;
  }
  return text.substr(pos);
}

std::string_view js_trim_end(std::string_view text) {
  size_t end = text.size();
  while (end > 0) {
    size_t start = end - 1;
    while (start > 0 && (static_cast<uint8_t>(text[start]) & 0xC0) == 0x80) --start;
    size_t len = 0;
    if (!is_js_space(decode_utf8(text, start, &len))) break;
    end = start;
  }
  return text.substr(0, end);
}

const std::string& byte_to_unicode(uint8_t b) {
  return byte_table()[b];
}

int unicode_to_byte(char32_t cp) {
  // every code point of the alphabet is below 0x144 (256 + 68 non-printable bytes)
  static const std::array<int16_t, 0x200> table = [] {
    std::array<int16_t, 0x200> t;
    t.fill(-1);
    for (int b = 0; b < 256; ++b) {
      size_t len = 0;
      t[decode_utf8(byte_table()[static_cast<size_t>(b)], 0, &len)] = static_cast<int16_t>(b);
    }
    return t;
  }();
  return cp < table.size() ? table[cp] : -1;
}

std::string replace_all(std::string_view text, std::string_view from, std::string_view to) {
  std::string out;
  size_t pos = 0;
  while (true) {
    const size_t hit = text.find(from, pos);
    if (hit == std::string_view::npos) break;
    out.append(text.substr(pos, hit - pos));
    out.append(to);
    pos = hit + from.size();
  }
  out.append(text.substr(pos));
  return out;
}

std::string byte_alphabet_to_bytes(std::string_view piece) {
  std::string bytes;
  size_t pos = 0;
  while (pos < piece.size()) {
    size_t len = 0;
    const int b = unicode_to_byte(decode_utf8(piece, pos, &len));
    bytes.push_back(static_cast<char>(b < 0 ? 0 : b));
    pos += len;
  }
  return bytes;
}

std::string metaspace_piece_bytes(std::string_view piece) {
  const auto hex = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  if (piece.size() == 6 && piece.starts_with("<0x") && piece.back() == '>' &&
      std::isxdigit(static_cast<unsigned char>(piece[3])) &&
      std::isxdigit(static_cast<unsigned char>(piece[4]))) {
    return std::string(1, static_cast<char>(hex(piece[3]) * 16 + hex(piece[4])));
  }
  return replace_all(piece, "\xE2\x96\x81", " ");  // U+2581
}

}  // namespace llmkit::tokenizer::hf
