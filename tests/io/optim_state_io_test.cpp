// Optimizer state saved with save_safetensors and loaded back (zero-copy, read-only tensors) into a
// fresh optimizer continues bitwise identically.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "llmkit/io/safetensors.h"
#include "llmkit/optim/adamw.h"
#include "llmkit/optim/sgd.h"
#include "llmkit/tensor/creation.h"
#include "llmkit/tensor/view.h"

namespace llmkit {
namespace {

namespace fs = std::filesystem;

struct Params {
  Tensor w, b;
  std::vector<optim::ParamGroup> groups() const {
    std::vector<optim::ParamGroup> g(1);
    g[0].params = {{"blk.0.w", w}, {"blk.0.b", b}};
    g[0].weight_decay = 0.05f;
    return g;
  }
  void set_grads(int s) const {
    for (const Tensor* t : {&w, &b}) {
      std::vector<float> g(static_cast<size_t>(t->numel()));
      for (size_t i = 0; i < g.size(); ++i) g[i] = static_cast<float>(std::cos(0.3 * i + s));
      t->set_grad(from_vector(g, t->shape()));
    }
  }
};

Params make_params() {
  Generator gen(5);
  Params p{randn({5, 3}, gen), randn({3}, gen)};
  p.w.set_requires_grad(true);
  p.b.set_requires_grad(true);
  return p;
}

Params copy_params(const Params& src) {
  Params p{ops::clone(src.w), ops::clone(src.b)};
  p.w.set_requires_grad(true);
  p.b.set_requires_grad(true);
  return p;
}

template <typename Opt, typename Options>
void check_round_trip_through_file(const Options& options) {
  fs::path path =
      fs::temp_directory_path() /
      str_cat("llmkit_optim_state_", ::getpid(), "_",
              ::testing::UnitTest::GetInstance()->current_test_info()->name(), ".safetensors");
  Params pa = make_params();
  Opt a(pa.groups(), options);
  for (int s = 0; s < 3; ++s) {
    pa.set_grads(s);
    a.step();
  }
  io::save_safetensors(path.string(), a.state_dict(), {{"kind", a.kind()}});

  Params pb = copy_params(pa);
  Opt b(pb.groups(), options);
  {
    io::SafetensorsFile file(path.string());
    EXPECT_EQ(file.metadata().at("kind"), a.kind());
    b.load_state_dict(io::load_safetensors(path.string()));
  }
  fs::remove(path);
  EXPECT_EQ(b.step_count(), 3);
  for (int s = 3; s < 6; ++s) {
    pa.set_grads(s);
    pb.set_grads(s);
    a.step();
    b.step();
    EXPECT_EQ(pa.w.to_vector(), pb.w.to_vector()) << "step " << s;
    EXPECT_EQ(pa.b.to_vector(), pb.b.to_vector()) << "step " << s;
  }
  auto sa = a.state_dict(), sb = b.state_dict();
  ASSERT_EQ(sa.size(), sb.size());
  for (size_t i = 0; i < sa.size(); ++i) {
    EXPECT_EQ(sa[i].first, sb[i].first);
    EXPECT_EQ(sa[i].second.to_vector(), sb[i].second.to_vector()) << sa[i].first;
  }
}

TEST(OptimStateIo, AdamWThroughSafetensors) {
  check_round_trip_through_file<optim::AdamW>(optim::AdamWOptions{.lr = 0.02f});
}

TEST(OptimStateIo, SgdThroughSafetensors) {
  check_round_trip_through_file<optim::Sgd>(
      optim::SgdOptions{.lr = 0.05f, .momentum = 0.9f, .nesterov = true});
}

}  // namespace
}  // namespace llmkit
