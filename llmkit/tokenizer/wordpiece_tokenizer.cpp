// BERT WordPiece (see wordpiece_tokenizer.h).
#include "llmkit/tokenizer/wordpiece_tokenizer.h"

#include <utf8proc.h>

#include <algorithm>

#include "llmkit/base/atomic_file.h"
#include "llmkit/base/error.h"
#include "llmkit/base/logging.h"
#include "llmkit/tokenizer/hf_text.h"
#include "llmkit/tokenizer/normalizer.h"

namespace llmkit::tokenizer {
namespace {

constexpr std::string_view kPhantomSpace = "\xE2\x96\x81";  // U+2581, llama.cpp's word start
constexpr std::string_view kContinuation = "##";

utf8proc_category_t category(char32_t cp) {
  return utf8proc_category(static_cast<utf8proc_int32_t>(cp));
}

bool is_control(char32_t cp) {
  if (cp == '\t' || cp == '\n' || cp == '\r') return false;
  switch (category(cp)) {
    case UTF8PROC_CATEGORY_CC:
    case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_CS:
    case UTF8PROC_CATEGORY_CO:
    case UTF8PROC_CATEGORY_CN:
      return true;
    default:
      return false;
  }
}

bool is_whitespace(char32_t cp) {
  if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r') return true;
  const utf8proc_category_t c = category(cp);
  return c == UTF8PROC_CATEGORY_ZS || c == UTF8PROC_CATEGORY_ZL || c == UTF8PROC_CATEGORY_ZP;
}

bool is_punctuation(char32_t cp) {
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) ||
      (cp >= 123 && cp <= 126)) {
    return true;
  }
  const utf8proc_category_t c = category(cp);
  return c >= UTF8PROC_CATEGORY_PC && c <= UTF8PROC_CATEGORY_PO;
}

// BERT's "Chinese character" blocks (CJK Unified Ideographs and extensions, compatibility).
bool is_chinese_char(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
         (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

bool is_cased(char32_t cp) {
  const utf8proc_category_t c = category(cp);
  return c == UTF8PROC_CATEGORY_LU || c == UTF8PROC_CATEGORY_LL || c == UTF8PROC_CATEGORY_LT;
}

// Unicode's Case_Ignorable, approximated by its general categories and word-break characters.
bool is_case_ignorable(char32_t cp) {
  switch (category(cp)) {
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_SK:
      return true;
    default:
      return cp == '\'' || cp == '.' || cp == ':' || cp == 0xB7 || cp == 0x2018 || cp == 0x2019 ||
             cp == 0x2024 || cp == 0xFE52 || cp == 0xFF07 || cp == 0xFF0E;
  }
}

// Lower-cases cps in place; capital sigma becomes final sigma where Unicode's Final_Sigma holds
// (a cased letter before it and none after it, skipping case-ignorable characters), as Python's
// str.lower and JavaScript's toLowerCase do.
void lowercase(std::vector<char32_t>& cps) {
  const std::vector<char32_t> orig = cps;
  for (size_t i = 0; i < orig.size(); ++i) {
    const char32_t cp = orig[i];
    if (cp == 0x03A3) {
      size_t b = i;
      while (b > 0 && is_case_ignorable(orig[b - 1])) --b;
      size_t a = i + 1;
      while (a < orig.size() && is_case_ignorable(orig[a])) ++a;
      const bool before = b > 0 && is_cased(orig[b - 1]);
      const bool after = a < orig.size() && is_cased(orig[a]);
      cps[i] = before && !after ? 0x03C2 : 0x03C3;
      continue;
    }
    cps[i] = static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(cp)));
  }
}

std::vector<char32_t> code_points(std::string_view valid_utf8) {
  std::vector<char32_t> out;
  out.reserve(valid_utf8.size());
  for (size_t pos = 0; pos < valid_utf8.size();) {
    size_t len = 0;
    out.push_back(hf::decode_utf8(valid_utf8, pos, &len));
    pos += len;
  }
  return out;
}

std::string to_utf8(const std::vector<char32_t>& cps) {
  std::string s;
  for (char32_t cp : cps) hf::append_utf8(s, cp);
  return s;
}

int32_t find_by_name(const std::unordered_map<std::string, int32_t>& m, const char* name) {
  auto it = m.find(name);
  return it == m.end() ? -1 : it->second;
}

}  // namespace

WordPieceTokenizer::WordPieceTokenizer(std::vector<std::string> pieces, WordPieceOptions options,
                                       WordPieceSpecials specials,
                                       const std::vector<int32_t>& control_ids)
    : pieces_(std::move(pieces)), options_(options), specials_(specials) {
  LLMKIT_CHECK(!pieces_.empty(), "WordPieceTokenizer: the vocabulary is empty");
  LLMKIT_CHECK(options_.max_input_chars_per_word > 0,
               "WordPieceTokenizer: max_input_chars_per_word must be positive");
  const auto n = static_cast<int32_t>(pieces_.size());
  std::string serial;
  for (int32_t id = 0; id < n; ++id) {
    const std::string& p = pieces_[id];
    LLMKIT_CHECK(!p.empty(), "WordPieceTokenizer: piece ", id, " is empty");
    // A piece listed twice maps to its last id, as BERT's vocab loader and llama.cpp do.
    by_piece_[p] = id;
    if (p.size() > kContinuation.size() && p.starts_with(kContinuation)) {
      continuation_[p.substr(kContinuation.size())] = id;
    } else {
      initial_[p] = id;
    }
    serial += p;
    serial += '\n';
  }
  auto resolve = [&](int32_t& id, const char* name) {
    if (id < 0) id = find_by_name(by_piece_, name);
    LLMKIT_CHECK_CODE(id < n, ErrorCode::kOutOfRange, "WordPieceTokenizer: the id ", id, " of ",
                      name, " is outside the vocabulary of ", n);
  };
  resolve(specials_.unk, "[UNK]");
  resolve(specials_.cls, "[CLS]");
  resolve(specials_.sep, "[SEP]");
  resolve(specials_.pad, "[PAD]");
  resolve(specials_.mask, "[MASK]");
  LLMKIT_CHECK_CODE(specials_.unk >= 0, ErrorCode::kNotFound,
                    "WordPieceTokenizer: the vocabulary has no unknown token ([UNK])");
  special_.assign(pieces_.size(), false);
  std::vector<int32_t> controls = control_ids;
  for (int32_t id : {specials_.unk, specials_.cls, specials_.sep, specials_.pad, specials_.mask}) {
    if (id >= 0) controls.push_back(id);
  }
  for (int32_t id : controls) {
    LLMKIT_CHECK_CODE(id >= 0 && id < n, ErrorCode::kOutOfRange, "WordPieceTokenizer: control id ",
                      id, " is outside the vocabulary of ", n);
    if (!special_[id]) special_texts_.push_back(pieces_[id]);
    special_[id] = true;
  }
  std::stable_sort(special_texts_.begin(), special_texts_.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  serial += str_cat(options_.clean_text, options_.handle_chinese_chars, options_.lowercase,
                    strip_accents(), options_.max_input_chars_per_word, ' ', specials_.unk, ' ',
                    specials_.cls, ' ', specials_.sep, ' ', specials_.pad, ' ', specials_.mask);
  for (const std::string& s : special_texts_) serial += "\n" + s;
  fingerprint_ = fnv1a_64(serial);
}

std::shared_ptr<const WordPieceTokenizer> WordPieceTokenizer::from_vocab_file(
    const std::string& path, WordPieceOptions options) {
  const std::string text = read_file(path);
  std::vector<std::string> pieces;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    LLMKIT_CHECK_CODE(!line.empty(), ErrorCode::kCorruptData, path, ": line ", pieces.size() + 1,
                      " is empty (a vocab.txt has one piece per line)");
    pieces.push_back(std::move(line));
    pos = end + 1;
  }
  LLMKIT_CHECK_CODE(!pieces.empty(), ErrorCode::kCorruptData, path, " holds no pieces");
  return std::make_shared<WordPieceTokenizer>(std::move(pieces), options);
}

std::shared_ptr<const WordPieceTokenizer> WordPieceTokenizer::from_gguf(const io::GgufFile& f) {
  const std::string& path = f.path();
  LLMKIT_CHECK_CODE(f.has("tokenizer.ggml.tokens"), ErrorCode::kNotFound, path,
                    " has no tokenizer (tokenizer.ggml.tokens is missing)");
  const std::string model = f.get_string("tokenizer.ggml.model");
  LLMKIT_CHECK(model == "bert", path, ": tokenizer.ggml.model is '", model,
               "', not \"bert\" (WordPiece)");
  const std::vector<std::string> tokens =
      f.get("tokenizer.ggml.tokens").as_string_array("tokenizer.ggml.tokens");
  const auto n = static_cast<int64_t>(tokens.size());
  std::vector<int64_t> types(tokens.size(), 1);
  if (const io::GgufValue* v = f.find("tokenizer.ggml.token_type")) {
    types = v->as_int_array("tokenizer.ggml.token_type");
    LLMKIT_CHECK_CODE(static_cast<int64_t>(types.size()) >= n, ErrorCode::kCorruptData, path,
                      ": tokenizer.ggml.token_type has ", types.size(), " entries for ", n,
                      " tokens");
  }
  std::vector<std::string> pieces;
  std::vector<int32_t> controls;
  for (int64_t i = 0; i < n; ++i) {
    const std::string& t = tokens[i];
    if (types[i] == 3) {
      controls.push_back(static_cast<int32_t>(i));
      pieces.push_back(t.empty() ? str_cat("[EMPTY_", i, "]") : t);
    } else if (t.starts_with(kPhantomSpace)) {
      // A bare U+2581 would be an empty word-initial piece, which can never match a word.
      pieces.push_back(t.size() == kPhantomSpace.size() ? str_cat("[EMPTY_", i, "]")
                                                        : t.substr(kPhantomSpace.size()));
    } else {
      pieces.push_back(t.empty() ? str_cat("[EMPTY_", i, "]") : std::string(kContinuation) + t);
    }
  }
  auto id = [&](const char* key, int64_t fallback) -> int32_t {
    int64_t v = fallback;
    if (const io::GgufValue* value = f.find(key)) v = value->as_int(key);
    if (v < 0 || v >= n) {
      if (f.has(key)) LLMKIT_LOG(kWarn, path, ": ", key, " = ", v, " is outside the vocabulary");
      return -1;
    }
    return static_cast<int32_t>(v);
  };
  WordPieceSpecials s;
  s.unk = id("tokenizer.ggml.unknown_token_id", 100);
  s.cls = f.has("tokenizer.ggml.cls_token_id") ? id("tokenizer.ggml.cls_token_id", 101)
                                               : id("tokenizer.ggml.bos_token_id", 101);
  s.sep = id("tokenizer.ggml.seperator_token_id", 102);
  s.pad = id("tokenizer.ggml.padding_token_id", 0);
  s.mask = id("tokenizer.ggml.mask_token_id", 103);
  WordPieceOptions o;
  o.lowercase = f.get_bool_or("tokenizer.ggml.normalizer.lowercase", true);
  o.strip_accents = f.get_bool_or("tokenizer.ggml.normalizer.strip_accents", o.lowercase);
  try {
    return std::make_shared<WordPieceTokenizer>(std::move(pieces), o, s, controls);
  } catch (const Error& e) {
    throw Error(ErrorCode::kCorruptData, str_cat(path, ": bad WordPiece vocabulary: ", e.what()));
  }
}

std::vector<std::string> WordPieceTokenizer::basic_tokenize(std::string_view text) const {
  std::vector<char32_t> cps;
  for (char32_t cp : code_points(hf::sanitize_utf8(text))) {
    if (options_.clean_text) {
      if (cp == 0 || cp == 0xFFFD || is_control(cp)) continue;
      if (is_whitespace(cp)) cp = ' ';
    }
    if (options_.handle_chinese_chars && is_chinese_char(cp)) {
      cps.insert(cps.end(), {U' ', cp, U' '});
    } else {
      cps.push_back(cp);
    }
  }
  if (options_.lowercase) lowercase(cps);
  if (strip_accents()) {
    std::vector<char32_t> kept;
    for (char32_t cp : code_points(hf::unicode_normalize(to_utf8(cps), "NFD"))) {
      if (category(cp) != UTF8PROC_CATEGORY_MN) kept.push_back(cp);
    }
    cps = std::move(kept);
  }
  std::vector<std::string> words;
  std::string word;
  auto finish = [&] {
    if (!word.empty()) words.push_back(std::move(word));
    word.clear();
  };
  for (char32_t cp : cps) {
    if (is_whitespace(cp)) {
      finish();
    } else if (is_punctuation(cp)) {
      finish();
      hf::append_utf8(word, cp);
      finish();
    } else {
      hf::append_utf8(word, cp);
    }
  }
  finish();
  return words;
}

void WordPieceTokenizer::encode_word(const std::string& word, std::vector<int32_t>& out) const {
  // Byte offsets of the code point boundaries: pieces start and end only there.
  std::vector<size_t> bounds;
  for (size_t pos = 0; pos < word.size();) {
    bounds.push_back(pos);
    size_t len = 0;
    hf::decode_utf8(word, pos, &len);
    pos += len;
  }
  const size_t n_chars = bounds.size();
  bounds.push_back(word.size());
  if (n_chars > static_cast<size_t>(options_.max_input_chars_per_word)) {
    out.push_back(specials_.unk);
    return;
  }
  const size_t mark = out.size();
  size_t start = 0;
  while (start < n_chars) {
    const auto& table = start == 0 ? initial_ : continuation_;
    int32_t found = -1;
    size_t end = n_chars;
    for (; end > start; --end) {
      auto it = table.find(word.substr(bounds[start], bounds[end] - bounds[start]));
      if (it != table.end()) {
        found = it->second;
        break;
      }
    }
    if (found < 0) {
      out.resize(mark);
      out.push_back(specials_.unk);
      return;
    }
    out.push_back(found);
    start = end;
  }
}

std::vector<int32_t> WordPieceTokenizer::encode(std::string_view text) const {
  std::vector<int32_t> ids;
  for (const std::string& w : basic_tokenize(text)) encode_word(w, ids);
  return ids;
}

std::vector<int32_t> WordPieceTokenizer::encode(std::string_view text, bool add_bos,
                                                bool parse_special) const {
  std::vector<int32_t> ids;
  if (!parse_special) {
    ids = encode(text);
  } else {
    size_t done = 0;
    for (size_t pos = 0; pos < text.size();) {
      const std::string* hit = nullptr;
      for (const std::string& s : special_texts_) {
        if (text.compare(pos, s.size(), s) == 0) {
          hit = &s;
          break;
        }
      }
      if (hit == nullptr) {
        ++pos;
        continue;
      }
      for (int32_t id : encode(text.substr(done, pos - done))) ids.push_back(id);
      ids.push_back(by_piece_.at(*hit));
      pos += hit->size();
      done = pos;
    }
    for (int32_t id : encode(text.substr(done))) ids.push_back(id);
  }
  if (add_bos && specials_.cls >= 0 && (ids.empty() || ids.front() != specials_.cls)) {
    ids.insert(ids.begin(), specials_.cls);
  }
  return ids;
}

bool WordPieceTokenizer::is_special(int32_t id) const {
  return id >= 0 && id < n_vocab() && special_[id];
}

std::string WordPieceTokenizer::id_to_piece(int32_t id) const {
  LLMKIT_CHECK_CODE(id >= 0 && id < n_vocab(), ErrorCode::kOutOfRange, "WordPieceTokenizer: id ",
                    id, " is outside the vocabulary of ", n_vocab());
  return pieces_[id];
}

int32_t WordPieceTokenizer::piece_to_id(std::string_view piece) const {
  auto it = by_piece_.find(std::string(piece));
  return it == by_piece_.end() ? -1 : it->second;
}

std::string WordPieceTokenizer::token_to_piece(int32_t id, bool with_special) const {
  const std::string& p = id_to_piece(id);
  if (special_[id]) return with_special ? p : "";
  if (p.size() > kContinuation.size() && p.starts_with(kContinuation)) {
    return p.substr(kContinuation.size());
  }
  return " " + p;
}

std::string WordPieceTokenizer::decode(const std::vector<int32_t>& ids) const {
  std::string out;
  for (int32_t id : ids) out += token_to_piece(id);
  if (!out.empty() && out.front() == ' ') out.erase(0, 1);
  return out;
}

}  // namespace llmkit::tokenizer
