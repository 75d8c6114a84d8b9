#include "llmkit/tokenizer/pretokenizer.h"

#include "llmkit/base/error.h"
#include "llmkit/tokenizer/hf_pattern.h"
#include "llmkit/tokenizer/hf_text.h"

namespace llmkit::tokenizer::hf {

namespace {

using json = nlohmann::json;

// The GPT-2 pattern ByteLevel uses when use_regex is true.
constexpr const char* kGpt2Pattern =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

enum class Behavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

// Splits text around the matches of pattern as the `tokenizers` library does: segments are the
// matches and the text between them; invert swaps which of the two counts as the delimiter.
std::vector<std::string> split_by(std::string_view text, const Pattern& pattern, Behavior behavior,
                                  bool invert, std::vector<std::string> out) {
  struct Segment {
    size_t begin, end;
    bool delim;
  };
  std::vector<Segment> segs;
  size_t pos = 0;
  for (const auto& [b, e] : pattern.find_all(text)) {
    if (b > pos) segs.push_back({pos, b, invert});
    if (e > b) segs.push_back({b, e, !invert});
    pos = e;
  }
  if (pos < text.size()) segs.push_back({pos, text.size(), invert});
  std::vector<std::pair<size_t, size_t>> pieces;
  for (size_t i = 0; i < segs.size(); ++i) {
    const Segment& s = segs[i];
    switch (behavior) {
      case Behavior::kRemoved:
        if (!s.delim) pieces.emplace_back(s.begin, s.end);
        break;
      case Behavior::kIsolated:
        pieces.emplace_back(s.begin, s.end);
        break;
      case Behavior::kMergedWithPrevious:
        if (s.delim && !pieces.empty() && !segs[i - 1].delim) {
          pieces.back().second = s.end;
        } else {
          pieces.emplace_back(s.begin, s.end);
        }
        break;
      case Behavior::kMergedWithNext:
        if (!s.delim && i > 0 && segs[i - 1].delim) {
          pieces.back().second = s.end;
        } else {
          pieces.emplace_back(s.begin, s.end);
        }
        break;
      case Behavior::kContiguous:
        if (s.delim && i > 0 && segs[i - 1].delim) {
          pieces.back().second = s.end;
        } else {
          pieces.emplace_back(s.begin, s.end);
        }
        break;
    }
  }
  for (const auto& [b, e] : pieces) out.emplace_back(text.substr(b, e - b));
  return out;
}

class SplitPreTokenizer final : public PreTokenizer {
 public:
  SplitPreTokenizer(Pattern pattern, Behavior behavior, bool invert)
      : pattern_(std::move(pattern)), behavior_(behavior), invert_(invert) {}
  std::vector<std::string> split(const std::vector<std::string>& pieces, int) const override {
    std::vector<std::string> out;
    for (const auto& p : pieces) out = split_by(p, pattern_, behavior_, invert_, std::move(out));
    return out;
  }

 private:
  Pattern pattern_;
  Behavior behavior_;
  bool invert_;
};

// Keeps only the matches of a regex (JavaScript's String.prototype.match with the g flag).
class MatchPreTokenizer final : public PreTokenizer {
 public:
  explicit MatchPreTokenizer(const std::string& regex) : pattern_(Pattern::regex(regex)) {}
  std::vector<std::string> split(const std::vector<std::string>& pieces, int) const override {
    std::vector<std::string> out;
    for (const auto& p : pieces) {
      for (const auto& [b, e] : pattern_.find_all(p)) out.push_back(p.substr(b, e - b));
    }
    return out;
  }

 private:
  Pattern pattern_;
};

class ByteLevelPreTokenizer final : public PreTokenizer {
 public:
  ByteLevelPreTokenizer(bool add_prefix_space, bool use_regex)
      : add_prefix_space_(add_prefix_space),
        use_regex_(use_regex),
        pattern_(Pattern::regex(kGpt2Pattern)) {}
  std::vector<std::string> split(const std::vector<std::string>& pieces, int) const override {
    std::vector<std::string> out;
    for (const auto& piece : pieces) {
      std::string text = piece;
      if (add_prefix_space_ && (text.empty() || text[0] != ' ')) text = " " + text;
      std::vector<std::string> words;
      if (use_regex_) {
        for (const auto& [b, e] : pattern_.find_all(text)) words.push_back(text.substr(b, e - b));
      } else {
        words.push_back(text);
      }
      for (const auto& w : words) {
        std::string mapped;
        for (const char c : w) mapped += byte_to_unicode(static_cast<uint8_t>(c));
        out.push_back(std::move(mapped));
      }
    }
    return out;
  }

 private:
  bool add_prefix_space_, use_regex_;
  Pattern pattern_;
};

class MetaspacePreTokenizer final : public PreTokenizer {
 public:
  MetaspacePreTokenizer(std::string replacement, std::string scheme, bool split)
      : replacement_(std::move(replacement)),
        scheme_(std::move(scheme)),
        split_(split),
        pattern_(Pattern::literal(replacement_)) {}
  std::vector<std::string> split(const std::vector<std::string>& pieces,
                                 int section_index) const override {
    std::vector<std::string> out;
    for (const auto& piece : pieces) {
      std::string text = replace_all(piece, " ", replacement_);
      const bool prepend = scheme_ == "always" || (scheme_ == "first" && section_index == 0);
      if (prepend && text.compare(0, replacement_.size(), replacement_) != 0) {
        text = replacement_ + text;
      }
      if (split_) {
        out = split_by(text, pattern_, Behavior::kMergedWithNext, false, std::move(out));
      } else {
        out.push_back(std::move(text));
      }
    }
    return out;
  }

 private:
  std::string replacement_, scheme_;
  bool split_;
  Pattern pattern_;
};

class SequencePreTokenizer final : public PreTokenizer {
 public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> parts)
      : parts_(std::move(parts)) {}
  std::vector<std::string> split(const std::vector<std::string>& pieces,
                                 int section_index) const override {
    std::vector<std::string> cur = pieces;
    for (const auto& p : parts_) cur = p->split(cur, section_index);
    return cur;
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> parts_;
};

Behavior parse_behavior(const json& config, const std::string& path) {
  const std::string b = config.value("behavior", std::string("Isolated"));
  if (b == "Removed") return Behavior::kRemoved;
  if (b == "Isolated") return Behavior::kIsolated;
  if (b == "MergedWithPrevious") return Behavior::kMergedWithPrevious;
  if (b == "MergedWithNext") return Behavior::kMergedWithNext;
  if (b == "Contiguous") return Behavior::kContiguous;
  throw Error(ErrorCode::kUnsupported, path + ".behavior = '" + b + "' is not supported");
}

}  // namespace

std::unique_ptr<PreTokenizer> make_pre_tokenizer(const json& config, const std::string& path) {
  if (config.is_null()) return nullptr;
  if (!config.is_object() || !config.contains("type") || !config["type"].is_string()) {
    throw Error(ErrorCode::kCorruptData, path + " has no string 'type'");
  }
  const std::string type = config["type"].get<std::string>();
  if (type == "Sequence") {
    std::vector<std::unique_ptr<PreTokenizer>> parts;
    const json& list = config.value("pretokenizers", json::array());
    for (size_t i = 0; i < list.size(); ++i) {
      auto p = make_pre_tokenizer(list[i], path + ".pretokenizers[" + std::to_string(i) + "]");
      if (p) parts.push_back(std::move(p));
    }
    return std::make_unique<SequencePreTokenizer>(std::move(parts));
  }
  if (type == "Split") {
    if (!config.contains("pattern")) throw Error(ErrorCode::kCorruptData, path + " has no pattern");
    return std::make_unique<SplitPreTokenizer>(
        Pattern::from_json(config["pattern"], path + ".pattern"), parse_behavior(config, path),
        config.value("invert", false));
  }
  if (type == "ByteLevel") {
    return std::make_unique<ByteLevelPreTokenizer>(config.value("add_prefix_space", true),
                                                   config.value("use_regex", true));
  }
  if (type == "Metaspace") {
    std::string scheme;
    if (config.contains("prepend_scheme") && config["prepend_scheme"].is_string()) {
      scheme = config["prepend_scheme"].get<std::string>();
    } else {
      scheme = config.value("add_prefix_space", true) ? "always" : "never";
    }
    if (config.contains("add_prefix_space") && config["add_prefix_space"].is_boolean() &&
        !config["add_prefix_space"].get<bool>()) {
      scheme = "never";
    }
    if (scheme != "always" && scheme != "first" && scheme != "never") {
      throw Error(ErrorCode::kUnsupported,
                  path + ".prepend_scheme = '" + scheme + "' is not supported");
    }
    return std::make_unique<MetaspacePreTokenizer>(
        config.value("replacement", std::string("\xE2\x96\x81")), scheme,
        config.value("split", true));
  }
  if (type == "Digits") {
    return std::make_unique<MatchPreTokenizer>(
        config.value("individual_digits", false) ? "[^\\d]+|\\d" : "[^\\d]+|\\d+");
  }
  if (type == "Whitespace") return std::make_unique<MatchPreTokenizer>("\\w+|[^\\w\\s]+");
  if (type == "WhitespaceSplit") return std::make_unique<MatchPreTokenizer>("\\S+");
  if (type == "Punctuation") {
    constexpr const char* kPunct =
        "\\p{P}\\x{21}-\\x{2F}\\x{3A}-\\x{40}\\x{5B}-\\x{60}\\x{7B}-\\x{7E}";
    return std::make_unique<MatchPreTokenizer>(std::string("[^") + kPunct + "]+|[" + kPunct + "]+");
  }
  throw Error(ErrorCode::kUnsupported, path + ".type = '" + type + "' is not supported");
}

}  // namespace llmkit::tokenizer::hf
