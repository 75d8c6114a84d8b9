#define PCRE2_CODE_UNIT_WIDTH 8
#include "llmkit/tokenizer/js_regex.h"

#include <pcre2.h>

#include "llmkit/base/error.h"
#include "llmkit/tokenizer/hf_text.h"

namespace llmkit::tokenizer::hf {

namespace {

// JavaScript's WhiteSpace and LineTerminator code points, as the inside of a character class.
constexpr std::string_view kJsSpace =
    "\\t\\n\\x{0B}\\f\\r \\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}"
    "\\x{205F}\\x{3000}\\x{FEFF}";
constexpr std::string_view kDigit = "0-9";
constexpr std::string_view kWord = "A-Za-z0-9_";

}  // namespace

std::string translate_js_pattern(std::string_view pattern) {
  // transformers.js replaces this group (JavaScript has no (?i:...)) by an explicit one.
  std::string p = replace_all(pattern, "(?i:'s|'t|'re|'ve|'m|'ll|'d)",
                              "(?:'([sS]|[tT]|[rR][eE]|[vV][eE]|[mM]|[lL][lL]|[dD]))");
  std::string out;
  bool in_class = false;
  for (size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      const char e = p[++i];
      std::string_view set;
      bool negated = false;
      switch (e) {
        case 's':
          set = kJsSpace;
          break;
        case 'S':
          set = kJsSpace;
          negated = true;
          break;
        case 'd':
          set = kDigit;
          break;
        case 'D':
          set = kDigit;
          negated = true;
          break;
        case 'w':
          set = kWord;
          break;
        case 'W':
          set = kWord;
          negated = true;
          break;
        default:
          break;
      }
      if (set.empty()) {
        out.push_back('\\');
        out.push_back(e);
      } else if (!in_class) {
        out.append(negated ? "[^" : "[").append(set).append("]");
      } else if (!negated) {
        out.append(set);
      } else {
        // A negated set inside a class ([^\S] etc.) has no plain PCRE2 spelling; keep PCRE2's.
        out.push_back('\\');
        out.push_back(e);
      }
      continue;
    }
    if (c == '[' && !in_class) {
      in_class = true;
      out.push_back(c);
      // a ']' right after '[' or '[^' is literal in PCRE2 but ends an empty class in JS; rare
      if (i + 1 < p.size() && p[i + 1] == '^') out.push_back(p[++i]);
      continue;
    }
    if (c == ']' && in_class) in_class = false;
    out.push_back(c);
  }
  return out;
}

struct JsRegex::Code {
  pcre2_code* code = nullptr;
  ~Code() { pcre2_code_free(code); }
};

JsRegex::JsRegex(const std::string& pattern) : translated_(translate_js_pattern(pattern)) {
  int err = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* code =
      pcre2_compile(reinterpret_cast<PCRE2_SPTR>(translated_.data()), translated_.size(),
                    PCRE2_UTF | PCRE2_NO_UTF_CHECK, &err, &offset, nullptr);
  if (code == nullptr) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(err, msg, sizeof msg);
    throw Error(ErrorCode::kInvalidArgument, "regex '" + pattern + "' does not compile at offset " +
                                                 std::to_string(offset) + ": " +
                                                 reinterpret_cast<const char*>(msg));
  }
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // optional speed-up; matching works without it
  code_ = std::make_unique<Code>();
  code_->code = code;
}

JsRegex JsRegex::literal(std::string_view s) {
  std::string quoted = "\\Q";
  // \E cannot appear inside \Q...\E; split around it
  quoted += replace_all(s, "\\E", "\\E\\\\E\\Q");
  quoted += "\\E";
  JsRegex r(quoted);
  return r;
}

JsRegex::~JsRegex() = default;
JsRegex::JsRegex(JsRegex&&) noexcept = default;
JsRegex& JsRegex::operator=(JsRegex&&) noexcept = default;

std::vector<std::pair<size_t, size_t>> JsRegex::find_all(std::string_view text) const {
  std::vector<std::pair<size_t, size_t>> out;
  pcre2_match_data* md = pcre2_match_data_create_from_pattern(code_->code, nullptr);
  size_t pos = 0;
  while (pos <= text.size()) {
    const int rc = pcre2_match(code_->code, reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(),
                               pos, PCRE2_NO_UTF_CHECK, md, nullptr);
    if (rc < 0) break;
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
    const size_t b = ov[0], e = ov[1];
    out.emplace_back(b, e);
    if (e > b) {
      pos = e;
    } else {
      if (b >= text.size()) break;
      size_t len = 0;
      decode_utf8(text, b, &len);
      pos = b + len;
    }
  }
  pcre2_match_data_free(md);
  return out;
}

}  // namespace llmkit::tokenizer::hf
