#include "llmkit/chain/parsers.h"

namespace llmkit::chain {

namespace {
// Splits the text streamed so far into complete segments (each ended by the style's separator)
// and parses each segment as it completes; the rest is parsed at finish().
class ListSink : public ChunkSink<std::string, std::vector<std::string>> {
 public:
  ListSink(const prompt::ListOutputParser& parser, prompt::ListOutputParser::Style style,
           std::function<void(const std::vector<std::string>&)> on_chunk)
      : parser_(parser),
        separator_(style == prompt::ListOutputParser::Style::kComma ? ',' : '\n'),
        on_chunk_(std::move(on_chunk)) {}

  void push(const std::string& chunk) override {
    pending_ += chunk;
    size_t start = 0;
    for (size_t pos; (pos = pending_.find(separator_, start)) != std::string::npos;
         start = pos + 1) {
      segment(std::string_view(pending_).substr(start, pos - start));
    }
    pending_.erase(0, start);
    raw_ += chunk;
  }

  std::vector<std::string> finish() override {
    segment(pending_);
    pending_.clear();
    // No item at all: the whole-text parser reports why (OutputParseError with the raw text).
    if (items_.empty()) parser_.parse(raw_);
    return items_;
  }

 private:
  void segment(std::string_view text) {
    std::vector<std::string> items;
    try {
      items = parser_.parse(text);
    } catch (const prompt::OutputParseError&) {
      return;  // a segment without an item (blank, or not a numbered line)
    }
    for (auto& item : items) {
      items_.push_back(item);
      on_chunk_({std::move(item)});
    }
  }

  const prompt::ListOutputParser& parser_;
  char separator_;
  std::function<void(const std::vector<std::string>&)> on_chunk_;
  std::string pending_;
  std::string raw_;
  std::vector<std::string> items_;
};
}  // namespace

std::vector<std::string> ListStreamParser::invoke_impl(const std::string& input,
                                                       RunContext&) const {
  return parser_.parse(input);
}

std::vector<std::string> ListStreamParser::stream_impl(const std::string& input,
                                                       const ChunkFn& on_chunk, RunContext&) const {
  ListSink sink(parser_, style_, on_chunk);
  sink.push(input);
  return sink.finish();
}

std::unique_ptr<ChunkSink<std::string, std::vector<std::string>>> ListStreamParser::transform_impl(
    ChunkFn on_chunk, RunContext&) const {
  return std::make_unique<ListSink>(parser_, style_, std::move(on_chunk));
}

std::shared_ptr<const ListStreamParser> make_list_parser(ListStreamParser::Style style) {
  return std::make_shared<const ListStreamParser>(style);
}

}  // namespace llmkit::chain
