// StopStringFilter against a naive reference (cut the whole text before the stop string that
// completes first), for random texts, stop-string sets and random splits into pieces.
#include "llmkit/infer/stop_strings.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "llmkit/base/error.h"

namespace llmkit::infer {
namespace {

// The text before the occurrence that ends first (ties: the one starting first), or the whole
// text when no stop string occurs. Brute force over every end position.
std::string reference(const std::string& text, const std::vector<std::string>& stops) {
  for (size_t end = 1; end <= text.size(); ++end) {
    size_t best = std::string::npos;
    for (const std::string& s : stops) {
      if (s.size() <= end && text.compare(end - s.size(), s.size(), s) == 0) {
        best = std::min(best, end - s.size());
      }
    }
    if (best != std::string::npos) return text.substr(0, best);
  }
  return text;
}

std::string run(const std::vector<std::string>& pieces, const std::vector<std::string>& stops,
                bool* stopped) {
  StopStringFilter f(stops);
  std::string out;
  for (const std::string& p : pieces) {
    std::string emitted = f.push(p);
    out += emitted;
  }
  *stopped = f.stopped();
  out += f.flush();
  return out;
}

TEST(StopStringFilterTest, HoldsBackPossibleStartsAndCutsBeforeTheStop) {
  StopStringFilter f({"</s>", "STOP"});
  EXPECT_EQ(f.push("Hello <"), "Hello ");  // "<" may start "</s>"
  EXPECT_EQ(f.push("b>ST"), "<b>");        // "ST" may start "STOP"
  EXPECT_EQ(f.push("ORE"), "STORE");
  EXPECT_EQ(f.push(" x</"), " x");
  EXPECT_FALSE(f.stopped());
  EXPECT_EQ(f.push("s> tail"), "");
  EXPECT_TRUE(f.stopped());
  EXPECT_EQ(f.push("more"), "");
  EXPECT_EQ(f.flush(), "");
}

TEST(StopStringFilterTest, FlushReleasesHeldText) {
  StopStringFilter f({"\nUser:"});
  EXPECT_EQ(f.push("answer\nUs"), "answer");
  EXPECT_EQ(f.flush(), "\nUs");
  StopStringFilter none({});
  EXPECT_EQ(none.push("abc"), "abc");
}

TEST(StopStringFilterTest, FirstToCompleteWins) {
  // "c" completes before "abcd": only "ab" comes out, however the text is split
  bool stopped = false;
  EXPECT_EQ(run({"abcd"}, {"abcd", "c"}, &stopped), "ab");
  EXPECT_TRUE(stopped);
  EXPECT_EQ(run({"a", "b", "c", "d"}, {"abcd", "c"}, &stopped), "ab");
}

TEST(StopStringFilterTest, MatchesReferenceForRandomSplits) {
  std::mt19937 rng(42);
  auto random_string = [&](int max_len) {
    std::string s(1 + rng() % max_len, 'a');
    for (char& c : s) c = static_cast<char>('a' + rng() % 3);
    return s;
  };
  for (int trial = 0; trial < 2000; ++trial) {
    std::string text = random_string(40);
    std::vector<std::string> stops;
    for (int n = rng() % 4; n > 0; --n) stops.push_back(random_string(5));
    std::vector<std::string> pieces;
    for (size_t i = 0; i < text.size();) {
      size_t len = std::min<size_t>(rng() % 5, text.size() - i);  // empty pieces too
      pieces.push_back(text.substr(i, len));
      i += len;
    }
    bool stopped = false;
    std::string want = reference(text, stops);
    ASSERT_EQ(run(pieces, stops, &stopped), want) << "text " << text << " trial " << trial;
    bool occurs = false;
    for (const std::string& s : stops) occurs = occurs || text.find(s) != std::string::npos;
    EXPECT_EQ(stopped, occurs);
  }
}

TEST(StopStringFilterTest, RejectsEmptyStopString) {
  EXPECT_THROW(StopStringFilter({"ok", ""}), Error);
}

}  // namespace
}  // namespace llmkit::infer
