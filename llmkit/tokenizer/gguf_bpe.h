// GGUF byte-level BPE vocabularies (tokenizer.ggml.model = "gpt2", as llama.cpp writes Llama 3,
// Qwen2 and GPT-2 models): tokenizer.ggml.tokens (pieces in GPT-2's byte alphabet), .merges
// ("left right" strings, rank order), .token_type (1 normal, 3 control -> special added token,
// 4 user-defined -> added token matched in any text), .pre choosing the pre-tokenizer regex
// ("gpt2"/"gpt-2", "llama3"/"llama-bpe"/"llama-v3" (which also keeps vocabulary words whole,
// ignore_merges), "qwen2"), .bos_token_id / .eos_token_id / .padding_token_id and
// .add_bos_token (default true for the Llama 3 family, as llama.cpp). Built on HfTokenizer.
#pragma once

#include <memory>

#include "llmkit/io/gguf.h"
#include "llmkit/tokenizer/tokenizer.h"

namespace llmkit::tokenizer {

// Errors: Error(kNotFound) when tokens or merges are missing; Error(kUnsupported) naming the
// value for a tokenizer.ggml.pre llmkit does not implement; Error(kCorruptData) for inconsistent
// arrays.
std::shared_ptr<const Tokenizer> bpe_tokenizer_from_gguf(const io::GgufFile& file);

}  // namespace llmkit::tokenizer
