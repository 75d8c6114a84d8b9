// RegexOutputParser (declared in output_parser.h), on PCRE2.
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "llmkit/prompt/output_parser.h"

namespace llmkit::prompt {

struct RegexOutputParser::Code {
  pcre2_code* code = nullptr;
  ~Code() { pcre2_code_free(code); }
};

RegexOutputParser::RegexOutputParser(const std::string& pattern,
                                     std::vector<std::string> output_keys, std::string instructions)
    : code_(std::make_unique<Code>()), pattern_(pattern), instructions_(std::move(instructions)) {
  int err = 0;
  PCRE2_SIZE offset = 0;
  code_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                              PCRE2_UTF | PCRE2_UCP, &err, &offset, nullptr);
  if (!code_->code) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(err, msg, sizeof msg);
    throw_error(ErrorCode::kInvalidArgument,
                str_cat("regex output parser: pattern '", pattern, "' does not compile at offset ",
                        offset, ": ", reinterpret_cast<const char*>(msg)));
  }
  uint32_t groups = 0;
  pcre2_pattern_info(code_->code, PCRE2_INFO_CAPTURECOUNT, &groups);
  LLMKIT_CHECK(groups > 0, "regex output parser: pattern '", pattern,
               "' has no capture groups; add (...) or (?<name>...) around the parts to extract");
  group_keys_.resize(groups);
  if (!output_keys.empty()) {
    LLMKIT_CHECK(output_keys.size() == groups, "regex output parser: ", output_keys.size(),
                 " output keys for the ", groups, " groups of pattern '", pattern, "'");
    group_keys_ = std::move(output_keys);
  } else {
    for (uint32_t g = 0; g < groups; ++g) group_keys_[g] = std::to_string(g + 1);
  }
  // Named groups: the name table has entries of entry_size bytes, the group number (big-endian,
  // two bytes) followed by the zero-terminated name.
  uint32_t name_count = 0, entry_size = 0;
  PCRE2_SPTR table = nullptr;
  pcre2_pattern_info(code_->code, PCRE2_INFO_NAMECOUNT, &name_count);
  pcre2_pattern_info(code_->code, PCRE2_INFO_NAMEENTRYSIZE, &entry_size);
  pcre2_pattern_info(code_->code, PCRE2_INFO_NAMETABLE, &table);
  for (uint32_t i = 0; i < name_count; ++i) {
    const PCRE2_SPTR entry = table + static_cast<size_t>(i) * entry_size;
    const uint32_t group = (static_cast<uint32_t>(entry[0]) << 8) | entry[1];
    group_keys_[group - 1] = reinterpret_cast<const char*>(entry + 2);
  }
}

RegexOutputParser::~RegexOutputParser() = default;
RegexOutputParser::RegexOutputParser(RegexOutputParser&&) noexcept = default;
RegexOutputParser& RegexOutputParser::operator=(RegexOutputParser&&) noexcept = default;

std::map<std::string, std::string> RegexOutputParser::parse(std::string_view text) const {
  pcre2_match_data* md = pcre2_match_data_create_from_pattern(code_->code, nullptr);
  LLMKIT_CHECK_CODE(md, ErrorCode::kInternal, "regex output parser: out of memory");
  const int rc = pcre2_match(code_->code, reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), 0,
                             0, md, nullptr);
  if (rc < 0) {
    pcre2_match_data_free(md);
    if (rc == PCRE2_ERROR_NOMATCH) {
      throw OutputParseError(
          str_cat("regex output parser: the output does not match '", pattern_, "'"),
          std::string(text));
    }
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(rc, msg, sizeof msg);
    throw OutputParseError(str_cat("regex output parser: matching '", pattern_,
                                   "' failed: ", reinterpret_cast<const char*>(msg)),
                           std::string(text));
  }
  const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
  std::map<std::string, std::string> out;
  // rc is one more than the highest group that matched; later groups did not take part.
  for (int g = 1; g < rc; ++g) {
    if (ov[2 * g] == PCRE2_UNSET) continue;
    out[group_keys_[g - 1]] = std::string(text.substr(ov[2 * g], ov[2 * g + 1] - ov[2 * g]));
  }
  pcre2_match_data_free(md);
  return out;
}

std::string RegexOutputParser::format_instructions() const {
  if (!instructions_.empty()) return instructions_;
  return str_cat("Answer in a form that matches the regular expression `", pattern_, "`.");
}

}  // namespace llmkit::prompt
