#include "llmkit/tokenizer/hf_decoder.h"

#include <algorithm>

#include "llmkit/base/error.h"
#include "llmkit/tokenizer/hf_pattern.h"
#include "llmkit/tokenizer/hf_text.h"

namespace llmkit::tokenizer::hf {

namespace {

using json = nlohmann::json;

class SequenceDecoder final : public Decoder {
 public:
  explicit SequenceDecoder(std::vector<std::unique_ptr<Decoder>> parts)
      : parts_(std::move(parts)) {}
  std::vector<std::string> decode_chain(std::vector<std::string> pieces) const override {
    for (const auto& p : parts_) pieces = p->decode_chain(std::move(pieces));
    return pieces;
  }
  bool byte_level() const override {
    return std::any_of(parts_.begin(), parts_.end(), [](const auto& p) { return p->byte_level(); });
  }

 private:
  std::vector<std::unique_ptr<Decoder>> parts_;
};

// Maps GPT-2 alphabet characters back to bytes; added tokens pass through unchanged.
class ByteLevelDecoder final : public Decoder {
 public:
  explicit ByteLevelDecoder(const std::unordered_set<std::string>* added) : added_(added) {}
  std::vector<std::string> decode_chain(std::vector<std::string> pieces) const override {
    std::vector<std::string> out;
    std::string bytes;
    const auto flush = [&] {
      if (!bytes.empty()) out.push_back(sanitize_utf8(bytes));
      bytes.clear();
    };
    for (const auto& piece : pieces) {
      if (added_ != nullptr && added_->count(piece) > 0) {
        flush();
        out.push_back(piece);
        continue;
      }
      bytes += byte_alphabet_to_bytes(piece);
    }
    flush();
    return out;
  }
  bool byte_level() const override { return true; }

 private:
  const std::unordered_set<std::string>* added_;
};

class ReplaceDecoder final : public Decoder {
 public:
  ReplaceDecoder(Pattern pattern, std::string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  std::vector<std::string> decode_chain(std::vector<std::string> pieces) const override {
    for (auto& p : pieces) p = pattern_.replace_all(p, content_);
    return pieces;
  }

 private:
  Pattern pattern_;
  std::string content_;
};

int parse_byte_piece(const std::string& p) {
  if (p.size() != 6 || p.compare(0, 3, "<0x") != 0 || p[5] != '>') return -1;
  int v = 0;
  for (int i = 3; i < 5; ++i) {
    const char c = p[static_cast<size_t>(i)];
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else {
      return -1;
    }
    v = v * 16 + d;
  }
  return v;
}

class ByteFallbackDecoder final : public Decoder {
 public:
  std::vector<std::string> decode_chain(std::vector<std::string> pieces) const override {
    std::vector<std::string> out;
    std::string bytes;
    bool have = false;
    for (auto& p : pieces) {
      const int b = parse_byte_piece(p);
      if (b >= 0) {
        bytes.push_back(static_cast<char>(b));
        have = true;
        continue;
      }
      if (have) out.push_back(sanitize_utf8(bytes));
      bytes.clear();
      have = false;
      out.push_back(std::move(p));
    }
    if (have) out.push_back(sanitize_utf8(bytes));
    return out;
  }
};

class FuseDecoder final : public Decoder {
 public:
  std::vector<std::string> decode_chain(std::vector<std::string> pieces) const override {
    std::string all;
    for (const auto& p : pieces) all += p;
    return {all};
  }
};

// Removes up to start leading and stop trailing copies of the character content.
class StripDecoder final : public Decoder {
 public:
  StripDecoder(std::string content, int start, int stop)
      : content_(std::move(content)), start_(start), stop_(stop) {}
  std::vector<std::string> decode_chain(std::vector<std::string> pieces) const override {
    if (content_.empty()) return pieces;
    for (auto& p : pieces) {
      std::string_view v = p;
      for (int i = 0; i < start_ && v.substr(0, content_.size()) == content_; ++i) {
        v.remove_prefix(content_.size());
      }
      for (int i = 0; i < stop_ && v.size() >= content_.size() &&
                      v.substr(v.size() - content_.size()) == content_;
           ++i) {
        v.remove_suffix(content_.size());
      }
      p = std::string(v);
    }
    return pieces;
  }

 private:
  std::string content_;
  int start_, stop_;
};

class MetaspaceDecoder final : public Decoder {
 public:
  MetaspaceDecoder(std::string replacement, bool strip_first)
      : replacement_(std::move(replacement)), strip_first_(strip_first) {}
  std::vector<std::string> decode_chain(std::vector<std::string> pieces) const override {
    for (size_t i = 0; i < pieces.size(); ++i) {
      std::string s = replace_all(pieces[i], replacement_, " ");
      if (strip_first_ && i == 0 && !s.empty() && s[0] == ' ') s.erase(0, 1);
      pieces[i] = std::move(s);
    }
    return pieces;
  }

 private:
  std::string replacement_;
  bool strip_first_;
};

}  // namespace

std::unique_ptr<Decoder> make_decoder(const json& config, const std::string& path,
                                      const std::unordered_set<std::string>* added) {
  if (config.is_null()) return nullptr;
  if (!config.is_object() || !config.contains("type") || !config["type"].is_string()) {
    throw Error(ErrorCode::kCorruptData, path + " has no string 'type'");
  }
  const std::string type = config["type"].get<std::string>();
  if (type == "Sequence") {
    std::vector<std::unique_ptr<Decoder>> parts;
    const json& list = config.value("decoders", json::array());
    for (size_t i = 0; i < list.size(); ++i) {
      auto p = make_decoder(list[i], path + ".decoders[" + std::to_string(i) + "]", added);
      if (p) parts.push_back(std::move(p));
    }
    return std::make_unique<SequenceDecoder>(std::move(parts));
  }
  if (type == "ByteLevel") return std::make_unique<ByteLevelDecoder>(added);
  if (type == "Replace") {
    return std::make_unique<ReplaceDecoder>(
        Pattern::from_json(config.at("pattern"), path + ".pattern"),
        config.at("content").get<std::string>());
  }
  if (type == "ByteFallback") return std::make_unique<ByteFallbackDecoder>();
  if (type == "Fuse") return std::make_unique<FuseDecoder>();
  if (type == "Strip") {
    return std::make_unique<StripDecoder>(config.value("content", std::string(" ")),
                                          config.value("start", 0), config.value("stop", 0));
  }
  if (type == "Metaspace") {
    bool strip = config.value("add_prefix_space", true);
    if (config.contains("prepend_scheme") && config["prepend_scheme"].is_string()) {
      strip = config["prepend_scheme"].get<std::string>() != "never";
    }
    return std::make_unique<MetaspaceDecoder>(
        config.value("replacement", std::string("\xE2\x96\x81")), strip);
  }
  throw Error(ErrorCode::kUnsupported, path + ".type = '" + type + "' is not supported");
}

}  // namespace llmkit::tokenizer::hf
