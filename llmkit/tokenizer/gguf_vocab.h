// Tokenizers in GGUF metadata (the tokenizer.ggml.* keys of llama.cpp, src/llama-vocab.cpp).
//
// llmkit's SentencePiece models are written as llama.cpp's "llama" (SPM) vocabulary:
//   tokenizer.ggml.model "llama", tokenizer.ggml.pre "default",
//   tokenizer.ggml.tokens [V strings], .scores [V f32], .token_type [V i32] (SentencePiece's piece
//   types, which llama.cpp uses as is: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused,
//   6 byte), .bos_token_id / .eos_token_id / .unknown_token_id / .padding_token_id (u32, when the
//   tokenizer has them), .eot_token_id (the id of <end_of_turn> if the vocabulary has one),
//   .add_bos_token true, .add_eos_token false, .add_space_prefix (the
//   model's add_dummy_prefix), .remove_extra_whitespaces (the model's setting).
// llama.cpp's SPM tokenizer merges adjacent symbols by score, which is SentencePiece's BPE
// algorithm: a BPE-trained model tokenizes identically in both; a unigram model may not (a warning
// is logged when one is exported).
//
// Reading goes the other way: a "llama" vocabulary becomes a SentencePiece ModelProto (BPE, byte
// fallback when byte pieces exist, identity normalization with add_dummy_prefix from
// tokenizer.ggml.add_space_prefix, default true as in llama.cpp) loaded by SentencePieceTokenizer.
// Its fingerprint differs from the original .model file's (other bytes), its tokens do not.
#pragma once

#include <memory>

#include "llmkit/io/gguf.h"
#include "llmkit/tokenizer/sentencepiece_tokenizer.h"

namespace llmkit::tokenizer {

// Adds the tokenizer.ggml.* keys above (replacing any already set). pad_to > n_vocab appends
// pieces "<unused0>", "<unused1>", ... of type unused (5) up to pad_to entries, for a model whose
// embedding has more rows than the tokenizer has pieces (random benchmark models of a real
// vocabulary size; Gemma's own vocabulary reserves such pieces too). They are never produced by
// encoding.
void add_vocab_to_gguf(const SentencePieceTokenizer& tokenizer, io::GgufWriter& writer,
                       int64_t pad_to = 0);

// The tokenizer of a GGUF file. Errors: Error(kNotFound) when the file has no tokenizer.ggml.model
// or tokens; Error(kUnsupported) for tokenizer models other than "llama" and "gpt2" (byte-level
// BPE, read by bpe_tokenizer_from_gguf in gguf_bpe.h); Error(kCorruptData)
// naming the file for inconsistent arrays or a vocabulary SentencePiece rejects (e.g. duplicate
// pieces). Special ids follow llama.cpp: bos 1, eos 2, unk 0 unless the keys say otherwise; ids
// outside the vocabulary are ignored with a warning.
std::shared_ptr<const Tokenizer> tokenizer_from_gguf(const io::GgufFile& file);

}  // namespace llmkit::tokenizer
