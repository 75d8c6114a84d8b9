// ChatFormat: a simple built-in chat template per architecture, until the prompt layer brings
// full (Jinja) templates. It turns messages into token ids, writing the template's special tokens
// as their ids (Tokenizer::piece_to_id), never as text to be tokenized.
//
// Styles (content is trimmed of surrounding whitespace, as the published templates do):
//   kGemma  (gemma, gemma2, gemma3 with <start_of_turn> and <end_of_turn> in the vocabulary):
//     <bos><start_of_turn>user\n{system}\n\n{user}<end_of_turn>\n
//     <start_of_turn>model\n{assistant}<end_of_turn>\n ... <start_of_turn>model\n
//     Gemma has no system role: the system text (all system messages joined by "\n\n") goes in
//     front of the next user turn, as Gemma's own template does.
//   kLlama3 (llama with <|start_header_id|>, <|end_header_id|> and <|eot_id|>):
//     <bos><|start_header_id|>{role}<|end_header_id|>\n\n{content}<|eot_id|> ...
//     <|start_header_id|>assistant<|end_header_id|>\n\n
//   kPlain  (any other model):
//     <bos>{system}\n\nUser: {user}\nAssistant: {assistant}\nUser: ... \nAssistant:
//     (stop string "\nUser:", since such a model has no end-of-turn token)
// <bos> is written only when add_bos is set and the tokenizer uses a BOS (Tokenizer::uses_bos).
//
// Roles: "system", "user", "assistant" (anything else is an Error). Multi-turn use with a KV
// cache: encode() the first turn, generate the answer (its tokens stay in the session, its end
// marker is not generated into it), then append encode_next_turn(user) for every further turn;
// as text, render(m0..mk + answer + user) == render(m0..mk) + answer + next_turn_text(user).
//
// Holds a reference to the tokenizer, which must outlive it. Immutable, thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "llmkit/models/model_config.h"
#include "llmkit/tokenizer/tokenizer.h"

namespace llmkit::infer {

struct ChatMessage {
  std::string role;  // "system", "user" or "assistant"
  std::string content;
};

enum class ChatStyle { kGemma, kLlama3, kPlain };
const char* chat_style_name(ChatStyle style);  // "gemma", "llama3", "plain"

class ChatFormat {
 public:
  // The style for the architecture, as listed above (kPlain when the vocabulary lacks the
  // style's special tokens).
  ChatFormat(models::Arch arch, const tokenizer::Tokenizer& tokenizer);
  // A given style; throws Error(kNotFound) naming the special token the vocabulary lacks.
  ChatFormat(ChatStyle style, const tokenizer::Tokenizer& tokenizer);

  ChatStyle style() const { return style_; }

  // Ids of a whole conversation, ending with the assistant's generation prompt when
  // add_generation_prompt. Throws Error(kInvalidArgument) for an unknown role.
  std::vector<int32_t> encode(std::span<const ChatMessage> messages, bool add_bos = true,
                              bool add_generation_prompt = true) const;
  // The same as text, special tokens written as their pieces ("<start_of_turn>"), for display
  // and tests.
  std::string render(std::span<const ChatMessage> messages, bool add_bos = true,
                     bool add_generation_prompt = true) const;

  // Ids to append after a generated answer: the answer's end marker, the user turn and the
  // generation prompt.
  std::vector<int32_t> encode_next_turn(const std::string& user_content) const;
  std::string next_turn_text(const std::string& user_content) const;

  // End-of-turn ids that end an answer (the style's end-of-turn token and the tokenizer's EOS,
  // when they exist), and stop strings (kPlain: "\nUser:").
  std::vector<int32_t> stop_tokens() const;
  std::vector<std::string> stop_strings() const;

 private:
  // A piece of template output: a special token (by id) or text to tokenize.
  struct Segment {
    int32_t special = -1;  // id, or -1 for text
    std::string text;
  };
  std::vector<Segment> segments(std::span<const ChatMessage> messages, bool add_bos,
                                bool add_generation_prompt) const;
  std::vector<Segment> next_turn_segments(const std::string& user_content) const;
  void append_turn(std::vector<Segment>& out, const std::string& role,
                   const std::string& content) const;
  void append_generation_prompt(std::vector<Segment>& out) const;
  std::vector<int32_t> to_ids(const std::vector<Segment>& segments) const;
  std::string to_text(const std::vector<Segment>& segments) const;

  const tokenizer::Tokenizer& tokenizer_;
  ChatStyle style_;
  // kGemma: start_of_turn, end_of_turn; kLlama3: start_header, end_header, eot
  int32_t start_ = -1, end_ = -1, eot_ = -1;
};

}  // namespace llmkit::infer
