#include "llmkit/prompt/jinja_template.h"

#include "llmkit/base/error.h"
#include "llmkit/prompt/jinja_parser.h"
#include "llmkit/prompt/jinja_render.h"

namespace llmkit::prompt {

JinjaTemplate::JinjaTemplate(std::string source, std::string name, JinjaOptions options)
    : source_(std::move(source)), name_(std::move(name)), options_(std::move(options)) {
  jinja::LexOptions lex;
  lex.trim_blocks = options_.trim_blocks;
  lex.lstrip_blocks = options_.lstrip_blocks;
  lex.keep_trailing_newline = options_.keep_trailing_newline;
  ast_ = std::make_unique<jinja::TemplateAst>(
      jinja::parse(jinja::tokenize(source_, name_, lex), name_));
}

JinjaTemplate::~JinjaTemplate() = default;
JinjaTemplate::JinjaTemplate(JinjaTemplate&&) noexcept = default;
JinjaTemplate& JinjaTemplate::operator=(JinjaTemplate&&) noexcept = default;

namespace {

template <typename Json>
std::string render_json(const jinja::TemplateAst& ast, const std::string& name,
                        const JinjaOptions& options, const Json& context) {
  LLMKIT_CHECK(context.is_object(), name, ": the render context must be a JSON object, got ",
               context.type_name());
  jinja::RenderOptions ro;
  ro.now = options.now;
  return jinja::render(ast, name, jinja::from_json(context), ro);
}

}  // namespace

std::string JinjaTemplate::render(const nlohmann::json& context) const {
  return render_json(*ast_, name_, options_, context);
}

std::string JinjaTemplate::render(const nlohmann::ordered_json& context) const {
  return render_json(*ast_, name_, options_, context);
}

}  // namespace llmkit::prompt
