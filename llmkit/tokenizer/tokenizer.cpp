#include "llmkit/tokenizer/tokenizer.h"

#include <algorithm>

namespace llmkit::tokenizer {
namespace {

constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

// Length of the prefix of text that is safe to emit. Up to three trailing U+FFFD are cut: they
// may be the first bytes (at most three) of a character whose remaining byte pieces have not
// arrived yet, which the decoder renders one U+FFFD per byte. The end is also moved back to a
// character boundary should the text end inside a multi-byte character.
size_t stable_prefix_length(std::string_view text) {
  size_t end = text.size();
  for (int cut = 0;
       cut < 3 && end >= kReplacementChar.size() &&
       text.substr(end - kReplacementChar.size(), kReplacementChar.size()) == kReplacementChar;
       ++cut) {
    end -= kReplacementChar.size();
  }
  // Find the start of the last character (skip back over continuation bytes 10xxxxxx).
  size_t start = end;
  while (start > 0 && (static_cast<unsigned char>(text[start - 1]) & 0xC0) == 0x80) --start;
  if (start == 0) return end;  // only continuation bytes: nothing complete to cut back to
  --start;
  unsigned char lead = static_cast<unsigned char>(text[start]);
  size_t need = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : 4;
  return end - start < need ? start : end;
}

bool starts_with_replacement(std::string_view text) {
  return text.substr(0, kReplacementChar.size()) == kReplacementChar;
}

}  // namespace

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_bos, bool) const {
  std::vector<int32_t> ids = encode(text);
  if (add_bos) prepend_bos(ids);
  return ids;
}

void Tokenizer::prepend_bos(std::vector<int32_t>& ids) const {
  if (uses_bos() && (ids.empty() || ids.front() != bos_id())) ids.insert(ids.begin(), bos_id());
}

std::string Tokenizer::token_to_piece(int32_t id, bool with_special) const {
  if (is_special(id)) return with_special ? id_to_piece(id) : std::string();
  return decode({id});
}

std::vector<int32_t> Tokenizer::end_ids() const {
  std::vector<int32_t> ids;
  auto add = [&](int32_t id) {
    if (id >= 0 && id < n_vocab() && std::find(ids.begin(), ids.end(), id) == ids.end()) {
      ids.push_back(id);
    }
  };
  add(eos_id());
  for (const char* piece : {"<end_of_turn>", "<|eot_id|>", "<|eom_id|>", "<|im_end|>",
                            "<|endoftext|>", "<|end|>", "<|return|>"}) {
    const int32_t id = piece_to_id(piece);
    if (is_special(id)) add(id);
  }
  return ids;
}

uint64_t fnv1a_64(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV offset basis
  for (char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;  // FNV prime
  }
  return h;
}

// Why a context window: decoding is not token-local. SentencePiece drops the leading space of the
// first piece of a text when the model adds a dummy prefix, and joins byte pieces into characters.
// So each push decodes [context ids + pending ids] and emits what follows decode(context). The
// context is the shortest suffix of already-emitted ids whose text is non-empty and does not start
// inside a byte sequence, which puts the next piece in the same position it has in the full text.
std::string StreamingDecoder::push(int32_t id) {
  window_.push_back(id);
  std::string full;
  try {
    full = tokenizer_.decode(window_);
  } catch (...) {
    window_.pop_back();
    throw;
  }
  // Decoding is prefix-stable, so full begins with context_text_.
  size_t base = std::min(context_text_.size(), full.size());
  std::string_view fresh = std::string_view(full).substr(base);
  size_t stable = stable_prefix_length(fresh);
  std::string out;
  if (stable > emitted_) out.assign(fresh.substr(emitted_, stable - emitted_));
  emitted_ = std::max(emitted_, stable);
  if (stable == fresh.size()) slide();
  return out;
}

void StreamingDecoder::slide() {
  // Everything decoded from window_ has been emitted: keep a short suffix of it as context.
  for (size_t k = 1; k <= window_.size(); ++k) {
    std::vector<int32_t> suffix(window_.end() - static_cast<std::ptrdiff_t>(k), window_.end());
    std::string text = tokenizer_.decode(suffix);
    if (!text.empty() && !starts_with_replacement(text)) {
      window_ = std::move(suffix);
      context_text_ = std::move(text);
      emitted_ = 0;
      return;
    }
  }
  // No such suffix: keep the whole window. When its text is empty (the stream has no text yet) the
  // special ids in it are control tokens, which decode to nothing and do not change how the next
  // piece decodes, so they are dropped to keep the window short. What stays (e.g. a lone "▁"
  // consumed as a dummy prefix) still matters for the next piece.
  std::string text = tokenizer_.decode(window_);
  if (text.empty()) {
    std::erase_if(window_, [this](int32_t id) { return tokenizer_.is_special(id); });
  }
  context_text_ = std::move(text);
  emitted_ = 0;
}

std::string StreamingDecoder::flush() {
  std::string full = tokenizer_.decode(window_);
  size_t start = std::min(context_text_.size() + emitted_, full.size());
  std::string out = full.substr(start);
  reset();
  return out;
}

void StreamingDecoder::reset() {
  window_.clear();
  context_text_.clear();
  emitted_ = 0;
}

}  // namespace llmkit::tokenizer
