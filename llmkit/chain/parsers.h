// Output parsers as runnables that stream.
//
//   StringOutputParser<In>   In -> std::string: the text of the input (a std::string itself, or
//                            the `content` member of a message); each input chunk's text goes
//                            straight through as an output chunk
//   ListStreamParser         std::string -> std::vector<std::string>: the items of a list
//                            (prompt::ListOutputParser styles); while text chunks stream in,
//                            each item is emitted (as a one-item vector) as soon as it is
//                            complete, i.e. once its separator (',' or end of line) has arrived;
//                            the last item at the end of the input
#pragma once

#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "llmkit/chain/runnable.h"
#include "llmkit/prompt/output_parser.h"

namespace llmkit::chain {

template <typename In = std::string>
class StringOutputParser : public Runnable<In, std::string> {
 public:
  using ChunkFn = typename Runnable<In, std::string>::ChunkFn;
  std::string name() const override { return "StringOutputParser"; }
  static std::string text_of(const In& input) {
    if constexpr (std::is_convertible_v<const In&, std::string>) {
      return input;
    } else {
      static_assert(
          requires { std::string(input.content); },
          "StringOutputParser<In>: In must be a string or have a `content` member");
      return input.content;
    }
  }

 protected:
  std::string invoke_impl(const In& input, RunContext&) const override { return text_of(input); }
  std::unique_ptr<ChunkSink<In, std::string>> transform_impl(ChunkFn on_chunk,
                                                             RunContext&) const override {
    class Sink : public ChunkSink<In, std::string> {
     public:
      explicit Sink(ChunkFn on_chunk) : on_chunk_(std::move(on_chunk)) {}
      void push(const In& chunk) override {
        std::string text = text_of(chunk);
        text_ += text;
        on_chunk_(text);
      }
      std::string finish() override { return text_; }

     private:
      ChunkFn on_chunk_;
      std::string text_;
    };
    return std::make_unique<Sink>(std::move(on_chunk));
  }
};

template <typename In = std::string>
std::shared_ptr<const StringOutputParser<In>> make_string_parser() {
  return std::make_shared<const StringOutputParser<In>>();
}

class ListStreamParser : public Runnable<std::string, std::vector<std::string>> {
 public:
  using Style = prompt::ListOutputParser::Style;
  explicit ListStreamParser(Style style = Style::kComma) : style_(style), parser_(style) {}
  std::string name() const override { return "ListStreamParser"; }
  std::string format_instructions() const { return parser_.format_instructions(); }

 protected:
  // The whole text through prompt::ListOutputParser (throws its OutputParseError).
  std::vector<std::string> invoke_impl(const std::string& input, RunContext& ctx) const override;
  std::vector<std::string> stream_impl(const std::string& input, const ChunkFn& on_chunk,
                                       RunContext& ctx) const override;
  std::unique_ptr<ChunkSink<std::string, std::vector<std::string>>> transform_impl(
      ChunkFn on_chunk, RunContext& ctx) const override;

 private:
  Style style_;
  prompt::ListOutputParser parser_;
};

std::shared_ptr<const ListStreamParser> make_list_parser(
    ListStreamParser::Style style = ListStreamParser::Style::kComma);

}  // namespace llmkit::chain
