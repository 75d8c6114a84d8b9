// Hostile test text for the tokenizer reference tests (test-only, header-only): a deterministic
// generator of >= min_bytes of text that stresses every part of a tokenizer: many scripts
// (Korean, Japanese, Chinese, Arabic, Devanagari with combining marks), emoji (ZWJ sequences,
// skin tones, flags, keycaps, tag sequences), combining accents (decomposed and precomposed),
// runs of spaces / tabs / newlines, code (C++, Python, JS, Rust, SQL), long numbers, URLs,
// e-mail, Markdown, special tokens written inside the text, zero-width and bidi marks, CJK
// extension-B characters and U+FFFD. All sentences were written for this file.
//
// make_hostile_corpus(seed) gives the whole text (cases joined by '\n', some cases containing
// newlines themselves) and its lines (the whole text split at '\n', empty lines dropped; no line
// contains '\n'). Everything is valid UTF-8. make_invalid_utf8_lines(seed) is the separate variant
// with invalid byte sequences; utf8_replace_invalid() turns such bytes into U+FFFD exactly as the
// WHATWG TextDecoder does (the JS reference reads its input that way).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace llmkit::tokenizer::testing {

struct HostileCorpus {
  std::string whole;               // the whole text, valid UTF-8
  std::vector<std::string> lines;  // whole split at '\n', non-empty lines only
};

namespace hostile_detail {

// splitmix64: a small deterministic generator (same sequence on every platform).
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t next() {
    uint64_t z = (s_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  size_t below(size_t n) { return static_cast<size_t>(next() % n); }
  template <size_t N>
  const char* pick(const char* const (&list)[N]) {
    return list[below(N)];
  }

 private:
  uint64_t s_;
};

inline const char* const kKorean[] = {"안녕하세요", "토큰을",     "나누는", "시험입니다",
                                      "바다가",     "푸르고",     "하늘은", "맑다",
                                      "한국어",     "문장을",     "읽어",   "보세요",
                                      "김치찌개가", "맛있었어요", "컴퓨터", "됐습니다"};
inline const char* const kJapanese[] = {"こんにちは", "東京の",   "駅で",       "トークン化",
                                        "テストを",   "しました", "ひらがなと", "カタカナ",
                                        "漢字が",     "まざる",   "ｶﾀｶﾅ半角",   "ラーメンを",
                                        "食べたい",   "ですか？", "「引用」",   "〜です"};
inline const char* const kChinese[] = {
    "你好",     "世界", "分词器",   "正在",     "测试", "繁體字與", "简体字",   "數據",
    "机器学习", "模型", "这个句子", "没有空格", "，",   "。",       "《书名》", "１２３"};
inline const char* const kArabic[] = {"مرحبا", "بالعالم", "هذا",     "اختبار", "للكلمات",
                                      "مُحَمَّدٌ",  "كَتَبَ",     "الدَّرْسَ",   "٣٤٥",    "٠١٢",
                                      "؟",     "،",       "العربية", "جميلة"};
inline const char* const kHindi[] = {
    "नमस्ते", "दुनिया", "यह",  "परीक्षण", "है",    "हिन्दी", "क्षत्रिय", "ज़िंदगी",
    "शब्दों", "का",    "१२३", "।",      "कृपया", "ध्यान",  "दें",      "स्‍त्री"};
inline const char* const kLatin[] = {
    "the",    "quick",   "tokenizer", "splits", "words", "into",  "pieces", "and",    "numbers",
    "while",  "keeping", "spaces",    "intact", "naïve", "café",  "Zürich", "façade", "œuvre",
    "straße", "ÆØÅ",     "İstanbul",  "ǅemal",  "ΑΒΓ",   "Ωμέγα", "Привет", "мир",    "Ελληνικά",
    "ﬁnance", "①②③",     "ＡＢＣ",    "x²",     "½",     "™",     "µs",     "Å",      "K"};
inline const char* const kEmoji[] = {"😀",
                                     "🫠",
                                     "👍",
                                     "👍🏽",
                                     "👋🏿",
                                     "👩‍💻",
                                     "👨‍👩‍👧‍👦",
                                     "🧑🏻‍🤝‍🧑🏿",
                                     "🏳️‍🌈",
                                     "❤️",
                                     "❤️‍🔥",
                                     "🇰🇷",
                                     "🇯🇵",
                                     "🇺🇳",
                                     "🇧🇷🇮🇳",
                                     "#️⃣",
                                     "1️⃣",
                                     "🏴󠁧󠁢󠁳󠁣󠁴󠁿",
                                     "👁️‍🗨️",
                                     "🤷‍♀️",
                                     "🐈‍⬛",
                                     "✌🏼",
                                     "🦀",
                                     "🐍"};
// Decomposed (base + combining marks) and precomposed forms, zalgo stacks, Vietnamese.
inline const char* const kCombining[] = {"e\u0301",
                                         "\u00e9",
                                         "n\u0303",
                                         "\u00f1",
                                         "A\u030a",
                                         "\u00c5",
                                         "a\u0308\u0304",
                                         "o\u0302\u0323",
                                         "Z\u0351\u0352\u0353\u0354",
                                         "i\u0307\u0301",
                                         "Tiê\u0301ng Viê\u0323t",
                                         "Tiếng Việt",
                                         "u\u0308ber",
                                         "\u00fcber",
                                         "\u0301leading mark",
                                         "c\u0327a\u0300"};
// Zero-width, bidi and odd characters.
inline const char* const kInvisible[] = {"\u200b", "\u200c",   "\u200d", "\ufeff", "\u2060",
                                         "\u200e", "\u200f",   "\u202e", "\u2067", "\u2069",
                                         "\u00ad", "\u00a0",   "\u3000", "\u2028", "\ufffd",
                                         "\u2581", "\x1b[31m", "\x01",   "\x7f"};
inline const char* const kCjkExtB[] = {"𠀀", "𠀋", "𡈽", "𪚥", "𠮷", "𩸽", "𤭢", "𠂤"};
inline const char* const kSpecial[] = {"<bos>",
                                       "<eos>",
                                       "<pad>",
                                       "<unk>",
                                       "<mask>",
                                       "<start_of_turn>",
                                       "<end_of_turn>",
                                       "<|begin_of_text|>",
                                       "<|eot_id|>",
                                       "<|end_of_text|>",
                                       "<|start_header_id|>",
                                       "<|end_header_id|>",
                                       "<bos",
                                       "bos>",
                                       "<|eot_id",
                                       "<BOS>",
                                       "<<bos>>",
                                       "< bos >",
                                       "<unused0>",
                                       "<start_of_image>"};
inline const char* const kWhitespace[] = {
    " ",    "  ",     "   ",  "\t", "\t\t", " \t ", "\n",       "\n\n",         " \n ",
    "\r\n", "\n\n\n", "\t\n", "\v", "\f",   "    ", "        ", "\u00a0\u00a0", "\u3000"};
inline const char* const kPunct[] = {".", ",",  "!",  "?",        "...", "…",   "—",   "–", "-",
                                     "'", "\"", "«»", "“quoted”", "(",   ")",   "[",   "]", "{",
                                     "}", ";",  ":",  "'s",       "'ll", "'VE", "n't", "/", "\\",
                                     "@", "#",  "$",  "%",        "&&",  "||"};

// Multi-line code and prose snippets; '\n' inside them stays in the whole text.
inline const char* const kCode[] = {
    "#include <vector>\nint main() {\n    std::vector<int> v{1, 2, 3};\n    for (auto& x : v) "
    "x *= 2;\n    return v.size() > 2 ? 0 : 1;\n}",
    "template <typename T>\nconstexpr T clamp(T x, T lo, T hi) noexcept { return x < lo ? lo : "
    "(hi < x ? hi : x); }",
    "def tokenize(text: str) -> list[int]:\n    \"\"\"Split text.\"\"\"\n    return [ord(c) for "
    "c in text if not c.isspace()]\n\nprint(tokenize('héllo wörld'))",
    "class Node:\n\tdef __init__(self, value=None):\n\t\tself.value = value  # tabs, not spaces\n",
    "const sum = (xs) => xs.reduce((a, b) => a + b, 0);\nconsole.log(`total: ${sum([1, 2, "
    "3])}`); // 6",
    "async function load(url) {\n  const res = await fetch(url, { method: 'GET' });\n  if "
    "(!res.ok) throw new Error(res.statusText);\n  return res.json();\n}",
    "fn main() {\n    let words: Vec<&str> = \"a b  c\".split(' ').collect();\n    "
    "println!(\"{:?} {}\", words, words.len());\n}",
    "impl<'a> Iterator for Pieces<'a> {\n    type Item = &'a str;\n    fn next(&mut self) -> "
    "Option<Self::Item> { None }\n}",
    "SELECT u.id, COUNT(*) AS n\nFROM users u\nJOIN orders o ON o.user_id = u.id\nWHERE "
    "o.total >= 100.50 AND u.name LIKE '%김%'\nGROUP BY u.id ORDER BY n DESC;",
    "INSERT INTO t (a, b) VALUES (1, 'it''s'), (2, NULL); -- comment\n/* block */",
    "# Heading one\n\n## Sub-heading with `code`\n\n- [ ] task\n- [x] done\n\n> quoted "
    "**bold** _italic_ ~~struck~~",
    "| col a | col b |\n|------:|:------|\n| 1     | 二    |\n\n```python\nx = 1\n```",
    "<div class=\"note\">&lt;not a tag&gt; &amp; &#x1F600;</div>",
    "{\"name\": \"llmkit\", \"ids\": [2, 651, 9456], \"nested\": {\"ok\": true, \"v\": null}}",
    "$ echo \"hello\" | tr a-z A-Z > out.txt && cat out.txt 2>&1",
    "    indented with four spaces\n\tindented with a tab\n  \t mixed\n"};
inline const char* const kUrls[] = {"https://example.org/path/to/page?q=token&lang=ko#section-2",
                                    "http://localhost:8080/api/v1/encode",
                                    "ftp://files.example.net/pub/data_2024-01-01.tar.gz",
                                    "https://ko.example.org/wiki/%ED%95%9C%EA%B5%AD%EC%96%B4",
                                    "first.last+tag@example.co.uk",
                                    "user_name-01@sub.domain.example",
                                    "mailto:someone@example.com?subject=Hi%20there",
                                    "www.example.com/a_b-c.d~e",
                                    "[link text](https://example.com/x_(y))",
                                    "192.168.0.1:443",
                                    "2001:db8::ff00:42:8329"};

inline std::string number(Rng& r) {
  std::string s;
  switch (r.below(7)) {
    case 0: {  // a long run of digits
      size_t n = 10 + r.below(60);
      for (size_t i = 0; i < n; ++i) s += static_cast<char>('0' + r.below(10));
      return s;
    }
    case 1:
      return std::to_string(r.next() % 1000000) + "." + std::to_string(r.next() % 100000000);
    case 2: {  // thousands separators
      s = std::to_string(1 + r.below(999));
      for (size_t g = r.below(5); g > 0; --g) s += "," + std::to_string(100 + r.below(900));
      return s;
    }
    case 3:
      return "-" + std::to_string(r.below(1000)) + "e-" + std::to_string(r.below(300));
    case 4:
      return "0x" + std::string("DEADBEEF").substr(0, 1 + r.below(8)) + "ull";
    case 5:
      return "2026-" + std::to_string(1 + r.below(12)) + "-" + std::to_string(1 + r.below(28)) +
             "T12:34:56Z";
    default:
      return "+1 (555) " + std::to_string(100 + r.below(900)) + "-" +
             std::to_string(1000 + r.below(9000));
  }
}

// One word from any of the word lists.
inline std::string word(Rng& r) {
  switch (r.below(12)) {
    case 0:
      return r.pick(kKorean);
    case 1:
      return r.pick(kJapanese);
    case 2:
      return r.pick(kChinese);
    case 3:
      return r.pick(kArabic);
    case 4:
      return r.pick(kHindi);
    case 5:
      return r.pick(kEmoji);
    case 6:
      return r.pick(kCombining);
    case 7:
      return number(r);
    case 8:
      return r.pick(kPunct);
    default:
      return r.pick(kLatin);
  }
}

// A sentence of n words from one list (mostly spaces between them).
template <size_t N>
std::string sentence(Rng& r, const char* const (&list)[N], size_t n, const char* sep = " ") {
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) s += r.below(6) == 0 ? "" : sep;
    s += r.pick(list);
  }
  return s;
}

// One test case; may contain '\n'.
inline std::string make_case(Rng& r) {
  std::string s;
  switch (r.below(16)) {
    case 0:
      return sentence(r, kKorean, 3 + r.below(10));
    case 1:
      return sentence(r, kJapanese, 3 + r.below(10), "");
    case 2:
      return sentence(r, kChinese, 3 + r.below(12), "");
    case 3:
      return sentence(r, kArabic, 3 + r.below(10)) + " \u200f(RTL)\u200e end";
    case 4:
      return sentence(r, kHindi, 3 + r.below(10));
    case 5:
      return sentence(r, kEmoji, 2 + r.below(10), r.below(2) ? " " : "");
    case 6:
      return sentence(r, kCombining, 2 + r.below(8));
    case 7:
      return r.pick(kCode);
    case 8: {  // URLs and e-mail inside prose
      s = "See ";
      s += r.pick(kUrls);
      s += " or write to ";
      s += r.pick(kUrls);
      return s + (r.below(2) ? "." : "");
    }
    case 9: {  // numbers
      for (size_t i = 0, n = 1 + r.below(6); i < n; ++i) s += (i ? " " : "") + number(r);
      return s;
    }
    case 10: {  // special tokens written inside text
      for (size_t i = 0, n = 2 + r.below(6); i < n; ++i) {
        s += r.below(3) == 0 ? std::string(r.pick(kWhitespace)) : std::string();
        s += r.below(2) ? std::string(r.pick(kSpecial)) : word(r);
      }
      return s;
    }
    case 11: {  // whitespace runs around words
      for (size_t i = 0, n = 2 + r.below(8); i < n; ++i) {
        s += r.pick(kWhitespace);
        if (r.below(3)) s += word(r);
      }
      return s;
    }
    case 12: {  // invisible characters and CJK extension B between words
      for (size_t i = 0, n = 3 + r.below(8); i < n; ++i) {
        s += word(r);
        s += r.below(2) ? r.pick(kInvisible) : r.pick(kCjkExtB);
      }
      return s;
    }
    default: {  // mixed scripts
      for (size_t i = 0, n = 4 + r.below(16); i < n; ++i) {
        if (i > 0 && r.below(4) != 0) s += r.below(10) == 0 ? r.pick(kWhitespace) : " ";
        s += word(r);
      }
      return s;
    }
  }
}

}  // namespace hostile_detail

// The hostile corpus: cases generated until the whole text has at least min_bytes bytes.
inline HostileCorpus make_hostile_corpus(uint64_t seed = 2026, size_t min_bytes = 100 * 1024) {
  hostile_detail::Rng r(seed);
  HostileCorpus c;
  // Fixed cases first, so every run has them whatever the seed.
  const char* const fixed[] = {"",  // leading newline in the whole text
                               "Hello world",
                               " leading space",
                               "trailing space ",
                               "   three leading spaces",
                               "<bos>text right after BOS",
                               "<|begin_of_text|>Llama BOS at the start",
                               "<start_of_turn>user\nHi there!<end_of_turn>\n<start_of_turn>model",
                               "<|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|>",
                               "\u2581already\u2581has\u2581markers",
                               "\ufffd\ufffd replacement characters \ufffd"};
  for (const char* f : fixed) c.whole += std::string(f) + "\n";
  while (c.whole.size() < min_bytes) {
    c.whole += hostile_detail::make_case(r);
    c.whole += r.below(8) == 0 ? "\n\n" : "\n";
  }
  c.whole += "no newline at the end";
  size_t start = 0;
  while (start <= c.whole.size()) {
    size_t end = c.whole.find('\n', start);
    if (end == std::string::npos) end = c.whole.size();
    if (end > start) c.lines.push_back(c.whole.substr(start, end - start));
    start = end + 1;
  }
  return c;
}

// Lines with invalid UTF-8: lone continuation bytes, overlong forms, encoded surrogates, code
// points above U+10FFFF, bytes 0xF5..0xFF, sequences cut short (mid-line and at the end).
inline std::vector<std::string> make_invalid_utf8_lines(uint64_t seed = 7, size_t n = 200) {
  static const char* const kBad[] = {"\x80",
                                     "\xbf",
                                     "\x80\x80\x80",
                                     "\xc0\xaf",
                                     "\xc1\xbf",
                                     "\xe0\x80\xaf",
                                     "\xed\xa0\x80",
                                     "\xed\xbf\xbf",
                                     "\xf4\x90\x80\x80",
                                     "\xf5",
                                     "\xff",
                                     "\xfe\xff",
                                     "\xe4\xb8",
                                     "\xf0\x9f\x98",
                                     "\xc3",
                                     "\xf0\x9f",
                                     "\xe2\x82\xe2\x82\xac"};
  hostile_detail::Rng r(seed);
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) {
    std::string s;
    for (size_t k = 0, m = 2 + r.below(6); k < m; ++k) {
      if (k > 0 && r.below(3) != 0) s += ' ';
      s += r.below(2) ? std::string(r.pick(kBad)) : hostile_detail::word(r);
    }
    if (r.below(4) == 0) s += "\xe6\x97";  // cut short at the end of the line
    out.push_back(s);
  }
  return out;
}

// bytes decoded as UTF-8 with each maximal invalid subpart replaced by U+FFFD, as the WHATWG
// Encoding Standard's UTF-8 decoder (JS TextDecoder, fatal = false) does, then re-encoded.
inline std::string utf8_replace_invalid(const std::string& bytes) {
  std::string out;
  auto put = [&out](uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  };
  uint32_t cp = 0;
  int needed = 0, seen = 0;
  unsigned lower = 0x80, upper = 0xBF;
  for (size_t i = 0; i < bytes.size(); ++i) {
    auto b = static_cast<unsigned char>(bytes[i]);
    if (needed == 0) {
      if (b <= 0x7F) {
        put(b);
      } else if (b >= 0xC2 && b <= 0xDF) {
        needed = 1, cp = b & 0x1F;
      } else if (b >= 0xE0 && b <= 0xEF) {
        if (b == 0xE0) lower = 0xA0;
        if (b == 0xED) upper = 0x9F;
        needed = 2, cp = b & 0x0F;
      } else if (b >= 0xF0 && b <= 0xF4) {
        if (b == 0xF0) lower = 0x90;
        if (b == 0xF4) upper = 0x8F;
        needed = 3, cp = b & 0x07;
      } else {
        put(0xFFFD);
      }
      continue;
    }
    if (b < lower || b > upper) {  // the sequence so far is one error; b is read again
      cp = 0, needed = 0, seen = 0, lower = 0x80, upper = 0xBF;
      put(0xFFFD);
      --i;
      continue;
    }
    lower = 0x80, upper = 0xBF;
    cp = (cp << 6) | (b & 0x3F);
    if (++seen == needed) {
      put(cp);
      cp = 0, needed = 0, seen = 0;
    }
  }
  if (needed != 0) put(0xFFFD);
  return out;
}

}  // namespace llmkit::tokenizer::testing
