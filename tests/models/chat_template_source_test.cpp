// Where the chat template comes from: GGUF metadata written by GgufWriter and read back, and
// model folders with chat_template.jinja or tokenizer_config.json (string or named list).
#include "llmkit/models/chat_template_source.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "llmkit/base/error.h"
#include "tests/tokenizer/tokenizer_test_util.h"

namespace llmkit::models {
namespace {
using tokenizer::testing::TempDir;

void write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

TEST(ChatTemplateSource, GgufMetadataRoundTrip) {
  TempDir dir;
  const std::string with = dir.file("with.gguf"), without = dir.file("without.gguf");
  const std::string source = "{% for m in messages %}{{ m['content'] }}\n{% endfor %}";
  io::GgufWriter w;
  w.set("general.architecture", io::GgufValue::string("llama"));
  w.write(without);
  w.set("tokenizer.chat_template", io::GgufValue::string(source));
  w.write(with);
  EXPECT_EQ(chat_template_from_gguf(io::GgufFile(with)), source);
  EXPECT_EQ(chat_template_from_gguf(io::GgufFile(without)), "");
}

TEST(ChatTemplateSource, FolderSources) {
  TempDir dir;
  const std::string folder = dir.file("");
  EXPECT_EQ(chat_template_from_folder(folder), "");
  write(dir.file("tokenizer_config.json"), R"({"bos_token": "<s>"})");
  EXPECT_EQ(chat_template_from_folder(folder), "");
  write(dir.file("tokenizer_config.json"), R"({"chat_template": "A{{ x }}"})");
  EXPECT_EQ(chat_template_from_folder(folder), "A{{ x }}");
  write(dir.file("tokenizer_config.json"),
        R"({"chat_template": [{"name": "tool_use", "template": "T"},
                               {"name": "default", "template": "D"}]})");
  EXPECT_EQ(chat_template_from_folder(folder), "D");
  write(dir.file("tokenizer_config.json"),
        R"({"chat_template": [{"name": "rag", "template": "R"}]})");
  EXPECT_EQ(chat_template_from_folder(folder), "R");
  // chat_template.jinja wins over tokenizer_config.json (newer transformers save it so).
  write(dir.file("chat_template.jinja"), "J\n");
  EXPECT_EQ(chat_template_from_folder(folder), "J\n");
}

TEST(ChatTemplateSource, BadConfigsNameTheFile) {
  TempDir dir;
  const std::string folder = dir.file("");
  write(dir.file("tokenizer_config.json"), "{not json");
  try {
    chat_template_from_folder(folder);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorruptData);
    EXPECT_NE(std::string(e.what()).find("tokenizer_config.json"), std::string::npos);
  }
  write(dir.file("tokenizer_config.json"), R"({"chat_template": 7})");
  EXPECT_THROW(chat_template_from_folder(folder), Error);
  write(dir.file("tokenizer_config.json"), R"({"chat_template": [{"name": "x"}]})");
  EXPECT_THROW(chat_template_from_folder(folder), Error);
}

}  // namespace
}  // namespace llmkit::models
