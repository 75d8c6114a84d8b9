// Unicode case mapping for the Jinja string methods and filters (see jinja_builtins.h for the
// scripts covered): the simple one-to-one mappings of UnicodeData.txt in those blocks, and the
// upper-casing of ß and the Latin ligatures to several letters (SpecialCasing.txt).
#include "llmkit/prompt/jinja_builtins.h"

#include "llmkit/tokenizer/hf_text.h"

namespace llmkit::prompt::jinja {
namespace {

// Blocks of (upper, lower) pairs at consecutive code points: pairs start at even code points, or
// at odd ones when odd_upper.
struct PairBlock {
  uint32_t first, last;
  bool odd_upper;
};
constexpr PairBlock kPairBlocks[] = {
    {0x0100, 0x012F, false}, {0x0132, 0x0137, false}, {0x0139, 0x0148, true},
    {0x014A, 0x0177, false}, {0x0179, 0x017E, true},  {0x0460, 0x0481, false},
    {0x048A, 0x04BF, false}, {0x04D0, 0x052F, false}, {0x1E00, 0x1E95, false},
    {0x1EA0, 0x1EFF, false},
};

// Blocks whose lower-case letters are the upper-case ones plus a fixed offset.
struct OffsetBlock {
  uint32_t upper_first, upper_last;
  uint32_t offset;
};
constexpr OffsetBlock kOffsetBlocks[] = {
    {0x0041, 0x005A, 0x20}, {0x00C0, 0x00D6, 0x20}, {0x00D8, 0x00DE, 0x20}, {0x0391, 0x03A1, 0x20},
    {0x03A3, 0x03AB, 0x20}, {0x0388, 0x038A, 0x25}, {0x038E, 0x038F, 0x3F}, {0x0410, 0x042F, 0x20},
    {0x0400, 0x040F, 0x50}, {0x0531, 0x0556, 0x30}, {0xFF21, 0xFF3A, 0x20},
};

}  // namespace

uint32_t cp_upper(uint32_t c) {
  if (c < 0x80) return c >= 'a' && c <= 'z' ? c - 0x20 : c;
  if (c == 0x00FF) return 0x0178;
  if (c == 0x00B5) return 0x039C;
  if (c == 0x0131) return 'I';
  if (c == 0x017F) return 'S';
  if (c == 0x03C2) return 0x03A3;
  if (c == 0x03AC) return 0x0386;
  if (c == 0x03CC) return 0x038C;
  for (const OffsetBlock& b : kOffsetBlocks) {
    if (c >= b.upper_first + b.offset && c <= b.upper_last + b.offset) return c - b.offset;
  }
  for (const PairBlock& b : kPairBlocks) {
    if (c >= b.first && c <= b.last && ((c & 1) != 0) != b.odd_upper) return c - 1;
  }
  return c;
}

uint32_t cp_lower(uint32_t c) {
  if (c < 0x80) return c >= 'A' && c <= 'Z' ? c + 0x20 : c;
  if (c == 0x0178) return 0x00FF;
  if (c == 0x0386) return 0x03AC;
  if (c == 0x038C) return 0x03CC;
  for (const OffsetBlock& b : kOffsetBlocks) {
    if (c >= b.upper_first && c <= b.upper_last) return c + b.offset;
  }
  for (const PairBlock& b : kPairBlocks) {
    if (c >= b.first && c <= b.last && ((c & 1) != 0) == b.odd_upper) return c + 1;
  }
  return c;
}

std::vector<uint32_t> decode_utf8(const std::string& s) {
  std::vector<uint32_t> out;
  for (size_t i = 0; i < s.size();) {
    const auto b = [&](size_t k) {
      return static_cast<uint32_t>(static_cast<unsigned char>(s[k]));
    };
    const uint32_t c = b(i);
    size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    if (i + n > s.size()) n = 1;
    uint32_t cp = n == 1 ? c : c & (0x7F >> n);
    for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (b(i + k) & 0x3F);
    out.push_back(cp);
    i += n;
  }
  return out;
}

void append_utf8(std::string& out, uint32_t cp) {
  tokenizer::hf::append_utf8(out, static_cast<char32_t>(cp));
}

std::string py_upper(const std::string& s) {
  static const char* const kLigatures[] = {"FF", "FI", "FL", "FFI", "FFL", "ST", "ST"};
  std::string out;
  for (uint32_t c : decode_utf8(s)) {
    if (c == 0x00DF) {
      out += "SS";
    } else if (c >= 0xFB00 && c <= 0xFB06) {
      out += kLigatures[c - 0xFB00];
    } else {
      append_utf8(out, cp_upper(c));
    }
  }
  return out;
}

std::string py_lower(const std::string& s) {
  std::string out;
  for (uint32_t c : decode_utf8(s)) append_utf8(out, cp_lower(c));
  return out;
}

std::string py_capitalize(const std::string& s) {
  std::string out;
  bool first = true;
  for (uint32_t c : decode_utf8(s)) {
    if (first && c == 0x00DF) {
      out += "Ss";
    } else {
      append_utf8(out, first ? cp_upper(c) : cp_lower(c));
    }
    first = false;
  }
  return out;
}

std::string py_title(const std::string& s) {
  std::string out;
  bool previous_cased = false;
  for (uint32_t c : decode_utf8(s)) {
    const bool cased = cp_upper(c) != c || cp_lower(c) != c || c == 0x00DF;
    if (!previous_cased && c == 0x00DF) {
      out += "Ss";
    } else {
      append_utf8(out, previous_cased ? cp_lower(c) : cp_upper(c));
    }
    previous_cased = cased;
  }
  return out;
}

}  // namespace llmkit::prompt::jinja
