// regex_to_gbnf against std::regex (ECMAScript grammar, full match) as the reference: for a list
// of hand-written regexes and for randomly generated ones, every string over a small alphabet up
// to a length, random longer strings, and strings sampled from the regex's own structure must get
// the same verdict from the grammar and from std::regex_match.
#include "llmkit/infer/regex_grammar.h"

#include <gtest/gtest.h>

#include <random>
#include <regex>
#include <string>
#include <vector>

#include "llmkit/infer/grammar.h"
#include "llmkit/infer/grammar_matcher.h"
#include "tests/support/expect_error.h"

namespace llmkit::infer {
namespace {

// Every string over `alphabet` of length <= max_len.
std::vector<std::string> all_strings(const std::string& alphabet, size_t max_len) {
  std::vector<std::string> out = {""};
  size_t begin = 0;
  for (size_t len = 1; len <= max_len; ++len) {
    const size_t end = out.size();
    for (size_t i = begin; i < end; ++i) {
      for (char c : alphabet) out.push_back(out[i] + c);
    }
    begin = end;
  }
  return out;
}

std::vector<std::string> random_strings(const std::string& alphabet, size_t count, size_t max_len,
                                        std::mt19937* rng) {
  std::vector<std::string> out;
  for (size_t i = 0; i < count; ++i) {
    const size_t len = (*rng)() % (max_len + 1);
    std::string s;
    for (size_t k = 0; k < len; ++k) s += alphabet[(*rng)() % alphabet.size()];
    out.push_back(s);
  }
  return out;
}

// Compares the grammar with std::regex_match on every text; returns the number of matches.
int compare(const std::string& regex, const std::vector<std::string>& texts) {
  SCOPED_TRACE("regex: " + regex);
  const std::string gbnf = regex_to_gbnf(regex);
  std::shared_ptr<const Grammar> grammar;
  try {
    grammar = Grammar::parse(gbnf);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "grammar does not parse: " << e.what() << "\n" << gbnf;
    return 0;
  }
  const std::regex reference(regex, std::regex::ECMAScript);
  int matches = 0, mismatches = 0;
  for (const std::string& text : texts) {
    const bool want = std::regex_match(text, reference);
    const bool got = grammar_matches(*grammar, text);
    matches += want;
    if (want != got && ++mismatches <= 5) {
      ADD_FAILURE() << "text '" << text << "': std::regex " << want << ", grammar " << got << "\n"
                    << gbnf;
    }
  }
  return matches;
}

TEST(RegexGrammar, HandWrittenRegexesAgreeWithStdRegex) {
  const std::string alphabet = "ab1 -\n";
  std::vector<std::string> texts = all_strings(alphabet, 4);
  std::mt19937 rng(7);
  for (const std::string& s : random_strings(alphabet, 400, 12, &rng)) texts.push_back(s);
  const std::vector<std::string> regexes = {
      "",
      "a",
      "ab",
      "a|b",
      "a*",
      "a+b?",
      "(ab)*",
      "(?:a|b)+1",
      "a{2}",
      "a{2,}",
      "a{1,3}b",
      "a{0,2}",
      "[ab]+",
      "[^a]*",
      "[a-b1]{2,4}",
      ".*",
      "a.b",
      "\\d+",
      "\\D*",
      "\\w+",
      "\\W?",
      "\\s*a\\s*",
      "\\S+",
      "[\\d ]+",
      "[^\\s]+",
      "a\\-b",
      "[-a]+",
      "[a-]+",
      "\\n",
      "a\\nb|\\x31",
      "\\u0061+",
      "^a+$",
      "^ab|b1$",
      "(a|)+",
      "(a*)*",
      "(a?b?)+1",
      "(a|b*)*1",
      "((a|b)(1|-)){1,2}",
      "a*?b+?",
      "[a][b]",
      "(a|ab)(1|b1)",
      "( |-)*a",
      "[ab]{0,3}1?[ab]{0,3}",
      "a?a?a?aaa",
      "(?:)",
      "(a{0,2}){2}",
  };
  int total_matches = 0;
  for (const std::string& re : regexes) total_matches += compare(re, texts);
  EXPECT_GT(total_matches, 1000);  // the comparison is not vacuous
}

// Random regexes over {a, b, c}, built as small trees; each tree also samples strings it
// matches, independently of the converter.
class RegexGen {
 public:
  explicit RegexGen(uint32_t seed) : rng_(seed) {}

  // Regexes are built as small trees; each node can also produce a random matching string.
  struct Node {
    enum Kind { kChar, kClass, kSeq, kAlt, kRepeat } kind;
    std::string chars;  // kChar: one char; kClass: the set (as listed)
    bool negate = false;
    std::vector<Node> kids;
    int lo = 0, hi = 0;  // kRepeat; hi -1 unbounded
  };

  Node tree(int depth) {
    const int pick = depth >= 3 ? rng_() % 2 : rng_() % 5;
    Node n;
    switch (pick) {
      case 0:
        n.kind = Node::kChar;
        n.chars = std::string(1, "abc"[rng_() % 3]);
        return n;
      case 1: {
        n.kind = Node::kClass;
        n.negate = rng_() % 3 == 0;
        for (char c : std::string("abc")) {
          if (rng_() % 2) n.chars += c;
        }
        if (n.chars.empty()) n.chars = "b";
        if (n.negate && n.chars.size() == 3) n.chars = "ab";
        return n;
      }
      case 2:
        n.kind = Node::kSeq;
        for (int i = 0, k = 1 + rng_() % 3; i < k; ++i) n.kids.push_back(tree(depth + 1));
        return n;
      case 3:
        n.kind = Node::kAlt;
        for (int i = 0, k = 2 + rng_() % 2; i < k; ++i) n.kids.push_back(tree(depth + 1));
        return n;
      default: {
        n.kind = Node::kRepeat;
        n.kids.push_back(tree(depth + 1));
        static const int kBounds[][2] = {{0, -1}, {1, -1}, {0, 1}, {2, 2}, {1, 3}, {0, 2}, {2, -1}};
        const auto& b = kBounds[rng_() % 7];
        n.lo = b[0];
        n.hi = b[1];
        return n;
      }
    }
  }

  static std::string render(const Node& n) {
    switch (n.kind) {
      case Node::kChar:
        return n.chars;
      case Node::kClass:
        return std::string("[") + (n.negate ? "^" : "") + n.chars + "]";
      case Node::kSeq: {
        std::string s;
        for (const Node& k : n.kids) s += render(k);
        return "(?:" + s + ")";
      }
      case Node::kAlt: {
        std::string s;
        for (size_t i = 0; i < n.kids.size(); ++i) s += (i ? "|" : "") + render(n.kids[i]);
        return "(" + s + ")";
      }
      case Node::kRepeat: {
        std::string q;
        if (n.lo == 0 && n.hi == -1) {
          q = "*";
        } else if (n.lo == 1 && n.hi == -1) {
          q = "+";
        } else if (n.lo == 0 && n.hi == 1) {
          q = "?";
        } else if (n.hi == -1) {
          q = "{" + std::to_string(n.lo) + ",}";
        } else if (n.lo == n.hi) {
          q = "{" + std::to_string(n.lo) + "}";
        } else {
          q = "{" + std::to_string(n.lo) + "," + std::to_string(n.hi) + "}";
        }
        return "(?:" + render(n.kids[0]) + ")" + q;
      }
    }
    return "";
  }

  // A string the node matches, drawn at random (negated classes draw from "abcd").
  std::string sample(const Node& n) {
    switch (n.kind) {
      case Node::kChar:
        return n.chars;
      case Node::kClass: {
        std::string pool;
        for (char c : std::string("abcd")) {
          if ((n.chars.find(c) != std::string::npos) != n.negate) pool += c;
        }
        return std::string(1, pool[rng_() % pool.size()]);
      }
      case Node::kSeq: {
        std::string s;
        for (const Node& k : n.kids) s += sample(k);
        return s;
      }
      case Node::kAlt:
        return sample(n.kids[rng_() % n.kids.size()]);
      case Node::kRepeat: {
        const int hi = n.hi < 0 ? n.lo + 3 : n.hi;
        const int count = n.lo + static_cast<int>(rng_() % (hi - n.lo + 1));
        std::string s;
        for (int i = 0; i < count; ++i) s += sample(n.kids[0]);
        return s;
      }
    }
    return "";
  }

  std::mt19937& rng() { return rng_; }

 private:
  std::mt19937 rng_;
};

TEST(RegexGrammar, RandomRegexesAgreeWithStdRegex) {
  RegexGen gen(2024);
  const std::vector<std::string> exhaustive = all_strings("abcd", 4);
  int total_matches = 0;
  for (int i = 0; i < 120; ++i) {
    const RegexGen::Node tree = gen.tree(0);
    const std::string regex = RegexGen::render(tree);
    std::vector<std::string> texts = exhaustive;
    for (int k = 0; k < 40; ++k) texts.push_back(gen.sample(tree));
    for (const std::string& s : random_strings("abcd", 60, 10, &gen.rng())) texts.push_back(s);
    total_matches += compare(regex, texts);
  }
  EXPECT_GT(total_matches, 120 * 40);  // at least the sampled strings match
}

TEST(RegexGrammar, UnicodeAndEscapes) {
  // Multi-byte characters are single code points for '.', classes and ranges.
  auto g = Grammar::parse(regex_to_gbnf("[à-ÿ]\\u20AC.\\x41"));
  EXPECT_TRUE(grammar_matches(*g, "é€中A"));
  EXPECT_FALSE(grammar_matches(*g, "e€中A"));
  EXPECT_FALSE(grammar_matches(*g, "é€\nA"));
  auto dot = Grammar::parse(regex_to_gbnf(".+"));
  EXPECT_TRUE(grammar_matches(*dot, "\t\x7f😀"));
  EXPECT_FALSE(grammar_matches(*dot, "a\rb"));
  EXPECT_FALSE(grammar_matches(*dot, "a\xE2\x80\xA8"));  // U+2028 is a line terminator
  // std::regex lacks named groups: (?<name>...) is an ordinary group.
  auto named = Grammar::parse(regex_to_gbnf("(?<word>ab)+"));
  EXPECT_TRUE(grammar_matches(*named, "abab"));
  EXPECT_FALSE(grammar_matches(*named, "aba"));
  auto pair = Grammar::parse(regex_to_gbnf("\\uD83D\\uDE00"));
  EXPECT_TRUE(grammar_matches(*pair, "😀"));
  // \s is ECMAScript's Unicode set: U+00A0 and U+3000 are in it, U+200B is not.
  auto space = Grammar::parse(regex_to_gbnf("\\s+"));
  EXPECT_TRUE(grammar_matches(*space, " \t\xC2\xA0\xE3\x80\x80"));
  EXPECT_FALSE(grammar_matches(*space, "\xE2\x80\x8B"));
  // GBNF metacharacters in the regex are plain characters in the grammar.
  auto meta = Grammar::parse(regex_to_gbnf("[\\]\\[\"\\\\^-]+\\{\\}\\(\\)\\|\\$\\^\\.\\*"));
  EXPECT_TRUE(grammar_matches(*meta, "]\"[\\^-{}()|$^.*"));
  EXPECT_FALSE(grammar_matches(*meta, "a{}()|$^.*"));
  auto literal = Grammar::parse(regex_to_gbnf("a\\[b\\]-c\\^\"\\\\#"));
  EXPECT_TRUE(grammar_matches(*literal, "a[b]-c^\"\\#"));
  EXPECT_FALSE(grammar_matches(*literal, "a[b]-c^\"\\"));
}

TEST(RegexGrammar, ErrorsNameTheProblemAndPosition) {
  using test::expect_error;
  const ErrorCode bad = ErrorCode::kInvalidArgument;
  expect_error([] { regex_to_gbnf("ab(c"); }, bad, {"unbalanced '('", "offset 2"});
  expect_error([] { regex_to_gbnf("abc)"); }, bad, {"unmatched ')'", "offset 3"});
  expect_error([] { regex_to_gbnf("a**"); }, bad, {"nothing to repeat", "offset 2"});
  expect_error([] { regex_to_gbnf("*a"); }, bad, {"nothing to repeat", "offset 0"});
  expect_error([] { regex_to_gbnf("(a)\\1"); }, bad, {"back-references", "offset 3"});
  expect_error([] { regex_to_gbnf("a(?=b)"); }, bad, {"lookaround", "offset 1"});
  expect_error([] { regex_to_gbnf("\\bword"); }, bad, {"word boundary", "offset 0"});
  expect_error([] { regex_to_gbnf("a^b"); }, bad, {"'^'", "offset 1"});
  expect_error([] { regex_to_gbnf("(a$)"); }, bad, {"'$'", "offset 2"});
  expect_error([] { regex_to_gbnf("[abc"); }, bad, {"unterminated character class", "offset 0"});
  expect_error([] { regex_to_gbnf("x[]"); }, bad, {"empty character class", "offset 1"});
  expect_error([] { regex_to_gbnf("[z-a]"); }, bad, {"out of order", "offset 1"});
  expect_error([] { regex_to_gbnf("a{2,1}"); }, bad, {"n < m", "offset 1"});
  expect_error([] { regex_to_gbnf("a{x}"); }, bad, {"malformed quantifier", "offset 1"});
  expect_error([] { regex_to_gbnf("\\q"); }, bad, {"unknown escape \\q", "offset 0"});
  expect_error([] { regex_to_gbnf("\\p{L}"); }, bad, {"Unicode property", "offset 0"});
  expect_error([] { regex_to_gbnf("ab\\x4"); }, bad, {"hex digits", "offset 2"});
  expect_error([] { regex_to_gbnf("a{5000}"); }, bad, {"above 1000"});
  expect_error([] { regex_to_gbnf("a\xff"); }, bad, {"malformed UTF-8", "offset 1"});
}

}  // namespace
}  // namespace llmkit::infer
