// The tokenizer interface shared by training (data preparation) and inference: text <-> token ids,
// the special ids, a fingerprint that ties a model to its tokenizer, and a streaming decoder.
//
// Thread safety: every const member of a Tokenizer may be called concurrently from any number of
// threads once the object is built. A StreamingDecoder is per stream (one generation) and not
// thread-safe; it keeps a reference to its Tokenizer, which must outlive it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace llmkit::tokenizer {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // Token ids of text, without BOS/EOS (callers add those explicitly). Never fails: characters
  // outside the vocabulary become byte pieces (byte fallback) or unk_id(). For valid UTF-8 text
  // and a byte-fallback vocabulary, decode(encode(text)) == text, except that SentencePiece reads
  // U+2581 '▁' (its space marker) as a space; invalid UTF-8 bytes are read as U+FFFD.
  virtual std::vector<int32_t> encode(std::string_view text) const = 0;

  // Token ids of text as a model reads them.
  // add_bos: BOS first when the tokenizer's BOS policy asks for one (uses_bos()), and never twice:
  //   not when the ids already start with BOS (text that begins with the BOS token, parsed with
  //   parse_special).
  // parse_special: special tokens written in the text ("<bos>", "<|im_start|>") become their ids;
  //   otherwise they are tokenized as ordinary text. Tokens the vocabulary matches in any text
  //   (SentencePiece user-defined symbols, tokenizer.json non-special added tokens) are matched
  //   either way. encode(text) == encode(text, false, false).
  // The default implementation parses no special tokens; implementations override it.
  virtual std::vector<int32_t> encode(std::string_view text, bool add_bos,
                                      bool parse_special) const;

  // The BOS policy: true when the model expects BOS before a text (GGUF add_bos_token, a
  // tokenizer.json post-processor that adds one, a SentencePiece model with a BOS piece).
  // Default: the vocabulary has a BOS token.
  virtual bool uses_bos() const { return bos_id() >= 0; }

  // Ids that end a generation: EOS and the end-of-turn tokens the vocabulary has (<end_of_turn>,
  // <|eot_id|>, <|eom_id|>, <|im_end|>, <|endoftext|>, <|end|>, <|return|>), each once.
  virtual std::vector<int32_t> end_ids() const;

  // The bytes id contributes to generated text, on its own: "▁the" -> " the", a byte piece
  // "<0x0A>" -> "\n" (one raw byte, possibly part of a multi-byte character), a byte-level BPE
  // piece -> its bytes; special tokens -> "" unless with_special, which gives their text. Unlike
  // decode({id}) nothing is stripped or replaced. Throws Error(kOutOfRange) for ids out of range.
  // The default implementation is decode({id}) for ordinary tokens.
  virtual std::string token_to_piece(int32_t id, bool with_special = false) const;

  // Text of ids. Control tokens (pad, bos, eos) decode to nothing; byte pieces are joined into
  // UTF-8 characters (an invalid byte sequence decodes to U+FFFD). Throws Error(kOutOfRange)
  // naming the id when an id is outside [0, n_vocab()).
  virtual std::string decode(const std::vector<int32_t>& ids) const = 0;

  // The vocabulary entry of id ("▁the", "<0x0A>", "<eos>"). Throws Error(kOutOfRange) when id is
  // outside [0, n_vocab()).
  virtual std::string id_to_piece(int32_t id) const = 0;
  // The id of a vocabulary entry, or -1 when piece is not in the vocabulary.
  virtual int32_t piece_to_id(std::string_view piece) const = 0;

  // Vocabulary size V: ids are 0 .. V-1.
  virtual int32_t n_vocab() const = 0;
  // Special ids; -1 when the vocabulary has no such token.
  virtual int32_t bos_id() const = 0;
  virtual int32_t eos_id() const = 0;
  virtual int32_t pad_id() const = 0;
  virtual int32_t unk_id() const = 0;

  // True for tokens that are not ordinary text pieces: control tokens (pad, bos, eos), unk, and
  // reserved user-defined symbols such as the chat tokens <start_of_turn> / <end_of_turn>. False
  // for normal pieces, byte pieces and ids out of range.
  virtual bool is_special(int32_t id) const = 0;

  // A stable 64-bit hash of the serialized tokenizer (same bytes -> same value on every machine
  // and run). Checkpoints store it so that loading a model with another tokenizer is detected.
  virtual uint64_t fingerprint() const = 0;

 protected:
  // The BOS policy applied to encoded ids: BOS first when uses_bos() and ids do not start with it.
  void prepend_bos(std::vector<int32_t>& ids) const;
};

// FNV-1a, 64 bit, over bytes: the hash behind Tokenizer::fingerprint().
uint64_t fnv1a_64(std::string_view bytes);

// Turns a stream of token ids into text incrementally (for printing tokens as they are generated).
// The concatenation of every push() result and the final flush() equals tokenizer.decode(all ids
// pushed). Each returned string is valid UTF-8 on its own: text is held back while the ids so far
// end inside a multi-byte character (byte-fallback pieces) and released once it is complete.
//
// Only trailing U+FFFD are held back, at most three (an unfinished character has at most three
// bytes before its last one, each decoding to U+FFFD); so a genuinely invalid byte comes out as
// U+FFFD once any other piece or three more bytes follow it, or from flush(). This relies on the
// decoder being prefix-stable apart from that and from the dummy-prefix space a SentencePiece
// model may drop at the start of a text, which the decoder handles by keeping context ids.
// Cost: each push decodes only the ids since the last fully emitted point plus a few ids of
// context, so a stream of N tokens costs O(N) decode work (barring long runs of invalid bytes).
class StreamingDecoder {
 public:
  explicit StreamingDecoder(const Tokenizer& tokenizer) : tokenizer_(tokenizer) {}

  // Adds one id; returns the text it completes (often empty). Throws like Tokenizer::decode for an
  // id out of range (the decoder's state is then unchanged).
  std::string push(int32_t id);

  // Returns whatever is still held back (an incomplete byte sequence decodes to U+FFFD) and
  // resets the decoder for a new stream.
  std::string flush();

  // Drops all state without returning text.
  void reset();

 private:
  // Drops emitted ids from the front of window_, keeping a few as context (see .cpp).
  void slide();

  const Tokenizer& tokenizer_;
  // ids: context ids (already fully emitted, kept by slide()) followed by the ids pushed since
  std::vector<int32_t> window_;
  std::string context_text_;  // decode(context ids)
  size_t emitted_ = 0;        // bytes emitted past context_text_
};

}  // namespace llmkit::tokenizer
