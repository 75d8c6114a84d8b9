#include "llmkit/models/chat_template_source.h"
#include "llmkit/base/atomic_file.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "llmkit/base/error.h"

namespace llmkit::models {
namespace fs = std::filesystem;

std::string chat_template_from_gguf(const io::GgufFile& gguf) {
  const std::string key = "tokenizer.chat_template";
  return gguf.has(key) ? gguf.get_string(key) : std::string();
}

std::string chat_template_from_folder(const std::string& folder) {
  const fs::path jinja = fs::path(folder) / "chat_template.jinja";
  if (fs::is_regular_file(jinja)) return read_file(jinja.string());
  const fs::path config_path = fs::path(folder) / "tokenizer_config.json";
  if (!fs::is_regular_file(config_path)) return "";
  nlohmann::json config;
  try {
    config = nlohmann::json::parse(read_file(config_path.string()));
  } catch (const nlohmann::json::exception& e) {
    throw_error(ErrorCode::kCorruptData,
                str_cat(config_path.string(), " is not valid JSON: ", e.what()));
  }
  if (!config.is_object() || !config.contains("chat_template")) return "";
  const nlohmann::json& t = config["chat_template"];
  if (t.is_null()) return "";
  if (t.is_string()) return t.get<std::string>();
  const std::string what = config_path.string() + ": chat_template";
  LLMKIT_CHECK_CODE(t.is_array() && !t.empty(), ErrorCode::kCorruptData, what,
                    " must be a string or a non-empty list of {name, template}");
  const nlohmann::json* chosen = nullptr;
  for (const nlohmann::json& entry : t) {
    LLMKIT_CHECK_CODE(
        entry.is_object() && entry.contains("template") && entry["template"].is_string(),
        ErrorCode::kCorruptData, what, " entries must be {name, template} objects");
    if (chosen == nullptr) chosen = &entry;
    if (entry.value("name", "") == "default") chosen = &entry;
  }
  return (*chosen)["template"].get<std::string>();
}

}  // namespace llmkit::models
