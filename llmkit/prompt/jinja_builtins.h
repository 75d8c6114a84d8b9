// The Python semantics the Jinja evaluator needs, as jinja2's ImmutableSandboxedEnvironment
// applies them: attribute and item access (with bound str / dict / list methods; mutating
// methods are unsafe and yield an Undefined that fails when used), slicing, arithmetic, the
// filters and tests, and the global functions. All of them throw JinjaFailure on error.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "llmkit/prompt/jinja_value.h"

namespace llmkit::prompt::jinja {

// obj.name: a Python attribute (bound method) first, then obj["name"].
Value get_attr(const Value& obj, const std::string& name);
// obj[key]: the item first, then for a string key the attribute. Missing: Undefined.
Value get_item(const Value& obj, const Value& key);
// obj[start:stop:step] on a list, tuple or string (Undefined / None bounds are omitted).
Value slice(const Value& obj, const Value& start, const Value& stop, const Value& step);
// a op b for + - * / // % ** and ~ (string concatenation).
Value binary_op(const std::string& op, const Value& a, const Value& b);
Value negate(const Value& v, bool minus);

bool has_filter(const std::string& name);
bool has_test(const std::string& name);
Value apply_filter(const std::string& name, const Value& v, const CallArgs& args);
bool apply_test(const std::string& name, const Value& v, const CallArgs& args);

// Argument i, or keyword `name`, or `fallback`.
Value arg(const CallArgs& a, size_t i, const char* name, const Value& fallback);

// Shared by the builtin files: argument checks (throw JinjaFailure naming `what`), the bound
// method s.name (an Undefined with an empty hint when str has no such method), and "fmt % args"
// (printf-style conversions s r d i f e g x o c with flags, width and precision).
std::string require_str(const Value& v, const char* what);
int64_t require_int(const Value& v, const char* what);
Value str_method(const std::string& s, const std::string& name);
std::string percent_format(const std::string& f, const Value& args);

// Python str methods the filters share. Case mapping covers ASCII, Latin-1, Latin Extended-A
// and Additional, Greek, Cyrillic, Armenian and fullwidth Latin (simple mappings plus ß -> SS);
// other scripts are left as they are.
std::string py_strip(const std::string& s, const Value& chars, bool left, bool right);
std::string py_upper(const std::string& s);
std::string py_lower(const std::string& s);
std::string py_capitalize(const std::string& s);  // first character upper, the rest lower
std::string py_title(const std::string& s);       // str.title(): words are runs of cased letters
// The code points of a UTF-8 string and back.
std::vector<uint32_t> decode_utf8(const std::string& s);
void append_utf8(std::string& out, uint32_t cp);
uint32_t cp_upper(uint32_t c);
uint32_t cp_lower(uint32_t c);

// The global functions: range, dict, namespace, raise_exception, strftime_now (local time of
// `now()`).
Dict make_globals(std::function<std::chrono::system_clock::time_point()> now);

}  // namespace llmkit::prompt::jinja
