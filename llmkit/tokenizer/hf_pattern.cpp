#include "llmkit/tokenizer/hf_pattern.h"

#include "llmkit/base/error.h"

namespace llmkit::tokenizer::hf {

Pattern Pattern::literal(std::string s) {
  Pattern p;
  p.literal_ = std::move(s);
  return p;
}

Pattern Pattern::regex(const std::string& pattern) {
  Pattern p;
  p.regex_.emplace(pattern);
  return p;
}

Pattern Pattern::from_json(const nlohmann::json& config, const std::string& path) {
  if (config.is_object() && config.contains("String") && config["String"].is_string()) {
    return literal(config["String"].get<std::string>());
  }
  if (config.is_object() && config.contains("Regex") && config["Regex"].is_string()) {
    return regex(config["Regex"].get<std::string>());
  }
  throw Error(ErrorCode::kCorruptData, path + " is neither {\"String\": ...} nor {\"Regex\": ...}");
}

std::vector<std::pair<size_t, size_t>> Pattern::find_all(std::string_view text) const {
  if (regex_) return regex_->find_all(text);
  std::vector<std::pair<size_t, size_t>> out;
  if (literal_.empty()) return out;
  size_t pos = 0;
  while (true) {
    const size_t hit = text.find(literal_, pos);
    if (hit == std::string_view::npos) break;
    out.emplace_back(hit, hit + literal_.size());
    pos = hit + literal_.size();
  }
  return out;
}

std::string Pattern::replace_all(std::string_view text, std::string_view content) const {
  std::string out;
  size_t pos = 0;
  for (const auto& [b, e] : find_all(text)) {
    out.append(text.substr(pos, b - pos));
    out.append(content);
    pos = e;
  }
  out.append(text.substr(pos));
  return out;
}

}  // namespace llmkit::tokenizer::hf
