// ops::index_select / index_add / concat / stack / one_hot against element-by-element loops.
#include "llmkit/ops/index.h"

#include <gtest/gtest.h>

#include "llmkit/base/context.h"
#include "llmkit/tensor/creation.h"
#include "llmkit/tensor/view.h"

namespace llmkit {
namespace {

class IndexTest : public ::testing::Test {
 protected:
  Tensor rnd(const Shape& s) { return randn(s, gen_); }
  Generator gen_{3};
};

ErrorCode code_of(const std::function<void()>& fn, std::string* message = nullptr) {
  try {
    fn();
  } catch (const Error& e) {
    if (message) *message = e.what();
    return e.code();
  }
  ADD_FAILURE() << "no Error thrown";
  return ErrorCode::kInternal;
}

TEST_F(IndexTest, SelectRowsAlongFirstAxis) {
  Tensor x = rnd({5, 3});
  Tensor y = ops::index_select(x, 0, from_ints({2, 0, 2, 4}, {4}));
  ASSERT_EQ(y.shape(), (Shape{4, 3}));
  const int rows[] = {2, 0, 2, 4};
  for (int64_t i = 0; i < 4; ++i) {
    for (int64_t c = 0; c < 3; ++c) EXPECT_EQ(y.at({i, c}), x.at({rows[i], c}));
  }
}

TEST_F(IndexTest, SelectInnerAxisWithIndexShape) {
  Tensor x = rnd({2, 4, 3});
  Tensor idx = from_ints({3, 1, 1, 0}, {2, 2});
  for (Tensor src : {x, ops::contiguous(ops::transpose(ops::transpose(x, 0, 2), 0, 2)),
                     ops::permute(ops::contiguous(ops::permute(x, {2, 0, 1})), {1, 2, 0})}) {
    Tensor y = ops::index_select(src, 1, idx);
    ASSERT_EQ(y.shape(), (Shape{2, 2, 2, 3}));
    for (int64_t b = 0; b < 2; ++b) {
      for (int64_t i = 0; i < 2; ++i) {
        for (int64_t j = 0; j < 2; ++j) {
          int64_t row = static_cast<int64_t>(idx.at({i, j}));
          for (int64_t c = 0; c < 3; ++c) EXPECT_EQ(y.at({b, i, j, c}), x.at({b, row, c}));
        }
      }
    }
  }
  Tensor last = ops::index_select(x, -1, from_ints({2, 2}, {2}));
  ASSERT_EQ(last.shape(), (Shape{2, 4, 2}));
  EXPECT_EQ(last.at({1, 3, 1}), x.at({1, 3, 2}));
}

TEST_F(IndexTest, EmbeddingLookupKeepsDtype) {
  Tensor table = ops::to_dtype(rnd({6, 4}), DType::kBF16);
  Tensor ids = from_ints({5, 0, 3, 3, 1, 2}, {2, 3});
  Tensor e = ops::index_select(table, 0, ids);
  ASSERT_EQ(e.shape(), (Shape{2, 3, 4}));
  EXPECT_EQ(e.dtype(), DType::kBF16);
  EXPECT_EQ(e.at({1, 0, 2}), table.at({3, 2}));
  Tensor ints = from_ints({10, 11, 12, 13}, {4});
  EXPECT_EQ(ops::index_select(ints, 0, from_ints({3, 0}, {2})).to_int_vector(),
            (std::vector<int32_t>{13, 10}));
}

TEST_F(IndexTest, BadIndicesThrowOutOfRangeNamingTheIndex) {
  Tensor x = rnd({5, 3});
  std::string msg;
  EXPECT_EQ(code_of(
                [&] {
                  ops::index_select(x, 0, from_ints({1, 5}, {2}));
                },
                &msg),
            ErrorCode::kOutOfRange);
  EXPECT_NE(msg.find("index 5"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[0, 5)"), std::string::npos) << msg;
  EXPECT_EQ(code_of([&] { ops::index_select(x, 1, from_ints({-1}, {1})); }),
            ErrorCode::kOutOfRange);
  EXPECT_EQ(code_of([&] {
              ops::index_add({5, 3}, 0, from_ints({7}, {1}), rnd({1, 3}));
            }),
            ErrorCode::kOutOfRange);
  EXPECT_EQ(code_of([&] { ops::one_hot(from_ints({0, 4}, {2}), 4); }), ErrorCode::kOutOfRange);
  EXPECT_THROW(ops::index_select(x, 0, from_vector({1.0f}, {1})), Error);  // f32 indices
  EXPECT_THROW(ops::index_select(x, 2, from_ints({0}, {1})), Error);       // bad axis
}

TEST_F(IndexTest, IndexAddAccumulatesRepeatedIndices) {
  Tensor idx = from_ints({1, 3, 1, 1}, {4});
  Tensor src = rnd({2, 4, 3});
  Tensor out = ops::index_add({2, 5, 3}, 1, idx, src);
  ASSERT_EQ(out.shape(), (Shape{2, 5, 3}));
  std::vector<double> ref(30, 0.0);
  const int rows[] = {1, 3, 1, 1};
  for (int64_t b = 0; b < 2; ++b) {
    for (int64_t k = 0; k < 4; ++k) {
      for (int64_t c = 0; c < 3; ++c) ref[(b * 5 + rows[k]) * 3 + c] += src.at({b, k, c});
    }
  }
  std::vector<float> v = out.to_vector();
  for (size_t i = 0; i < v.size(); ++i) EXPECT_NEAR(v[i], ref[i], 1e-6) << i;
  EXPECT_THROW(ops::index_add({2, 5, 3}, 1, idx, rnd({2, 3, 3})), Error);
}

// <index_select(x, idx), s> == <x, index_add(shape(x), idx, s)>: index_add is the adjoint.
TEST_F(IndexTest, IndexAddIsTheAdjointOfIndexSelect) {
  Tensor x = rnd({3, 3, 70});  // 70 inner columns span several 64-wide tasks of index_add
  Tensor idx = from_ints({0, 2, 2, 1, 0}, {5});
  for (int64_t axis : {0, 1}) {
    Tensor sel = ops::index_select(x, axis, idx);
    Tensor s = rnd(sel.shape());
    Tensor back = ops::index_add(x.shape(), axis, idx, s);
    std::vector<float> a = sel.to_vector(), sv = s.to_vector(), xv = x.to_vector(),
                       bv = back.to_vector();
    double lhs = 0, rhs = 0;
    for (size_t i = 0; i < a.size(); ++i) lhs += static_cast<double>(a[i]) * sv[i];
    for (size_t i = 0; i < xv.size(); ++i) rhs += static_cast<double>(xv[i]) * bv[i];
    EXPECT_NEAR(lhs, rhs, 1e-3) << "axis " << axis;
  }
}

TEST_F(IndexTest, IndexAddIsDeterministicAcrossThreads) {
  Tensor ids = from_ints(std::vector<int32_t>(200, 3), {200});
  Tensor src = rnd({200, 130});
  std::vector<float> one = ops::index_add({7, 130}, 0, ids, src).to_vector();
  Context ctx(2);
  Context::Scope scope(ctx);
  EXPECT_EQ(ops::index_add({7, 130}, 0, ids, src).to_vector(), one);
}

TEST_F(IndexTest, ConcatAnyAxis) {
  Tensor a = rnd({2, 3, 4}), b = rnd({2, 1, 4}), c = rnd({2, 2, 4});
  Tensor y = ops::concat({a, b, c}, 1);
  ASSERT_EQ(y.shape(), (Shape{2, 6, 4}));
  for (int64_t i = 0; i < 2; ++i) {
    for (int64_t k = 0; k < 4; ++k) {
      for (int64_t j = 0; j < 3; ++j) EXPECT_EQ(y.at({i, j, k}), a.at({i, j, k}));
      EXPECT_EQ(y.at({i, 3, k}), b.at({i, 0, k}));
      for (int64_t j = 0; j < 2; ++j) EXPECT_EQ(y.at({i, 4 + j, k}), c.at({i, j, k}));
    }
  }
  Tensor t = ops::transpose(rnd({4, 2}), 0, 1);  // [2, 4] non-contiguous
  Tensor z = ops::concat({t, rnd({0, 4}), t}, 0);
  ASSERT_EQ(z.shape(), (Shape{4, 4}));
  EXPECT_EQ(z.at({3, 1}), t.at({1, 1}));
  Tensor last = ops::concat({t, rnd({2, 1})}, -1);
  EXPECT_EQ(last.at({1, 2}), t.at({1, 2}));
  Tensor h = ops::concat({ops::to_dtype(t, DType::kF16), ops::to_dtype(t, DType::kF16)}, 1);
  EXPECT_EQ(h.dtype(), DType::kF16);
  EXPECT_EQ(h.at({1, 6}), ops::to_dtype(t, DType::kF16).at({1, 2}));
}

TEST_F(IndexTest, ConcatChecksShapesAndDtypes) {
  EXPECT_THROW(ops::concat({}, 0), Error);
  EXPECT_THROW(ops::concat({rnd({2, 3}), rnd({3, 3})}, 1), Error);
  EXPECT_THROW(ops::concat({rnd({2, 3}), rnd({2, 3, 1})}, 0), Error);
  EXPECT_THROW(ops::concat({rnd({2, 3}), ops::to_dtype(rnd({2, 3}), DType::kF16)}, 0), Error);
  EXPECT_THROW(ops::concat({rnd({2, 3})}, 2), Error);
  EXPECT_THROW(ops::concat({scalar(1.0f)}, 0), Error);
}

TEST_F(IndexTest, StackInsertsAnAxis) {
  Tensor a = rnd({2, 3}), b = rnd({2, 3});
  for (int64_t axis : {0, 1, 2, -1}) {
    Tensor y = ops::stack({a, b}, axis);
    int64_t ax = axis < 0 ? 2 : axis;
    Shape want{2, 3};
    want.insert(want.begin() + ax, 2);
    ASSERT_EQ(y.shape(), want);
    for (int64_t s = 0; s < 2; ++s) {
      for (int64_t i = 0; i < 2; ++i) {
        for (int64_t j = 0; j < 3; ++j) {
          std::vector<int64_t> at{i, j};
          at.insert(at.begin() + ax, s);
          EXPECT_EQ(y.at(at), (s == 0 ? a : b).at({i, j}));
        }
      }
    }
  }
  EXPECT_EQ(ops::stack({scalar(1.0f), scalar(2.0f)}, 0).to_vector(),
            (std::vector<float>{1.0f, 2.0f}));
  EXPECT_THROW(ops::stack({a, rnd({3, 2})}, 0), Error);
  EXPECT_THROW(ops::stack({a, b}, 3), Error);
}

TEST_F(IndexTest, OneHot) {
  Tensor y = ops::one_hot(from_ints({2, 0, 1, 2}, {2, 2}), 3);
  ASSERT_EQ(y.shape(), (Shape{2, 2, 3}));
  EXPECT_EQ(y.dtype(), DType::kF32);
  EXPECT_EQ(y.to_vector(), (std::vector<float>{0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1}));
  EXPECT_THROW(ops::one_hot(from_ints({0}, {1}), 0), Error);
  EXPECT_THROW(ops::one_hot(from_vector({0.0f}, {1}), 2), Error);
}

}  // namespace
}  // namespace llmkit
