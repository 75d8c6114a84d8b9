// Values of the Jinja evaluator, modelled on the Python objects jinja2 works with: Undefined,
// None, bool, int, float, str (UTF-8), list, tuple, dict (insertion-ordered), namespace (the one
// mutable object) and callables (macros, globals, bound methods). Lists and dicts share their
// storage on copy and are never mutated once built (the sandbox forbids mutating methods).
//
// Printing follows Python: to_str is str(), repr is repr(). Operations that Python rejects throw
// JinjaFailure; the renderer adds the template position and turns it into llmkit::Error.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace llmkit::prompt::jinja {

// A runtime error without a position (added by the renderer).
struct JinjaFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Value;
using List = std::vector<Value>;

struct Dict {
  std::vector<std::pair<Value, Value>> items;
  const Value* find(const Value& key) const;
  void set(const Value& key, Value value);
};

struct CallArgs {
  std::vector<Value> args;
  std::vector<std::pair<std::string, Value>> kwargs;
};

struct Callable {
  std::string name;
  std::function<Value(CallArgs&)> fn;
};

class Value {
 public:
  enum class Kind {
    kUndefined,
    kNone,
    kBool,
    kInt,
    kFloat,
    kString,
    kList,
    kTuple,
    kDict,
    kNamespace,
    kCallable
  };

  Value() = default;  // Undefined with no hint
  static Value undefined(std::string hint) {
    Value v;
    v.str_ = std::move(hint);
    return v;
  }
  static Value none() { return make(Kind::kNone); }
  static Value boolean(bool b) {
    Value v = make(Kind::kBool);
    v.int_ = b;
    return v;
  }
  static Value integer(int64_t i) {
    Value v = make(Kind::kInt);
    v.int_ = i;
    return v;
  }
  static Value floating(double f) {
    Value v = make(Kind::kFloat);
    v.float_ = f;
    return v;
  }
  static Value string(std::string s) {
    Value v = make(Kind::kString);
    v.str_ = std::move(s);
    return v;
  }
  static Value list(List items, bool tuple = false) {
    Value v = make(tuple ? Kind::kTuple : Kind::kList);
    v.list_ = std::make_shared<List>(std::move(items));
    return v;
  }
  static Value dict(Dict d, bool is_namespace = false) {
    Value v = make(is_namespace ? Kind::kNamespace : Kind::kDict);
    v.dict_ = std::make_shared<Dict>(std::move(d));
    return v;
  }
  static Value callable(std::string name, std::function<Value(CallArgs&)> fn) {
    Value v = make(Kind::kCallable);
    v.fn_ = std::make_shared<Callable>(Callable{std::move(name), std::move(fn)});
    return v;
  }

  Kind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == Kind::kUndefined; }
  bool is_none() const { return kind_ == Kind::kNone; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  bool is_int() const { return kind_ == Kind::kInt; }
  bool is_float() const { return kind_ == Kind::kFloat; }
  bool is_number() const { return is_bool() || is_int() || is_float(); }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_sequence() const { return kind_ == Kind::kList || kind_ == Kind::kTuple; }
  bool is_mapping() const { return kind_ == Kind::kDict || kind_ == Kind::kNamespace; }
  bool is_callable() const { return kind_ == Kind::kCallable; }

  bool as_bool() const { return int_ != 0; }
  int64_t as_int() const { return int_; }  // bool and int
  double as_float() const { return kind_ == Kind::kFloat ? float_ : static_cast<double>(int_); }
  const std::string& str() const { return str_; }  // the string, or the Undefined's hint
  const List& items() const { return *list_; }
  List& mutable_items() const { return *list_; }  // list.pop / list.clear (sandbox-allowed)
  const Dict& dict() const { return *dict_; }
  Dict& namespace_dict() const { return *dict_; }  // namespace attribute assignment
  const Callable& callable() const { return *fn_; }

 private:
  static Value make(Kind k) {
    Value v;
    v.kind_ = k;
    return v;
  }
  Kind kind_ = Kind::kUndefined;
  int64_t int_ = 0;
  double float_ = 0;
  std::string str_;
  std::shared_ptr<List> list_;
  std::shared_ptr<Dict> dict_;
  std::shared_ptr<Callable> fn_;
};

Value from_json(const nlohmann::json& j);
Value from_json(const nlohmann::ordered_json& j);

// Python's type name: "str", "int", "dict", "NoneType", "undefined", ...
std::string type_name(const Value& v);
// "'dict object'"-style description used in jinja2's undefined messages.
std::string object_name(const Value& v);

std::string to_str(const Value& v);  // Python str(); Undefined prints as ""
std::string repr(const Value& v);    // Python repr()
std::string float_repr(double d);    // Python repr(float): shortest round-trip digits
bool truthy(const Value& v);
bool equals(const Value& a, const Value& b);  // Python ==
// Python <, >: -1, 0, 1; throws for unorderable types.
int compare(const Value& a, const Value& b, const char* op);
// Python `a in b`.
bool contains(const Value& container, const Value& item);

// Throws the Undefined's error ("'x' is undefined") when v is Undefined.
void require_defined(const Value& v);

// Python json.dumps(v, ensure_ascii=, indent=, separators=(item_sep, key_sep), sort_keys=).
// indent: nullopt for one line. Throws for values JSON cannot hold (Undefined, callables).
std::string to_json(const Value& v, const std::optional<std::string>& indent,
                    const std::string& item_sep, const std::string& key_sep, bool sort_keys,
                    bool ensure_ascii);

// Code points of a UTF-8 string, each as its UTF-8 bytes (Python indexes strings by code point).
std::vector<std::string> code_points(const std::string& s);
size_t code_point_count(const std::string& s);

// The elements iterating v yields: list/tuple items, dict keys, string characters; Undefined
// yields nothing (jinja2's default Undefined). Throws for other types.
List iterate(const Value& v);

}  // namespace llmkit::prompt::jinja
