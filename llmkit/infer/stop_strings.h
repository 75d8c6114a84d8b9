// StopStringFilter: the stop-string part of generation. Text arrives in pieces; what comes out is
// the text up to (not including) the first stop string to complete, and never a byte of a stop
// string. Text that could still become a stop string is held back until it cannot.
//
// "First to complete": the occurrence that ends earliest in the whole text; among occurrences
// ending at the same byte, the one that starts earliest (the longest). This makes the output
// independent of how the text is split into pieces. With valid UTF-8 pieces and stop strings, each
// returned string is valid UTF-8 (cuts fall where a stop string starts, on a character boundary).
// Not thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace llmkit::infer {

class StopStringFilter {
 public:
  // Throws Error(kInvalidArgument) for an empty stop string.
  explicit StopStringFilter(std::vector<std::string> stop_strings);

  // Adds a piece; returns the text that is now safe to emit. Once a stop string has completed,
  // returns the text before it, then "" for every later call.
  std::string push(std::string_view piece);
  // True once a stop string has completed.
  bool stopped() const { return stopped_; }
  // The held-back text at the end of the stream ("" after a stop); the filter is then empty.
  std::string flush();

 private:
  std::vector<std::string> stops_;
  std::string pending_;  // held back: the longest suffix that is a proper prefix of a stop string
  bool stopped_ = false;
};

}  // namespace llmkit::infer
