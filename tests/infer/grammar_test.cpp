// Grammar + GrammarMatcher tests. References written here, independent of the matcher:
// std::regex for grammars that are regular (exhaustively over short strings, prefixes included),
// a set-of-positions recognizer for the arithmetic grammar, nlohmann::json's own parser for the
// JSON grammar, and UTF-8 facts (which byte sequences are valid) for partial characters.
#include "llmkit/infer/grammar.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "llmkit/infer/grammar_matcher.h"
#include "tests/infer/grammar_test_util.h"
#include "tests/support/expect_error.h"

namespace llmkit::infer {
namespace {

using llmkit::test::expect_error;

// Every string over alphabet with length <= max_len.
std::vector<std::string> all_strings(const std::string& alphabet, size_t max_len) {
  std::vector<std::string> out = {""};
  for (size_t begin = 0; begin < out.size(); ++begin) {
    if (out[begin].size() == max_len) continue;
    for (char c : alphabet) out.push_back(out[begin] + c);
  }
  return out;
}

// Checks the grammar against a regex on every string up to max_len: full matches agree, and a
// string of length <= max_len - completion is accepted as a prefix exactly when some matching
// string of length <= max_len starts with it (completion: the longest shortest completion).
void check_against_regex(const std::string& gbnf, const std::string& regex,
                         const std::string& alphabet, size_t max_len, size_t completion) {
  const auto g = Grammar::parse(gbnf);
  const std::regex re(regex);
  std::set<std::string> prefixes;
  size_t n_match = 0;
  const std::vector<std::string> strings = all_strings(alphabet, max_len);
  for (const std::string& s : strings) {
    const bool expected = std::regex_match(s, re);
    ASSERT_EQ(grammar_matches(*g, s), expected) << gbnf << "\non '" << s << "'";
    if (expected) {
      ++n_match;
      for (size_t k = 0; k <= s.size(); ++k) prefixes.insert(s.substr(0, k));
    }
  }
  EXPECT_GT(n_match, 0u) << gbnf;
  for (const std::string& s : strings) {
    if (s.size() + completion > max_len) continue;
    GrammarMatcher m(g);
    ASSERT_EQ(m.accept_bytes(s), prefixes.count(s) == 1) << gbnf << "\nprefix '" << s << "'";
  }
}

TEST(Grammar, CharClassesNegationAndBoundsMatchRegexExhaustively) {
  check_against_regex("root ::= [ab]{1,2} [^a-b]{2} \"x\"? [0-9]+", "[ab]{1,2}[^ab]{2}x?[0-9]+",
                      "ac0x", 8, 4);
  check_against_regex("root ::= (\"ab\" | [c-d]+)* \".\"?", "(ab|[cd]+)*\\.?", "abcd.", 7, 2);
  check_against_regex("root ::= . [^.]? .", "[\\s\\S][^.]?[\\s\\S]", "a.\n", 5, 2);
}

TEST(Grammar, RepetitionBoundsOverEveryCount) {
  const auto g = Grammar::parse("root ::= \"a\"{3} \"b\"{2,} \"c\"{0,2} (\"de\"){1,2} [x-z]{0,}");
  for (int a = 0; a < 5; ++a) {
    for (int b = 0; b < 5; ++b) {
      for (int c = 0; c < 4; ++c) {
        for (int d = 0; d < 4; ++d) {
          std::string s = std::string(static_cast<size_t>(a), 'a') +
                          std::string(static_cast<size_t>(b), 'b') +
                          std::string(static_cast<size_t>(c), 'c');
          for (int i = 0; i < d; ++i) s += "de";
          s += std::string(static_cast<size_t>(a + b), 'y');
          const bool expected = a == 3 && b >= 2 && c <= 2 && d >= 1 && d <= 2;
          ASSERT_EQ(grammar_matches(*g, s), expected) << s;
        }
      }
    }
  }
}

TEST(Grammar, CommaListMatchesRegexExhaustively) {
  check_against_regex(R"gbnf(root ::= item ("," " "? item)*
item ::= [a-z]+ | "\"" [^"]* "\"")gbnf",
                      R"re(([a-z]+|"[^"]*")(, ?([a-z]+|"[^"]*"))*)re", "a, \"", 7, 2);
}

// Reference recognizer for the arithmetic grammar below: the set of positions each nonterminal
// can end at, from a set of start positions.
class ArithmeticReference {
 public:
  explicit ArithmeticReference(const std::string& s) : s_(s) {}
  bool matches() { return root({0}).count(s_.size()) == 1; }

 private:
  using Pos = std::set<size_t>;
  bool at(size_t i, const std::function<bool(char)>& f) const { return i < s_.size() && f(s_[i]); }
  Pos star(Pos in, const std::function<bool(char)>& f) const {
    Pos out = in;
    for (size_t i : in) {
      for (size_t j = i; at(j, f); ++j) out.insert(j + 1);
    }
    return out;
  }
  Pos chr(const Pos& in, char c) const {
    Pos out;
    for (size_t i : in) {
      if (at(i, [c](char x) { return x == c; })) out.insert(i + 1);
    }
    return out;
  }
  Pos ws(const Pos& in) const {
    return star(in, [](char c) { return c == ' ' || c == '\t' || c == '\n'; });
  }
  Pos num(const Pos& in) const {
    Pos first;
    for (size_t i : in) {
      if (at(i, isdigit_)) first.insert(i + 1);
    }
    return ws(star(first, isdigit_));
  }
  Pos ident(const Pos& in) const {
    Pos first;
    for (size_t i : in) {
      if (at(i, [](char c) { return c >= 'a' && c <= 'z'; })) first.insert(i + 1);
    }
    return ws(
        star(first, [](char c) { return (c >= 'a' && c <= 'z') || isdigit_(c) || c == '_'; }));
  }
  Pos term(const Pos& in) {
    Pos out = ident(in);
    const Pos n = num(in);
    out.insert(n.begin(), n.end());
    const Pos open = chr(in, '(');
    if (!open.empty()) {
      const Pos p = ws(chr(expr(ws(open)), ')'));
      out.insert(p.begin(), p.end());
    }
    return out;
  }
  Pos expr(const Pos& in) {
    Pos all = term(in), frontier = all;
    while (!frontier.empty()) {
      Pos op;
      for (size_t i : frontier) {
        if (at(i, [](char c) { return c == '-' || c == '+' || c == '*' || c == '/'; })) {
          op.insert(i + 1);
        }
      }
      Pos next;
      for (size_t i : term(op)) {
        if (all.insert(i).second) next.insert(i);
      }
      frontier = next;
    }
    return all;
  }
  Pos line(const Pos& in) { return chr(term(ws(chr(expr(in), '='))), '\n'); }
  Pos root(const Pos& in) {
    Pos all = line(in), frontier = all;
    while (!frontier.empty()) {
      Pos next;
      for (size_t i : line(frontier)) {
        if (all.insert(i).second) next.insert(i);
      }
      frontier = next;
    }
    return all;
  }
  static bool isdigit_(char c) { return c >= '0' && c <= '9'; }
  const std::string& s_;
};

constexpr const char* kArithmetic = R"gbnf(# llama.cpp-style arithmetic
root  ::= (expr "=" ws term "\n")+
expr  ::= term ([-+*/] term)*
term  ::= ident | num | "(" ws expr ")" ws
ident ::= [a-z] [a-z0-9_]* ws
num   ::= [0-9]+ ws
ws    ::= [ \t\n]*
)gbnf";

TEST(Grammar, ArithmeticAgreesWithReferenceRecognizer) {
  const auto g = Grammar::parse(kArithmetic);
  for (const std::string& s : all_strings("a1+=( )\n", 5)) {
    ASSERT_EQ(grammar_matches(*g, s), ArithmeticReference(s).matches()) << "'" << s << "'";
  }
  // Longer random sentences and their one-character mutations.
  std::mt19937 rng(7);
  const std::string pieces[] = {"x", "y_1", "42", "0", "(",  ")", "+",
                                "*", "-",   "/",  " ", "\n", "="};
  int n_true = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    std::string s = trial % 2 == 0 ? "a1 = b\n" : "";
    const int n = static_cast<int>(rng() % 12);
    for (int i = 0; i < n; ++i) s += pieces[rng() % std::size(pieces)];
    if (trial % 3 == 0) s += "= 3\n";
    const bool expected = ArithmeticReference(s).matches();
    n_true += expected;
    ASSERT_EQ(grammar_matches(*g, s), expected) << "'" << s << "'";
  }
  EXPECT_GT(n_true, 100);
  EXPECT_TRUE(grammar_matches(*g, "(a +12) *b_2 = 7\nx=y\n"));
  EXPECT_FALSE(grammar_matches(*g, "(a + 12 * b = 7\n"));
}

TEST(Grammar, JsonAgreesWithNlohmann) {
  const auto g = Grammar::parse(test::kJsonGbnf);
  std::mt19937 rng(11);
  int n_valid = 0, n_invalid = 0;
  for (int trial = 0; trial < 1500; ++trial) {
    std::string doc = test::random_json(rng, 3);
    // Mutations: a deleted, inserted or replaced byte. Never a 'd'/'D' (a \uD8xx escape is a lone
    // surrogate, which nlohmann rejects and the grammar, like llama.cpp's, does not check) nor a
    // digit above 1 (nlohmann rejects numbers beyond the double range, as 5e312).
    if (trial % 2 == 1 && !doc.empty()) {
      static const std::string kBytes = "{}[]\",:01.eE+-tfn \\/uA\t\x01\xC3\xA9";
      const size_t at = rng() % doc.size();
      const char c = kBytes[rng() % kBytes.size()];
      switch (rng() % 3) {
        case 0:
          doc.erase(at, 1);
          break;
        case 1:
          doc.insert(doc.begin() + static_cast<std::ptrdiff_t>(at), c);
          break;
        default:
          doc[at] = c;
      }
    }
    const bool expected = nlohmann::json::accept(doc);
    (expected ? n_valid : n_invalid)++;
    ASSERT_EQ(grammar_matches(*g, doc), expected) << doc;
    if (expected) {
      // Every prefix of a sentence is accepted, byte by byte, and only the whole can end.
      GrammarMatcher m(g);
      for (size_t i = 0; i < doc.size(); ++i) {
        ASSERT_TRUE(m.accept_bytes(doc.substr(i, 1))) << doc << " at byte " << i;
      }
      EXPECT_TRUE(m.can_end()) << doc;
    }
  }
  EXPECT_GT(n_valid, 500);
  EXPECT_GT(n_invalid, 200);
}

TEST(Grammar, LiteralEscapesAndUnicode) {
  const auto g =
      Grammar::parse(R"gbnf(root ::= "\x41\u00e9\U0001F600\t\n\r\\\"" [\]\[\-] "é€")gbnf");
  EXPECT_TRUE(grammar_matches(*g, "A\xC3\xA9\xF0\x9F\x98\x80\t\n\r\\\"]\xC3\xA9\xE2\x82\xAC"));
  EXPECT_TRUE(grammar_matches(*g, "A\xC3\xA9\xF0\x9F\x98\x80\t\n\r\\\"-\xC3\xA9\xE2\x82\xAC"));
  EXPECT_FALSE(grammar_matches(*g, "A\xC3\xA9\xF0\x9F\x98\x80\t\n\r\\\"a\xC3\xA9\xE2\x82\xAC"));
  const auto greek = Grammar::parse("root ::= [^α-ω]+");  // U+03B1..U+03C9
  EXPECT_TRUE(grammar_matches(*greek, "abc\xC3\xA9"));
  EXPECT_FALSE(grammar_matches(*greek, "a\xCE\xB2"));  // β
  EXPECT_TRUE(grammar_matches(*greek, "\xCE\xA9"));    // Ω U+03A9, outside the range
}

TEST(Grammar, CommentsNewlinesAndContinuations) {
  const auto g = Grammar::parse(R"gbnf(
# a comment line
root ::= (   # a group spans lines
    "a" |
    "b"
  ) rest     # trailing comment
rest ::= "c" |
         "d"
)gbnf");
  for (const char* s : {"ac", "ad", "bc", "bd"}) EXPECT_TRUE(grammar_matches(*g, s)) << s;
  for (const char* s : {"", "a", "c", "abc", "acd"}) EXPECT_FALSE(grammar_matches(*g, s)) << s;
  // A rule ends at a newline that does not follow '|' outside parentheses.
  expect_error([] { Grammar::parse("root ::= \"a\"\n  | \"b\"\n"); }, ErrorCode::kInvalidArgument,
               {"line 2, column 3", "expected a rule name"});
  // Empty alternatives and rule names with dashes and digits.
  const auto e = Grammar::parse("root ::= | x-2\nx-2 ::= \"x\"\r\n");
  EXPECT_TRUE(grammar_matches(*e, ""));
  EXPECT_TRUE(grammar_matches(*e, "x"));
  // Another start rule.
  const auto other = Grammar::parse("root ::= \"a\"\nalt ::= \"b\"\n", "alt");
  EXPECT_TRUE(grammar_matches(*other, "b"));
  EXPECT_FALSE(grammar_matches(*other, "a"));
}

TEST(Grammar, PartialUtf8AcrossCalls) {
  const auto g =
      Grammar::parse("root ::= \"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\" [\xC3\xA0-\xC3\xBF]");
  const std::string text = "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xC3\xA0";
  GrammarMatcher m(g);
  for (size_t i = 0; i < text.size(); ++i) {
    EXPECT_FALSE(m.can_end());
    EXPECT_TRUE(m.can_continue());
    // A wrong byte is refused and leaves the state as it was.
    const std::string wrong(1, static_cast<char>(text[i] ^ 0x40));
    EXPECT_FALSE(m.accept_bytes(wrong)) << "byte " << i;
    ASSERT_TRUE(m.accept_bytes(text.substr(i, 1))) << "byte " << i;
  }
  EXPECT_TRUE(m.can_end());
  EXPECT_FALSE(m.can_continue());

  // [à-ÿ] is U+00E0..U+00FF = C3 A0..C3 BF: C3 may start it, C2 may not, C3 9F cannot finish it.
  const auto cls = Grammar::parse("root ::= [\xC3\xA0-\xC3\xBF]");
  GrammarMatcher c(cls);
  EXPECT_FALSE(c.accepts("\xC2"));
  EXPECT_FALSE(c.accepts("\xC3\x9F"));
  EXPECT_TRUE(c.accept_bytes("\xC3"));
  EXPECT_FALSE(c.can_end());
  EXPECT_FALSE(c.accept_bytes("\x9F"));
  EXPECT_TRUE(c.accept_bytes("\xA0"));
  EXPECT_TRUE(c.can_end());
}

// Strict UTF-8 decoding written for this test: the code point of a whole sequence, or -1.
int64_t decode_strict(const std::string& s) {
  const auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(s[i])); };
  const size_t len = b(0) < 0x80                   ? 1
                     : b(0) >= 0xC0 && b(0) < 0xE0 ? 2
                     : b(0) >= 0xE0 && b(0) < 0xF0 ? 3
                     : b(0) >= 0xF0 && b(0) < 0xF8 ? 4
                                                   : 0;
  if (len == 0 || len != s.size()) return -1;
  static const uint32_t kLead[5] = {0, 0x7F, 0x1F, 0x0F, 0x07};
  static const uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
  uint32_t cp = b(0) & kLead[len];
  for (size_t i = 1; i < len; ++i) {
    if ((b(i) & 0xC0) != 0x80) return -1;
    cp = cp << 6 | (b(i) & 0x3F);
  }
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
  return cp;
}

TEST(Grammar, MultiByteCharactersExhaustively) {
  // Three ranges of 2-, 3- and 4-byte characters; a character outside them ends the text early.
  const auto g =
      Grammar::parse("root ::= [\\u00E0-\\u00FF\\u4E00-\\u4E3F\\U0001F600-\\U0001F64F] \"!\"");
  const auto in_set = [](int64_t cp) {
    return (cp >= 0xE0 && cp <= 0xFF) || (cp >= 0x4E00 && cp <= 0x4E3F) ||
           (cp >= 0x1F600 && cp <= 0x1F64F);
  };
  std::vector<std::string> seqs;
  for (int a = 0xC0; a < 0xE0; ++a) {
    for (int b = 0x70; b < 0xD0; ++b) seqs.push_back({char(a), char(b)});
  }
  for (int a = 0xE0; a < 0xF0; ++a) {
    for (int b = 0x70; b < 0xD0; ++b) {
      for (int c = 0x70; c < 0xD0; c += (b >= 0x80 && b < 0xC0) ? 1 : 16) {
        seqs.push_back({char(a), char(b), char(c)});
      }
    }
  }
  for (int a = 0xF0; a < 0xF8; ++a) {
    for (int b = 0x80; b < 0xC0; ++b) {
      for (int c = 0x7F; c < 0xC1; ++c) seqs.push_back({char(a), char(b), char(c), char(0x80)});
    }
  }
  // Every prefix of a sequence spelling a character in the set (continuations 80..BF cover all).
  std::set<std::string> prefixes;
  for (const std::string& s : seqs) {
    if (in_set(decode_strict(s))) {
      for (size_t k = 1; k <= s.size(); ++k) prefixes.insert(s.substr(0, k));
    }
  }
  ASSERT_GT(prefixes.size(), 100u);
  size_t n_in = 0;
  for (const std::string& s : seqs) {
    const bool expected = in_set(decode_strict(s));
    n_in += expected;
    ASSERT_EQ(grammar_matches(*g, s + "!"), expected) << test::hex(s);
    GrammarMatcher m(g);
    for (size_t k = 1; k <= s.size(); ++k) {
      const bool ok = prefixes.count(s.substr(0, k)) == 1;
      ASSERT_EQ(m.accepts(s.substr(k - 1, 1)), ok) << test::hex(s) << " byte " << k;
      if (!ok) break;
      m.accept_bytes(s.substr(k - 1, 1));
    }
  }
  EXPECT_EQ(n_in, 32u + 64u + 2u);  // U+E0..FF, U+4E00..4E3F, U+1F600 and U+1F640 (last byte 80)
}

TEST(Grammar, InvalidUtf8IsNeverAccepted) {
  const auto any = Grammar::parse("root ::= .*");
  for (const char* bad :
       {"\x80", "\xC0\x80", "\xC1\xBF", "\xE0\x80\x80", "\xED\xA0\x80", "\xF0\x80\x80\x80",
        "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xFF", "\xC3\x41", "\xE2\x82\x41"}) {
    EXPECT_FALSE(grammar_matches(*any, bad)) << test::hex(bad);
    GrammarMatcher m(any);
    EXPECT_FALSE(m.accept_bytes(bad)) << test::hex(bad);
  }
  for (const char* good : {"\x7F", "\xC2\x80", "\xDF\xBF", "\xE0\xA0\x80", "\xED\x9F\xBF",
                           "\xEE\x80\x80", "\xF0\x90\x80\x80", "\xF4\x8F\xBF\xBF"}) {
    EXPECT_TRUE(grammar_matches(*any, good)) << test::hex(good);
  }
  // An unfinished character is not a complete sentence.
  EXPECT_FALSE(grammar_matches(*any, "\xE2\x82"));
}

TEST(Grammar, ErrorsNameLineColumnAndRule) {
  const auto err = ErrorCode::kInvalidArgument;
  expect_error([] { Grammar::parse("root ::= \"a\" foo\n"); }, err,
               {"grammar line 1, column 14", "undefined rule 'foo'"});
  expect_error([] { Grammar::parse("root ::= \"\xC3\xA9\" foo\n"); }, err,
               {"line 1, column 14", "'foo'"});
  expect_error([] { Grammar::parse("item ::= \"a\"\n"); }, err, {"no rule named 'root'"});
  expect_error([] { Grammar::parse(""); }, err, {"no rule named 'root'"});
  expect_error([] { Grammar::parse("root ::= \"x\"\n\nexpr ::= expr \"+\" \"1\" | \"1\"\n"); }, err,
               {"line 3, column 1", "left recursion in rule 'expr'"});
  expect_error([] { Grammar::parse("root ::= a\na ::= b? root \"x\" | \"y\"\nb ::= \"b\"\n"); },
               err, {"left recursion"});
  expect_error([] { Grammar::parse("root ::= (\"x\"?)*\n"); }, err,
               {"left recursion in rule 'root'", "empty"});
  expect_error([] { Grammar::parse("root ::= \"abc\n"); }, err,
               {"line 1, column 10", "unterminated string"});
  expect_error([] { Grammar::parse("root ::= \"a\"\nfoo ::= \"\\q\"\n"); }, err,
               {"line 2, column 10", "unknown escape '\\q'"});
  expect_error([] { Grammar::parse("root ::= \"\\x4\"\n"); }, err, {"2 hex digits"});
  expect_error([] { Grammar::parse("root ::= * \"a\"\n"); }, err,
               {"line 1, column 10", "'*' must follow an item"});
  expect_error([] { Grammar::parse("root ::= (\"a\" \"b\"\n"); }, err,
               {"line 1, column 10", "'(' is not closed"});
  expect_error([] { Grammar::parse("root ::= \"a\")\n"); }, err, {"')' without a matching '('"});
  expect_error([] { Grammar::parse("root ::= \"a\"\nroot ::= \"b\"\n"); }, err,
               {"line 2, column 1", "rule 'root' is defined twice"});
  expect_error([] { Grammar::parse("root ::= [z-a]\n"); }, err, {"column 11", "range"});
  expect_error([] { Grammar::parse("root ::= \"a\"{3,2}\n"); }, err, {"n < m"});
  expect_error([] { Grammar::parse("root ::= \"a\"{2\n"); }, err, {"expected ',' or '}'"});
  expect_error([] { Grammar::parse("root = \"a\"\n"); }, err, {"line 1, column 6", "'::='"});
  expect_error([] { Grammar::parse("root ::= x\nx ::= \"a\" x\n"); }, err,
               {"rule 'root' can derive no finite text"});
  expect_error([] { Grammar::parse("root ::= <think>\n"); }, err, {"not supported"});
}

TEST(Grammar, NeverEndingAlternativesAreDropped) {
  // `loop` never ends, so "b" loop is no way forward: "b" must be refused as a prefix.
  const auto g =
      Grammar::parse("root ::= \"a\" | \"b\" loop | [^\\x00-\\U0010FFFF]\nloop ::= \"c\" loop\n");
  GrammarMatcher m(g);
  EXPECT_FALSE(m.accepts("b"));
  EXPECT_TRUE(m.accept_bytes("a"));
  EXPECT_TRUE(m.can_end());
  EXPECT_FALSE(m.can_continue());
}

TEST(Grammar, LargeRepetitionBoundsKeepStacksFlat) {
  const auto g = Grammar::parse("root ::= [0-9]{0,1000} \"!\"");
  EXPECT_TRUE(grammar_matches(*g, std::string(1000, '7') + "!"));
  EXPECT_FALSE(grammar_matches(*g, std::string(1001, '7') + "!"));
  // Stacks stay flat: a 1000-deep optional chain is tail calls only.
  GrammarMatcher m(g);
  ASSERT_TRUE(m.accept_bytes(std::string(500, '1')));
  for (const auto& s : m.state().stacks) EXPECT_LE(s.size(), 2u);
}

TEST(Grammar, MutatedGrammarsParseOrThrowOnlyError) {
  // Damaged grammar texts either parse (and then match without failing) or throw llmkit::Error
  // with a line and column; never another exception or a crash (the sanitizer builds check that).
  std::mt19937 rng(5);
  const std::string bases[] = {test::kJsonGbnf, kArithmetic};
  static const std::string kBytes = "()[]{}|*+?.\"\\#^-,:=\n x0\xC3\xA9";
  int n_parsed = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    std::string text = bases[trial % 2];
    for (int k = 0, n = 1 + static_cast<int>(rng() % 3); k < n; ++k) {
      const size_t at = rng() % text.size();
      if (rng() % 2 == 0) {
        text.erase(at, 1 + rng() % 3);
      } else {
        text.insert(at, 1, kBytes[rng() % kBytes.size()]);
      }
    }
    try {
      const auto g = Grammar::parse(text);
      ++n_parsed;
      GrammarMatcher m(g);
      const std::string sample = test::random_json(rng, 2) + "=x\n";
      for (char c : sample) {
        if (!m.accept_bytes(std::string(1, c))) break;
      }
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("grammar line "), std::string::npos) << e.what();
    }
  }
  EXPECT_GT(n_parsed, 100);
}

}  // namespace
}  // namespace llmkit::infer
