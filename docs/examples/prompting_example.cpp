// The examples of docs/prompting.md, compiled and run by `make test` (docs_prompting_example):
// each step checks its own result and the program exits non-zero when one differs.
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "llmkit/infer/grammar_matcher.h"
#include "llmkit/infer/json_schema_grammar.h"
#include "llmkit/prompt/chat_prompt_template.h"
#include "llmkit/prompt/chat_template.h"
#include "llmkit/prompt/embedder.h"
#include "llmkit/prompt/example_selector.h"
#include "llmkit/prompt/few_shot.h"
#include "llmkit/prompt/output_parser.h"
#include "llmkit/prompt/prompt_template.h"

using namespace llmkit;

namespace {
int failures = 0;
void check(bool ok, const char* what) {
  std::printf("%s %s\n", ok ? "ok  " : "FAIL", what);
  failures += !ok;
}
}  // namespace

int main() {
  // 1. A template with variables, an escaped brace and a partial.
  prompt::PromptTemplate greet("Translate to {language}: {text} {{verbatim}}");
  prompt::PromptTemplate to_french = greet.partial({{"language", std::string("French")}});
  const std::string p1 = to_french.format({{"text", "good morning"}});
  std::printf("%s\n", p1.c_str());
  check(p1 == "Translate to French: good morning {verbatim}", "prompt template");

  // 2. A chat prompt with a history slot.
  prompt::ChatPromptTemplate chat;
  chat.system("You answer in {style} style.").history("history").user("{question}");
  std::vector<prompt::Message> messages =
      chat.format_messages({{"style", "terse"}, {"question", "Why is the sky blue?"}},
                           {{"history", {{"user", "Hi"}, {"assistant", "Hello."}}}});
  check(messages.size() == 4 && messages[3].content == "Why is the sky blue?",
        "chat prompt template");

  // 3. Few-shot: the two examples most similar to the question, by a hashing embedder.
  std::vector<prompt::Example> examples = {
      {{"q", "capital of France"}, {"a", "Paris"}},
      {{"q", "capital of Italy"}, {"a", "Rome"}},
      {{"q", "largest planet"}, {"a", "Jupiter"}},
      {{"q", "boiling point of water"}, {"a", "100 C"}},
  };
  auto selector = std::make_shared<prompt::SemanticSimilarityExampleSelector>(
      examples, std::make_shared<prompt::HashingEmbedder>(), 2);
  prompt::FewShotPromptTemplate few_shot(prompt::PromptTemplate("Q: {q}\nA: {a}"), selector,
                                         "Q: {question}\nA:", "Answer briefly.");
  const std::string p3 = few_shot.format({{"question", "capital of Spain"}});
  std::printf("%s\n", p3.c_str());
  check(p3.find("Paris") != std::string::npos && p3.find("Rome") != std::string::npos &&
            p3.find("Jupiter") == std::string::npos,
        "few-shot by similarity");

  // 4. A chat template (Jinja), rendered as Hugging Face renders it.
  prompt::ChatTemplate tmpl(
      "{{ bos_token }}{% for m in messages %}<|{{ m.role }}|>\n{{ m.content | trim }}\n"
      "{% endfor %}{% if add_generation_prompt %}<|assistant|>\n{% endif %}");
  prompt::ChatInputs inputs;
  inputs.messages = {{{"role", "user"}, {"content", " Hi! "}}};
  inputs.bos_token = "<s>";
  const std::string p4 = tmpl.render(inputs);
  std::printf("%s", p4.c_str());
  check(p4 == "<s><|user|>\nHi!\n<|assistant|>\n", "chat template");

  // 5. A JSON schema as a grammar: what it accepts and rejects.
  auto grammar = infer::Grammar::parse(infer::json_schema_to_gbnf(nlohmann::ordered_json::parse(
      R"({"type": "object", "properties": {"city": {"type": "string"},
          "population": {"type": "integer"}}, "required": ["city"]})")));
  check(infer::grammar_matches(*grammar, R"({"city": "Oslo", "population": 709000})"),
        "schema grammar accepts a valid object");
  check(!infer::grammar_matches(*grammar, R"({"population": 709000})"),
        "schema grammar rejects a missing required property");

  // 6. Parsing a model's answer: JSON inside a fenced block.
  prompt::JsonOutputParser parser;
  nlohmann::json answer = parser.parse("Sure:\n```json\n{\"city\": \"Oslo\"}\n```\n");
  check(answer["city"] == "Oslo", "JSON output parser");
  try {
    parser.parse("no JSON here");
    check(false, "parse error carries the raw output");
  } catch (const prompt::OutputParseError& e) {
    check(e.raw() == "no JSON here", "parse error carries the raw output");
  }
  return failures == 0 ? 0 : 1;
}
