#include "llmkit/infer/chat_format.h"

#include "llmkit/base/error.h"

namespace llmkit::infer {
namespace {

std::string trim(const std::string& s) {
  const char* ws = " \t\n\r\f\v";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

bool is_gemma_family(models::Arch arch) {
  return arch == models::Arch::kGemma || arch == models::Arch::kGemma2 ||
         arch == models::Arch::kGemma3;
}

bool has_all(const tokenizer::Tokenizer& tok, std::initializer_list<const char*> pieces) {
  for (const char* p : pieces) {
    if (tok.piece_to_id(p) < 0) return false;
  }
  return true;
}

int32_t require_piece(const tokenizer::Tokenizer& tok, const char* piece, ChatStyle style) {
  int32_t id = tok.piece_to_id(piece);
  LLMKIT_CHECK_CODE(id >= 0, ErrorCode::kNotFound, "chat format '", chat_style_name(style),
                    "' needs the special token ", piece,
                    ", which the model's vocabulary does not have");
  return id;
}

}  // namespace

const char* chat_style_name(ChatStyle style) {
  switch (style) {
    case ChatStyle::kGemma:
      return "gemma";
    case ChatStyle::kLlama3:
      return "llama3";
    case ChatStyle::kPlain:
      return "plain";
  }
  return "?";
}

namespace {

ChatStyle pick_style(models::Arch arch, const tokenizer::Tokenizer& tok) {
  if (is_gemma_family(arch) && has_all(tok, {"<start_of_turn>", "<end_of_turn>"})) {
    return ChatStyle::kGemma;
  }
  if (arch == models::Arch::kLlama &&
      has_all(tok, {"<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"})) {
    return ChatStyle::kLlama3;
  }
  return ChatStyle::kPlain;
}

}  // namespace

ChatFormat::ChatFormat(models::Arch arch, const tokenizer::Tokenizer& tokenizer)
    : ChatFormat(pick_style(arch, tokenizer), tokenizer) {}

ChatFormat::ChatFormat(ChatStyle style, const tokenizer::Tokenizer& tokenizer)
    : tokenizer_(tokenizer), style_(style) {
  if (style == ChatStyle::kGemma) {
    start_ = require_piece(tokenizer, "<start_of_turn>", style);
    end_ = require_piece(tokenizer, "<end_of_turn>", style);
  } else if (style == ChatStyle::kLlama3) {
    start_ = require_piece(tokenizer, "<|start_header_id|>", style);
    end_ = require_piece(tokenizer, "<|end_header_id|>", style);
    eot_ = require_piece(tokenizer, "<|eot_id|>", style);
  }
}

void ChatFormat::append_turn(std::vector<Segment>& out, const std::string& role,
                             const std::string& content) const {
  switch (style_) {
    case ChatStyle::kGemma:  // role is "user" or "model" here; system text already merged
      out.push_back({start_, ""});
      out.push_back({-1, role + "\n" + content});
      out.push_back({end_, ""});
      out.push_back({-1, "\n"});
      break;
    case ChatStyle::kLlama3:
      out.push_back({start_, ""});
      out.push_back({-1, role});
      out.push_back({end_, ""});
      out.push_back({-1, "\n\n" + content});
      out.push_back({eot_, ""});
      break;
    case ChatStyle::kPlain:
      if (role == "system") {
        out.push_back({-1, content + "\n\n"});
      } else {
        out.push_back({-1, (role == "user" ? "User: " : "Assistant: ") + content + "\n"});
      }
      break;
  }
}

void ChatFormat::append_generation_prompt(std::vector<Segment>& out) const {
  switch (style_) {
    case ChatStyle::kGemma:
      out.push_back({start_, ""});
      out.push_back({-1, "model\n"});
      break;
    case ChatStyle::kLlama3:
      out.push_back({start_, ""});
      out.push_back({-1, "assistant"});
      out.push_back({end_, ""});
      out.push_back({-1, "\n\n"});
      break;
    case ChatStyle::kPlain:
      out.push_back({-1, "Assistant:"});
      break;
  }
}

std::vector<ChatFormat::Segment> ChatFormat::segments(std::span<const ChatMessage> messages,
                                                      bool add_bos,
                                                      bool add_generation_prompt) const {
  std::vector<Segment> out;
  if (add_bos && tokenizer_.uses_bos()) out.push_back({tokenizer_.bos_id(), ""});
  std::string system;  // kGemma: system text waiting for the next user turn
  for (const ChatMessage& m : messages) {
    LLMKIT_CHECK(m.role == "system" || m.role == "user" || m.role == "assistant",
                 "chat format: unknown role '", m.role,
                 "' (use \"system\", \"user\" or \"assistant\")");
    const std::string content = trim(m.content);
    if (style_ != ChatStyle::kGemma) {
      append_turn(out, m.role, content);
    } else if (m.role == "system") {
      system += (system.empty() ? "" : "\n\n") + content;
    } else if (m.role == "user") {
      append_turn(out, "user", system.empty() ? content : system + "\n\n" + content);
      system.clear();
    } else {
      append_turn(out, "model", content);
    }
  }
  // Gemma: a system text with no user turn after it becomes a user turn of its own.
  if (!system.empty()) append_turn(out, "user", system);
  if (add_generation_prompt) append_generation_prompt(out);
  return out;
}

std::vector<ChatFormat::Segment> ChatFormat::next_turn_segments(
    const std::string& user_content) const {
  std::vector<Segment> out;
  switch (style_) {
    case ChatStyle::kGemma:
      out.push_back({end_, ""});
      out.push_back({-1, "\n"});
      break;
    case ChatStyle::kLlama3:
      out.push_back({eot_, ""});
      break;
    case ChatStyle::kPlain:
      out.push_back({-1, "\n"});
      break;
  }
  append_turn(out, "user", trim(user_content));
  append_generation_prompt(out);
  return out;
}

std::vector<int32_t> ChatFormat::to_ids(const std::vector<Segment>& segments) const {
  std::vector<int32_t> ids;
  std::string text;  // adjacent text segments are tokenized together
  auto flush = [&] {
    if (text.empty()) return;
    std::vector<int32_t> t = tokenizer_.encode(text);
    ids.insert(ids.end(), t.begin(), t.end());
    text.clear();
  };
  for (const Segment& s : segments) {
    if (s.special >= 0) {
      flush();
      ids.push_back(s.special);
    } else {
      text += s.text;
    }
  }
  flush();
  return ids;
}

std::string ChatFormat::to_text(const std::vector<Segment>& segments) const {
  std::string out;
  for (const Segment& s : segments) {
    out += s.special >= 0 ? tokenizer_.id_to_piece(s.special) : s.text;
  }
  return out;
}

std::vector<int32_t> ChatFormat::encode(std::span<const ChatMessage> messages, bool add_bos,
                                        bool add_generation_prompt) const {
  return to_ids(segments(messages, add_bos, add_generation_prompt));
}

std::string ChatFormat::render(std::span<const ChatMessage> messages, bool add_bos,
                               bool add_generation_prompt) const {
  return to_text(segments(messages, add_bos, add_generation_prompt));
}

std::vector<int32_t> ChatFormat::encode_next_turn(const std::string& user_content) const {
  return to_ids(next_turn_segments(user_content));
}

std::string ChatFormat::next_turn_text(const std::string& user_content) const {
  return to_text(next_turn_segments(user_content));
}

std::vector<int32_t> ChatFormat::stop_tokens() const {
  std::vector<int32_t> ids;
  if (style_ == ChatStyle::kGemma) ids.push_back(end_);
  if (style_ == ChatStyle::kLlama3) ids.push_back(eot_);
  if (tokenizer_.eos_id() >= 0) ids.push_back(tokenizer_.eos_id());
  return ids;
}

std::vector<std::string> ChatFormat::stop_strings() const {
  if (style_ == ChatStyle::kPlain) return {"\nUser:"};
  return {};
}

}  // namespace llmkit::infer
