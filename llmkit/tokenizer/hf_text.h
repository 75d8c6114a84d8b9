// UTF-8 helpers for the tokenizer.json pipeline (hf_tokenizer.h). The reference implementation
// (transformers.js) works on JavaScript strings, so these helpers reproduce JavaScript's view of
// text: invalid UTF-8 is read as U+FFFD (one per maximal invalid subpart, as TextDecoder does),
// whitespace is JavaScript's \s set (String.prototype.trim), and bytes map to GPT-2's printable
// byte alphabet for byte-level BPE.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace llmkit::tokenizer::hf {

// text with every invalid UTF-8 sequence replaced by U+FFFD (WHATWG "maximal subpart" rule:
// a truncated but well-started sequence is one U+FFFD, any other bad byte is one U+FFFD each).
std::string sanitize_utf8(std::string_view text);

// Decodes the code point starting at text[pos] (text must be valid UTF-8); sets *len to its
// byte length.
char32_t decode_utf8(std::string_view text, size_t pos, size_t* len);
void append_utf8(std::string& out, char32_t cp);
// The code points of valid UTF-8 text, each as its own UTF-8 string.
std::vector<std::string> split_chars(std::string_view text);

// JavaScript's \s (WhiteSpace + LineTerminator).
bool is_js_space(char32_t cp);
std::string_view js_trim_start(std::string_view text);
std::string_view js_trim_end(std::string_view text);

// GPT-2's bytes_to_unicode: byte b -> a printable code point (as UTF-8).
const std::string& byte_to_unicode(uint8_t b);
// Inverse: code point -> byte, or -1 when cp is not in the byte alphabet.
int unicode_to_byte(char32_t cp);

// The bytes of a piece in GPT-2's byte alphabet (a character outside the alphabet becomes byte 0,
// as the ByteLevel decoder reads it).
std::string byte_alphabet_to_bytes(std::string_view piece);

// The bytes of a SentencePiece-style piece on its own: a byte-fallback piece "<0xNN>" is that one
// byte, any other has its U+2581 space markers turned into spaces.
std::string metaspace_piece_bytes(std::string_view piece);

// Replaces every occurrence of from (non-empty) by to.
std::string replace_all(std::string_view text, std::string_view from, std::string_view to);

}  // namespace llmkit::tokenizer::hf
