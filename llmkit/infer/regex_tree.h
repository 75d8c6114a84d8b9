// The parsed form of a regex (regex_grammar.cpp) and its GBNF writer. Internal to llmkit/infer.
#pragma once

#include <string>
#include <vector>

#include "llmkit/infer/gbnf_emit.h"

namespace llmkit::infer::regex_detail {

// The parsed regex. kRaw holds a prebuilt, non-nullable GBNF atom (JSON's "any character").
struct Node {
  enum class Kind { kEmpty, kChars, kRaw, kSeq, kAlt, kRepeat } kind = Kind::kEmpty;
  gbnf::CodepointSet set;  // kChars
  std::string raw;         // kRaw
  std::vector<Node> kids;  // kSeq, kAlt; kRepeat: one
  int lo = 0, hi = -1;     // kRepeat; hi -1: unbounded
};

Node chars_node(gbnf::CodepointSet set);
Node repeat_node(Node kid, int lo, int hi);
// A kSeq or kAlt of kids; a single kid is returned as is, no kids as kEmpty (kSeq).
Node list_node(Node::Kind kind, std::vector<Node> kids);
// Whether the node matches the empty string.
bool nullable(const Node& n);
// The node's language without the empty string; false when that is empty.
bool non_empty(const Node& n, Node* out);
// The node as one GBNF expression (parenthesized when it has several elements), with characters
// written plainly or as JSON string-body encodings (gbnf::json_chars). No repetition in the
// output has a body that matches the empty string.
std::string emit_gbnf(const Node& n, bool json_chars);

}  // namespace llmkit::infer::regex_detail
