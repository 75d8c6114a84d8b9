// Shared by the grammar tests: a JSON grammar written for the tests (RFC 8259 JSON, so that
// nlohmann::json::accept is its reference), random JSON documents, and a hex dump for messages.
#pragma once

#include <cstdio>
#include <random>
#include <string>

namespace llmkit::infer::test {

inline constexpr const char* kJsonGbnf = R"gbnf(# JSON (RFC 8259)
root    ::= ws value ws
value   ::= object | array | string | number | "true" | "false" | "null"
object  ::= "{" ws ( member ( ws "," ws member )* ws )? "}"
member  ::= string ws ":" ws value
array   ::= "[" ws ( value ( ws "," ws value )* ws )? "]"
string  ::= "\"" char* "\""
char    ::= [^"\\\x00-\x1F] | "\\" ( ["\\/bfnrt] | "u" [0-9a-fA-F]{4} )
number  ::= "-"? int frac? exp?
int     ::= "0" | [1-9] [0-9]*
frac    ::= "." [0-9]+
exp     ::= [eE] [-+]? [0-9]+
ws      ::= [ \t\n\r]*
)gbnf";

inline std::string hex(const std::string& s) {
  std::string out;
  char buf[4];
  for (unsigned char c : s) {
    std::snprintf(buf, sizeof(buf), "%02X ", c);
    out += buf;
  }
  return out;
}

inline std::string random_ws(std::mt19937& rng) {
  static const char* kWs[] = {"", "", "", " ", "\n", "  ", "\t", "\r\n"};
  return kWs[rng() % 8];
}

inline std::string random_json_string(std::mt19937& rng) {
  static const char* kParts[] = {"a",
                                 "Z",
                                 "7",
                                 " ",
                                 "\\n",
                                 "\\\"",
                                 "\\\\",
                                 "\\/",
                                 "\\u00e9",
                                 "\\u0041",
                                 "\xC3\xA9",
                                 "\xE2\x82\xAC",
                                 "\xF0\x9F\x98\x80",
                                 "{",
                                 "]",
                                 ":",
                                 ","};
  std::string s = "\"";
  const int n = static_cast<int>(rng() % 6);
  for (int i = 0; i < n; ++i) s += kParts[rng() % std::size(kParts)];
  return s + "\"";
}

inline std::string random_json_number(std::mt19937& rng) {
  std::string s = rng() % 3 == 0 ? "-" : "";
  s += rng() % 4 == 0 ? "0" : std::to_string(1 + rng() % 999);
  if (rng() % 3 == 0) s += "." + std::to_string(rng() % 100);
  if (rng() % 4 == 0) s += std::string(rng() % 2 ? "e" : "E") + (rng() % 2 ? "-" : "") + "12";
  return s;
}

// A random JSON value nested at most depth deep, with random whitespace.
inline std::string random_json(std::mt19937& rng, int depth) {
  const unsigned kind = depth > 0 ? rng() % 7 : 2 + rng() % 5;
  std::string s;
  switch (kind) {
    case 0:
    case 1: {
      const bool object = kind == 0;
      s = object ? "{" : "[";
      const int n = static_cast<int>(rng() % 4);
      for (int i = 0; i < n; ++i) {
        if (i > 0) s += random_ws(rng) + ",";
        s += random_ws(rng);
        if (object) s += random_json_string(rng) + random_ws(rng) + ":" + random_ws(rng);
        s += random_json(rng, depth - 1);
      }
      return s + random_ws(rng) + (object ? "}" : "]");
    }
    case 2:
    case 3:
      return random_json_string(rng);
    case 4:
      return random_json_number(rng);
    case 5:
      return rng() % 2 ? "true" : "false";
    default:
      return "null";
  }
}

}  // namespace llmkit::infer::test
