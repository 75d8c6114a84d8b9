// tokenizer.json pre-tokenizers, normalizers and the JavaScript-flavoured regex
// (llmkit/tokenizer/pretokenizer.h, normalizer.h, js_regex.h) against splits derived by hand from
// the `tokenizers` documentation and JavaScript's regex semantics.
#include "llmkit/tokenizer/pretokenizer.h"

#include <gtest/gtest.h>

#include "llmkit/base/error.h"
#include "llmkit/tokenizer/hf_text.h"
#include "llmkit/tokenizer/js_regex.h"
#include "llmkit/tokenizer/normalizer.h"

namespace llmkit::tokenizer::hf {
namespace {

using json = nlohmann::json;
using Strs = std::vector<std::string>;

Strs run(const std::string& config, const std::string& text, int section = 0) {
  auto p = make_pre_tokenizer(json::parse(config), "pre_tokenizer");
  return p->split({text}, section);
}

std::string split_config(const std::string& behavior, bool invert = false) {
  return R"({"type":"Split","pattern":{"String":"-"},"behavior":")" + behavior + R"(","invert":)" +
         (invert ? "true" : "false") + "}";
}

TEST(PreTokenizer, SplitBehaviours) {
  const std::string t = "the-final--countdown";
  EXPECT_EQ(run(split_config("Removed"), t), (Strs{"the", "final", "countdown"}));
  EXPECT_EQ(run(split_config("Isolated"), t), (Strs{"the", "-", "final", "-", "-", "countdown"}));
  EXPECT_EQ(run(split_config("MergedWithPrevious"), t), (Strs{"the-", "final-", "-", "countdown"}));
  EXPECT_EQ(run(split_config("MergedWithNext"), t), (Strs{"the", "-final", "-", "-countdown"}));
  EXPECT_EQ(run(split_config("Contiguous"), t), (Strs{"the", "-", "final", "--", "countdown"}));
  // invert: the pieces between the dashes are the delimiters
  EXPECT_EQ(run(split_config("Removed", true), t), (Strs{"-", "-", "-"}));
}

const char* kLlama3 =
    R"({"type":"Split","pattern":{"Regex":"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"},"behavior":"Isolated","invert":false})";

TEST(PreTokenizer, Llama3Regex) {
  EXPECT_EQ(run(kLlama3, "Hello world's 12345  x\n\n"),
            (Strs{"Hello", " world", "'s", " ", "123", "45", " ", " x", "\n\n"}));
  // the contraction group is case-insensitive, but only for ASCII letters (as in JavaScript)
  EXPECT_EQ(run(kLlama3, "IT'S"), (Strs{"IT", "'S"}));
  // U+017F (long s) is a letter, not a case variant of 's' here
  EXPECT_EQ(run(kLlama3, "a'\xC5\xBF"), (Strs{"a", "'\xC5\xBF"}));
  // U+3000 ideographic space is whitespace; U+0085 is not whitespace in JavaScript
  EXPECT_EQ(run(kLlama3,
                "\xE3\x80\x80"
                "a"),
            (Strs{"\xE3\x80\x80"
                  "a"}));
  EXPECT_EQ(run(kLlama3,
                "a\xC2\x85"
                "b"),
            (Strs{"a",
                  "\xC2\x85"
                  "b"}));
  // non-ASCII digits are \p{N}, grouped by three
  EXPECT_EQ(run(kLlama3, "\xD9\xA1\xD9\xA2\xD9\xA3\xD9\xA4"),
            (Strs{"\xD9\xA1\xD9\xA2\xD9\xA3", "\xD9\xA4"}));
}

TEST(PreTokenizer, ByteLevel) {
  // GPT-2 alphabet: ' ' -> U+0120, '\n' -> U+010A, 'a' stays
  EXPECT_EQ(run(R"({"type":"ByteLevel","add_prefix_space":false,"use_regex":false})", "a b\n"),
            (Strs{"a\xC4\xA0"
                  "b\xC4\x8A"}));
  EXPECT_EQ(run(R"({"type":"ByteLevel","add_prefix_space":true,"use_regex":true})", "hi you"),
            (Strs{"\xC4\xA0hi", "\xC4\xA0you"}));
  // é (C3 A9) -> two characters U+00C3 U+00A9 (both printable bytes keep their value)
  EXPECT_EQ(run(R"({"type":"ByteLevel","add_prefix_space":false,"use_regex":false})", "\xC3\xA9"),
            (Strs{"\xC3\x83\xC2\xA9"}));
}

TEST(PreTokenizer, Metaspace) {
  const std::string m = "\xE2\x96\x81";
  EXPECT_EQ(
      run(R"({"type":"Metaspace","replacement":"▁","prepend_scheme":"always"})", "hello world"),
      (Strs{m + "hello", m + "world"}));
  EXPECT_EQ(run(R"({"type":"Metaspace","replacement":"▁","prepend_scheme":"always","split":false})",
                "hello world"),
            (Strs{m + "hello" + m + "world"}));
  EXPECT_EQ(run(R"({"type":"Metaspace","replacement":"▁","prepend_scheme":"first"})", "a", 1),
            (Strs{"a"}));
  EXPECT_EQ(run(R"({"type":"Metaspace","replacement":"▁","prepend_scheme":"first"})", "a", 0),
            (Strs{m + "a"}));
  EXPECT_EQ(run(R"({"type":"Metaspace","replacement":"▁","prepend_scheme":"never"})", "a"),
            (Strs{"a"}));
}

TEST(PreTokenizer, DigitsAndSequence) {
  EXPECT_EQ(run(R"({"type":"Digits","individual_digits":true})", "ab123c"),
            (Strs{"ab", "1", "2", "3", "c"}));
  EXPECT_EQ(run(R"({"type":"Digits","individual_digits":false})", "ab123c"),
            (Strs{"ab", "123", "c"}));
  // \d is ASCII-only in JavaScript: Arabic-Indic digits are not split off
  EXPECT_EQ(run(R"({"type":"Digits","individual_digits":true})",
                "\xD9\xA1\xD9\xA2"
                "3"),
            (Strs{"\xD9\xA1\xD9\xA2", "3"}));
  EXPECT_EQ(run(R"({"type":"Sequence","pretokenizers":[{"type":"WhitespaceSplit"},
                   {"type":"Digits","individual_digits":true}]})",
                " x12  y "),
            (Strs{"x", "1", "2", "y"}));
}

TEST(PreTokenizer, UnknownTypeIsNamedWithItsPath) {
  try {
    run(R"({"type":"Sequence","pretokenizers":[{"type":"Digits"},{"type":"Foo"}]})", "x");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
    EXPECT_NE(std::string(e.what()).find("pre_tokenizer.pretokenizers[1].type = 'Foo'"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(run(split_config("Sideways"), "x"), Error);
  EXPECT_THROW(run(R"({"type":"Split","pattern":{"Regex":"(unclosed"}})", "x"), Error);
}

std::string normalize(const std::string& config, const std::string& text) {
  return make_normalizer(json::parse(config), "normalizer")->normalize(text);
}

TEST(Normalizer, Components) {
  EXPECT_EQ(normalize(R"({"type":"Replace","pattern":{"String":" "},"content":"▁"})", "a b "),
            "a\xE2\x96\x81"
            "b\xE2\x96\x81");
  EXPECT_EQ(
      normalize(R"({"type":"Replace","pattern":{"Regex":" {2,}"},"content":" "})", "a    b  c d"),
      "a b c d");
  EXPECT_EQ(normalize(R"({"type":"Prepend","prepend":"▁"})", "x"), "\xE2\x96\x81x");
  // NFKC: the ligature U+FB01 -> "fi"; NFC: e + U+0301 -> U+00E9; NFD the reverse
  EXPECT_EQ(normalize(R"({"type":"NFKC"})", "\xEF\xAC\x81"), "fi");
  EXPECT_EQ(normalize(R"({"type":"NFC"})", "e\xCC\x81"), "\xC3\xA9");
  EXPECT_EQ(normalize(R"({"type":"NFD"})", "\xC3\xA9"), "e\xCC\x81");
  EXPECT_EQ(normalize(R"({"type":"Lowercase"})", "ABC\xC3\x89"), "abc\xC3\xA9");
  EXPECT_EQ(normalize(R"({"type":"Strip","strip_left":true,"strip_right":false})", "  a  "), "a  ");
  EXPECT_EQ(normalize(R"({"type":"Sequence","normalizers":[{"type":"Prepend","prepend":"x"},
                         {"type":"Replace","pattern":{"String":"x"},"content":"yy"}]})",
                      "ax"),
            "yyayy");
  EXPECT_THROW(make_normalizer(json::parse(R"({"type":"Bogus"})"), "normalizer"), Error);
}

TEST(HfText, SanitizeLikeTextDecoder) {
  // a lone continuation byte, a truncated 3-byte sequence (one U+FFFD), an overlong C0 80 (two)
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(sanitize_utf8("a\x80"
                          "b"),
            "a" + r + "b");
  EXPECT_EQ(sanitize_utf8("a\xE2\x82"
                          "b"),
            "a" + r + "b");
  EXPECT_EQ(sanitize_utf8("\xC0\x80"), r + r);
  EXPECT_EQ(sanitize_utf8("\xED\xA0\x80"), r + r + r);  // a surrogate: three bad bytes
  EXPECT_EQ(sanitize_utf8("\xF0\x9F\x98\x80"), "\xF0\x9F\x98\x80");
  EXPECT_EQ(sanitize_utf8("\xF0\x9F\x98"), r);
}

TEST(HfText, ByteAlphabetRoundTrips) {
  for (int b = 0; b < 256; ++b) {
    const std::string& s = byte_to_unicode(static_cast<uint8_t>(b));
    size_t len = 0;
    EXPECT_EQ(unicode_to_byte(decode_utf8(s, 0, &len)), b);
    EXPECT_EQ(len, s.size());
  }
  EXPECT_EQ(byte_to_unicode(' '), "\xC4\xA0");  // U+0120
  EXPECT_EQ(unicode_to_byte(0x4E00), -1);
}

TEST(JsRegex, EmptyMatchesAdvanceByOneCharacter) {
  JsRegex re("x*");
  const auto m = re.find_all("\xC3\xA9x");
  ASSERT_EQ(m.size(), 3u);  // "" at 0, "x" at 2, "" at 3
  EXPECT_EQ(m[0], (std::pair<size_t, size_t>{0, 0}));
  EXPECT_EQ(m[1], (std::pair<size_t, size_t>{2, 3}));
  EXPECT_EQ(m[2], (std::pair<size_t, size_t>{3, 3}));
}

}  // namespace
}  // namespace llmkit::tokenizer::hf
