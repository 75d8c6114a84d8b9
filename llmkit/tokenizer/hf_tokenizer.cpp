#include "llmkit/tokenizer/hf_tokenizer.h"

#include <fstream>
#include <sstream>

#include "llmkit/base/error.h"
#include "llmkit/tokenizer/hf_text.h"
#include "llmkit/tokenizer/hf_tokenizer_impl.h"

namespace llmkit::tokenizer {

void AddedTokenTrie::insert(std::string_view content, int32_t token_index) {
  int32_t node = 0;
  for (const char c : content) {
    const uint64_t key = (static_cast<uint64_t>(node) << 8) | static_cast<uint8_t>(c);
    const auto it = edges_.find(key);
    if (it != edges_.end()) {
      node = it->second;
    } else {
      const auto child = static_cast<int32_t>(terminal_.size());
      terminal_.push_back(-1);
      edges_.emplace(key, child);
      node = child;
    }
  }
  if (node != 0) terminal_[static_cast<size_t>(node)] = token_index;
}

int32_t AddedTokenTrie::longest_match(std::string_view text, size_t pos, bool allow_special,
                                      const std::vector<HfAddedToken>& tokens, size_t* len) const {
  int32_t node = 0, best = -1;
  for (size_t i = pos; i < text.size(); ++i) {
    const uint64_t key = (static_cast<uint64_t>(node) << 8) | static_cast<uint8_t>(text[i]);
    const auto it = edges_.find(key);
    if (it == edges_.end()) break;
    node = it->second;
    const int32_t t = terminal_[static_cast<size_t>(node)];
    if (t >= 0 && (allow_special || !tokens[static_cast<size_t>(t)].special)) {
      best = t;
      *len = i + 1 - pos;
    }
  }
  return best;
}

std::vector<int32_t> HfTokenizer::Impl::encode(std::string_view raw, bool add_bos,
                                               bool parse_special) const {
  const std::string text = hf::sanitize_utf8(raw);
  // 1. Cut the text at added tokens (longest match at each position, left to right).
  struct Section {
    std::string_view text;
    int32_t added = -1;  // index into `added`, or -1 for ordinary text
  };
  std::vector<Section> sections;
  size_t start = 0, pos = 0;
  while (pos < text.size()) {
    size_t len = 0;
    const int32_t t = trie.longest_match(text, pos, parse_special, added, &len);
    if (t < 0) {
      ++pos;
      continue;
    }
    if (pos > start) sections.push_back({std::string_view(text).substr(start, pos - start), -1});
    sections.push_back({std::string_view(text).substr(pos, len), t});
    pos += len;
    start = pos;
  }
  if (start < text.size()) sections.push_back({std::string_view(text).substr(start), -1});
  // 2. lstrip / rstrip remove the whitespace next to an added token.
  for (size_t i = 0; i < sections.size(); ++i) {
    if (sections[i].added < 0) continue;
    const HfAddedToken& tok = added[static_cast<size_t>(sections[i].added)];
    if (tok.lstrip && i > 0 && sections[i - 1].added < 0) {
      sections[i - 1].text = hf::js_trim_end(sections[i - 1].text);
    }
    if (tok.rstrip && i + 1 < sections.size() && sections[i + 1].added < 0) {
      sections[i + 1].text = hf::js_trim_start(sections[i + 1].text);
    }
  }
  // 3. Normalize, pre-tokenize and encode each ordinary section.
  std::vector<int32_t> ids;
  for (size_t i = 0; i < sections.size(); ++i) {
    const Section& s = sections[i];
    if (s.added >= 0) {
      ids.push_back(added[static_cast<size_t>(s.added)].id);
      continue;
    }
    if (s.text.empty()) continue;
    std::string norm = normalizer ? normalizer->normalize(s.text) : std::string(s.text);
    if (norm.empty()) continue;
    std::vector<std::string> words{std::move(norm)};
    if (pre_tokenizer) words = pre_tokenizer->split(words, static_cast<int>(i));
    const std::vector<int32_t> part = model->encode_words(words);
    ids.insert(ids.end(), part.begin(), part.end());
  }
  // 4. The post-processor's BOS, never twice.
  if (add_bos && !bos_ids.empty()) {
    const bool present =
        ids.size() >= bos_ids.size() && std::equal(bos_ids.begin(), bos_ids.end(), ids.begin());
    if (!present) ids.insert(ids.begin(), bos_ids.begin(), bos_ids.end());
  }
  return ids;
}

std::string HfTokenizer::Impl::decode(const std::vector<int32_t>& ids) const {
  std::vector<std::string> parts;
  parts.reserve(ids.size());
  for (const int32_t id : ids) {
    LLMKIT_CHECK_CODE(id >= 0 && static_cast<size_t>(id) < pieces.size(), ErrorCode::kOutOfRange,
                      "HfTokenizer::decode: id ", id, " is outside [0, ", pieces.size(), ")");
    if (special[static_cast<size_t>(id)] != 0) continue;
    parts.push_back(pieces[static_cast<size_t>(id)]);
  }
  std::string out;
  if (decoder) {
    for (const auto& p : decoder->decode_chain(std::move(parts))) out += p;
  } else {
    for (size_t i = 0; i < parts.size(); ++i) out += (i > 0 ? " " : "") + parts[i];
  }
  return out;
}

HfTokenizer::HfTokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HfTokenizer::~HfTokenizer() = default;

std::shared_ptr<const HfTokenizer> HfTokenizer::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  LLMKIT_CHECK_CODE(in.good(), ErrorCode::kNotFound, "tokenizer.json '", path,
                    "' cannot be opened");
  std::ostringstream buf;
  buf << in.rdbuf();
  return from_json(buf.str(), path);
}

std::shared_ptr<const HfTokenizer> HfTokenizer::from_json(std::string_view json_text,
                                                          std::string_view source) {
  auto impl = std::make_unique<Impl>();
  impl->source = std::string(source);
  impl->fingerprint = fnv1a_64(json_text);
  try {
    load_hf_tokenizer(json_text, *impl);
  } catch (const Error& e) {
    throw Error(e.code(), std::string(source) + ": " + e.what());
  }
  return std::shared_ptr<const HfTokenizer>(new HfTokenizer(std::move(impl)));
}

std::vector<int32_t> HfTokenizer::encode(std::string_view text) const {
  return impl_->encode(text, false, false);
}

std::vector<int32_t> HfTokenizer::encode(std::string_view text, bool add_bos,
                                         bool parse_special) const {
  return impl_->encode(text, add_bos, parse_special);
}

bool HfTokenizer::uses_bos() const {
  return !impl_->bos_ids.empty();
}

std::string HfTokenizer::token_to_piece(int32_t id, bool with_special) const {
  const std::string piece = id_to_piece(id);  // checks the range
  if (impl_->special[static_cast<size_t>(id)] != 0) return with_special ? piece : std::string();
  if (impl_->decoder && impl_->decoder->byte_level()) {
    // ByteLevel passes added tokens through as text
    if (impl_->added_by_content.count(piece) != 0) return piece;
    return hf::byte_alphabet_to_bytes(piece);
  }
  return hf::metaspace_piece_bytes(piece);
}

std::string HfTokenizer::decode(const std::vector<int32_t>& ids) const {
  return impl_->decode(ids);
}

std::string HfTokenizer::id_to_piece(int32_t id) const {
  LLMKIT_CHECK_CODE(id >= 0 && static_cast<size_t>(id) < impl_->pieces.size(),
                    ErrorCode::kOutOfRange, "HfTokenizer::id_to_piece: id ", id, " is outside [0, ",
                    impl_->pieces.size(), ")");
  return impl_->pieces[static_cast<size_t>(id)];
}

int32_t HfTokenizer::piece_to_id(std::string_view piece) const {
  return impl_->model->piece_to_id(piece);
}

int32_t HfTokenizer::n_vocab() const {
  return static_cast<int32_t>(impl_->pieces.size());
}
int32_t HfTokenizer::bos_id() const {
  return impl_->bos;
}
int32_t HfTokenizer::eos_id() const {
  return impl_->eos;
}
int32_t HfTokenizer::pad_id() const {
  return impl_->pad;
}
int32_t HfTokenizer::unk_id() const {
  return impl_->unk;
}

bool HfTokenizer::is_special(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= impl_->special.size()) return false;
  return impl_->special[static_cast<size_t>(id)] != 0 || id == impl_->unk;
}

uint64_t HfTokenizer::fingerprint() const {
  return impl_->fingerprint;
}

}  // namespace llmkit::tokenizer
