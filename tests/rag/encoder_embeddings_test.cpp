// EncoderEmbeddings (chain::Embeddings over infer::BertEncoder) on a random-weight BERT GGUF and
// the embeddings computed for it independently by tests/infer/bert_reference.py (numpy).
#include "llmkit/rag/encoder_embeddings.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "llmkit/base/error.h"

namespace llmkit::rag {
namespace {

TEST(EncoderEmbeddings, MatchesTheNumpyReference) {
  std::string dir = (std::filesystem::temp_directory_path() / "llmkit_rag_bert_XXXXXX").string();
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  const std::string cmd = std::string("/usr/bin/python3 '") + LLMKIT_SOURCE_DIR +
                          "/tests/infer/bert_reference.py' '" + dir + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd << " failed (needs python3-numpy)";
  std::ifstream in(dir + "/expected.json");
  const nlohmann::json m = nlohmann::json::parse(in)["wp_f32"];
  const auto texts = m["texts"].get<std::vector<std::string>>();

  infer::BertEncoderOptions options;
  options.n_threads = 2;
  const std::shared_ptr<const chain::Embeddings> e =
      EncoderEmbeddings::load(dir + "/wp_f32.gguf", options);
  EXPECT_EQ(e->dim(), 32);
  const std::vector<std::vector<float>> got = e->embed(texts);
  ASSERT_EQ(got.size(), texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    const auto want = m["embeddings"][i].get<std::vector<float>>();
    ASSERT_EQ(got[i].size(), want.size());
    double norm = 0.0;
    for (size_t j = 0; j < want.size(); ++j) {
      EXPECT_NEAR(got[i][j], want[j], 1e-4) << "text " << i << " component " << j;
      norm += static_cast<double>(got[i][j]) * got[i][j];
    }
    EXPECT_NEAR(norm, 1.0, 1e-5);
  }
  EXPECT_TRUE(e->embed({}).empty());
  EXPECT_EQ(static_cast<const EncoderEmbeddings&>(*e).name(), "bert:wp_f32.gguf:mean");

  infer::BertEncoderOptions none;
  none.pooling = infer::BertPooling::kNone;
  EXPECT_THROW(EncoderEmbeddings::load(dir + "/wp_f32.gguf", none), Error);
  EXPECT_THROW(EncoderEmbeddings(nullptr), Error);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace llmkit::rag
