// The Embeddings conformance checks every implementation passes: dim() matches the vectors,
// vectors are L2-normalised, embedding is deterministic, a batch equals the texts embedded one by
// one (order kept), and different texts get different vectors.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "llmkit/chain/chat_model.h"

namespace llmkit::chain::testing {

inline void check_embeddings_conformance(const Embeddings& embeddings, float tolerance = 1e-4f) {
  const std::vector<std::string> texts = {"the sea is blue", "a red apple", "the sea is blue!",
                                          "x"};
  const int dim = embeddings.dim();
  ASSERT_GT(dim, 0);
  const auto batch = embeddings.embed(texts);
  ASSERT_EQ(batch.size(), texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    ASSERT_EQ(static_cast<int>(batch[i].size()), dim) << texts[i];
    double norm = 0.0;
    for (float x : batch[i]) {
      EXPECT_TRUE(std::isfinite(x));
      norm += static_cast<double>(x) * x;
    }
    EXPECT_NEAR(std::sqrt(norm), 1.0, 1e-4) << texts[i];
    const auto single = embeddings.embed({texts[i]});
    ASSERT_EQ(single.size(), 1u);
    for (int c = 0; c < dim; ++c) EXPECT_NEAR(single[0][c], batch[i][c], tolerance) << texts[i];
  }
  EXPECT_EQ(embeddings.embed(texts), embeddings.embed(texts));
  EXPECT_NE(batch[0], batch[1]);
  EXPECT_NE(batch[0], batch[2]);
  EXPECT_TRUE(embeddings.embed({}).empty());
}

}  // namespace llmkit::chain::testing
