// Test helper: renders Jinja cases with Python jinja2 (tests/prompt/jinja_reference.py, configured
// as Hugging Face's apply_chat_template) and with llmkit::prompt::JinjaTemplate, and expects equal
// bytes, or both to fail.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "llmkit/base/error.h"
#include "llmkit/prompt/jinja_template.h"

namespace llmkit::test {

using ojson = nlohmann::ordered_json;

struct JinjaCase {
  std::string template_text;
  ojson context = ojson::object();
  // trim_blocks / lstrip_blocks (default true, as Hugging Face sets them), keep_trailing_newline,
  // now (unix seconds for strftime_now).
  ojson options = ojson::object();
};

inline const char* kPython = "/usr/bin/python3";

// True when /usr/bin/python3 can import jinja2.
inline bool reference_available() {
  static const bool ok =
      std::system((std::string(kPython) + " -c 'import jinja2' >/dev/null 2>&1").c_str()) == 0;
  return ok;
}

// The reference results, one {"ok", "output" | "error"} object per case.
inline std::vector<ojson> run_reference_json(const ojson& input) {
  const std::string base = ::testing::TempDir() + "jinja_ref_" + std::to_string(::getpid());
  {
    std::ofstream out(base + ".in.json", std::ios::binary);
    out << input.dump();
  }
  const std::string cmd = std::string(kPython) +
                          " " LLMKIT_SOURCE_DIR "/tests/prompt/jinja_reference.py < " + base +
                          ".in.json > " + base + ".out.json";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::ifstream in(base + ".out.json", std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  std::remove((base + ".in.json").c_str());
  std::remove((base + ".out.json").c_str());
  ojson results = ojson::parse(s.str());
  EXPECT_EQ(results.size(), input.size());
  return std::vector<ojson>(results.begin(), results.end());
}

inline std::vector<ojson> run_reference(const std::vector<JinjaCase>& cases) {
  ojson input = ojson::array();
  for (const auto& c : cases) {
    input.push_back(
        {{"template", c.template_text}, {"context", c.context}, {"options", c.options}});
  }
  return run_reference_json(input);
}

inline prompt::JinjaOptions options_of(const ojson& o) {
  prompt::JinjaOptions opt;
  opt.trim_blocks = o.value("trim_blocks", true);
  opt.lstrip_blocks = o.value("lstrip_blocks", true);
  opt.keep_trailing_newline = o.value("keep_trailing_newline", false);
  if (o.contains("now")) {
    const auto t = std::chrono::system_clock::from_time_t(o["now"].get<std::time_t>());
    opt.now = [t] { return t; };
  }
  return opt;
}

// Renders every case both ways; output must match byte for byte, and where jinja2 raises,
// JinjaTemplate must throw llmkit::Error(kInvalidArgument) too.
inline void expect_matches_reference(const std::vector<JinjaCase>& cases) {
  const std::vector<ojson> ref = run_reference(cases);
  for (size_t i = 0; i < cases.size() && i < ref.size(); ++i) {
    const JinjaCase& c = cases[i];
    SCOPED_TRACE("case " + std::to_string(i) + ": " + c.template_text);
    std::string got;
    std::string error;
    try {
      prompt::JinjaTemplate t(c.template_text, "case", options_of(c.options));
      got = t.render(c.context);
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
      error = e.what();
    }
    if (ref[i]["ok"].get<bool>()) {
      EXPECT_EQ(error, "") << "jinja2 renders " << ref[i]["output"].dump();
      EXPECT_EQ(got, ref[i]["output"].get<std::string>());
    } else {
      if (std::getenv("JINJA_LIST_ERRORS")) {
        std::printf("ERRCASE %s => %s\n", c.template_text.c_str(),
                    ref[i]["error"].get<std::string>().c_str());
      }
      EXPECT_NE(error, "") << "jinja2 fails with " << ref[i]["error"].get<std::string>()
                           << " but llmkit renders " << ojson(got).dump();
    }
  }
}

}  // namespace llmkit::test
