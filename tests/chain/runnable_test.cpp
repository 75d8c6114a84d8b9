// The Runnable conformance suite applied to every composition runnable, plus the behaviour of
// the non-virtual invoke/batch wrappers: error naming, timeouts, cancellation, batch order.
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "llmkit/chain/branch.h"
#include "llmkit/chain/lambda.h"
#include "llmkit/chain/parallel.h"
#include "llmkit/chain/parsers.h"
#include "llmkit/chain/passthrough.h"
#include "llmkit/chain/retry.h"
#include "llmkit/chain/sequence.h"
#include "tests/chain/chain_test_util.h"
#include "tests/chain/runnable_conformance.h"

namespace llmkit::chain {
namespace {

using testing::check_runnable_conformance;
using testing::ConformanceCase;
using testing::make_length;
using testing::make_upper;

using S = std::string;

TEST(RunnableConformance, Lambda) {
  RunnablePtr<S, S> r = make_upper();
  check_runnable_conformance<S, S>(r, {"abc", S("fail")});
}

TEST(RunnableConformance, StreamingLambda) {
  RunnablePtr<S, S> r = make_streaming_lambda<S, S>(
      [](const S& in, const std::function<void(const S&)>& emit, RunContext&) {
        if (in == "fail") throw Error(ErrorCode::kNotFound, "no such thing");
        for (char ch : in) emit(S(1, ch));
        return in;
      },
      "spell");
  check_runnable_conformance<S, S>(r, {"word", S("fail")});
}

TEST(RunnableConformance, SequenceWithConversion) {
  // string -> string -> int -> (long) -> string: four runs and an implicit int -> long step.
  auto describe = make_lambda<long, S>([](long n) { return "n=" + std::to_string(n); }, "describe");
  auto seq = make_upper() | make_length() | describe;
  static_assert(std::is_same_v<decltype(seq), RunnablePtr<S, S>>);
  EXPECT_EQ(seq->invoke("hello"), "n=5");
  check_runnable_conformance<S, S>(seq, {"hello", S("fail"), 3});
}

TEST(RunnableConformance, Parallel) {
  RunnablePtr<S, JsonMap> r = make_parallel<S>({{"up", make_upper()}, {"len", make_length()}});
  EXPECT_EQ(r->invoke("ab"), (JsonMap{{"up", "AB"}, {"len", 2}}));
  check_runnable_conformance<S, JsonMap>(r, {"ab", S("fail"), 2});
}

TEST(RunnableConformance, FanOutToStruct) {
  struct Summary {
    S up;
    int len;
    bool operator==(const Summary&) const = default;
  };
  RunnablePtr<S, Summary> r = make_fan_out(
      [](const S& up, const int& len) {
        return Summary{up, len};
      },
      make_upper(), make_length());
  EXPECT_EQ(r->invoke("abc"), (Summary{"ABC", 3}));
  check_runnable_conformance<S, Summary>(r, {"abc", S("fail"), 2});
}

TEST(RunnableConformance, Branch) {
  auto digits = make_lambda<S, S>([](const S& s) { return "digits:" + s; }, "digits");
  RunnablePtr<S, S> r = make_branch<S, S>(
      {{[](const S& s) { return !s.empty() && std::isdigit(static_cast<unsigned char>(s[0])); },
        digits}},
      make_upper());
  EXPECT_EQ(r->invoke("42"), "digits:42");
  EXPECT_EQ(r->invoke("ab"), "AB");
  check_runnable_conformance<S, S>(r, {"42", S("fail"), 1});
  check_runnable_conformance<S, S>(r, {"xy", S("fail"), 1});
}

TEST(RunnableConformance, Retry) {
  RetryPolicy policy;
  policy.sleep = [](std::chrono::milliseconds) {};
  RunnablePtr<S, S> r = with_retry(make_upper(), policy);
  check_runnable_conformance<S, S>(r, {"abc", S("fail"), 1});
}

TEST(RunnableConformance, Fallbacks) {
  auto broken = make_lambda<S, S>(
      [](const S&) -> S { throw Error(ErrorCode::kIo, "service unavailable"); }, "broken");
  RunnablePtr<S, S> r = with_fallbacks(broken, {make_upper()});
  EXPECT_EQ(r->invoke("abc"), "ABC");
  check_runnable_conformance<S, S>(r, {"abc", S("fail"), 2});
}

TEST(RunnableConformance, PassthroughAndAssign) {
  check_runnable_conformance<S, S>(make_passthrough<S>(), {"as is"});
  auto keys = make_lambda<nlohmann::json, nlohmann::json>(
      [](const nlohmann::json& j) { return static_cast<int>(j.size()); }, "count_keys");
  RunnablePtr<nlohmann::json, nlohmann::json> assign = make_assign({{"n", keys}});
  EXPECT_EQ(assign->invoke({{"a", 1}}), (nlohmann::json{{"a", 1}, {"n", 1}}));
  // An array is not an object: the assign fails, naming itself.
  check_runnable_conformance<nlohmann::json, nlohmann::json>(
      assign, {nlohmann::json{{"a", 1}, {"b", 2}}, nlohmann::json::array({1}), 1});
}

TEST(RunnableConformance, Parsers) {
  check_runnable_conformance<S, S>(make_string_parser<S>(), {"text"});
  RunnablePtr<S, std::vector<S>> list = make_list_parser();
  check_runnable_conformance<S, std::vector<S>>(list, {"a, b ,c", S(" , ")});
  check_runnable_conformance<S, std::vector<S>>(
      make_list_parser(ListStreamParser::Style::kNumbered), {"1. x\nnote\n2) y", S("none")});
}

// The suite itself must catch a broken implementation: chunks that disagree with invoke.
class DisagreeingStream : public Runnable<S, S> {
 public:
  std::string name() const override { return "disagreeing"; }

 protected:
  S invoke_impl(const S& input, RunContext&) const override { return input; }
  S stream_impl(const S& input, const ChunkFn& on_chunk, RunContext&) const override {
    on_chunk(input + "?");
    return input;
  }
};

void check_disagreeing() {
  check_runnable_conformance<S, S>(std::make_shared<const DisagreeingStream>(),
                                   ConformanceCase<S, S>("x"));
}

TEST(RunnableConformance, CatchesChunksThatDisagreeWithInvoke) {
  ::testing::TestPartResultArray failures;
  {
    ::testing::ScopedFakeTestPartResultReporter reporter(
        ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &failures);
    check_disagreeing();
  }
  std::string messages;
  for (int i = 0; i < failures.size(); ++i) messages += failures.GetTestPartResult(i).message();
  EXPECT_NE(messages.find("stream chunks do not combine to the output"), std::string::npos)
      << messages;
  EXPECT_NE(messages.find("transform chunks do not combine to the output"), std::string::npos);
}

TEST(Runnable, ErrorsNameTheRunnablePath) {
  auto seq = make_upper() | make_length();
  try {
    seq->invoke("fail");
    FAIL() << "no throw";
  } catch (const RunnableError& e) {
    EXPECT_EQ(std::string(e.what()), "RunnableSequence: upper: boom");
    EXPECT_EQ(e.runnable(), "RunnableSequence");
    EXPECT_EQ(e.root_message(), "boom");
    EXPECT_EQ(e.code(), ErrorCode::kInternal);  // not an llmkit::Error at the source
    EXPECT_THROW(std::rethrow_exception(e.cause()), std::runtime_error);
  }
  auto missing = make_lambda<S, S>(
      [](const S&) -> S { throw Error(ErrorCode::kNotFound, "no file x"); }, "load");
  try {
    missing->invoke("", testing::named("loader"));
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);  // the code survives the wrapping
    EXPECT_EQ(std::string(e.what()), "loader: no file x");
  }
}

TEST(Runnable, TimeoutAfterASlowImplementationThatNeverChecks) {
  auto slow = make_lambda<S, S>(
      [](const S& s) {
        std::this_thread::sleep_for(std::chrono::milliseconds(60));
        return s;
      },
      "slow");
  RunConfig config;
  config.timeout = std::chrono::milliseconds(10);
  try {
    slow->invoke("x", config);
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCancelled);
    EXPECT_NE(std::string(e.what()).find("slow: timed out after 10 ms"), std::string::npos)
        << e.what();
  }
  config.timeout = std::chrono::milliseconds(5000);
  EXPECT_EQ(slow->invoke("x", config), "x");
}

// An implementation polling ctx stops at the deadline of the enclosing run: the deadline is
// inherited by inner runs, not restarted.
TEST(Runnable, InnerRunsInheritTheDeadline) {
  std::atomic<int> polls{0};
  auto spin = make_lambda<S, S>(
      [&](const S& s, RunContext& ctx) {
        for (;;) {
          ctx.check_cancelled();
          ++polls;
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        return s;
      },
      "spin");
  auto seq = make_upper() | spin;
  RunConfig config;
  config.timeout = std::chrono::milliseconds(40);
  auto t0 = std::chrono::steady_clock::now();
  try {
    seq->invoke("x", config);
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCancelled);
    EXPECT_NE(std::string(e.what()).find("RunnableSequence: spin: timed out"), std::string::npos)
        << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  EXPECT_GT(polls.load(), 0);
}

TEST(Runnable, CancellationFromAnotherThreadStopsAPollingRun) {
  auto cancel = std::make_shared<std::atomic<bool>>(false);
  std::atomic<bool> running{false};
  auto spin = make_lambda<S, S>(
      [&](const S& s, RunContext& ctx) {
        for (;;) {
          running = true;
          ctx.check_cancelled();
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        return s;
      },
      "spin");
  std::thread canceller([&] {
    while (!running) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    *cancel = true;
  });
  RunConfig config;
  config.cancel = cancel;
  try {
    spin->invoke("x", config);
    ADD_FAILURE() << "no throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCancelled);
    EXPECT_NE(std::string(e.what()).find("spin: cancelled"), std::string::npos) << e.what();
  }
  canceller.join();
}

TEST(Runnable, BatchKeepsOrderReportsPerItemErrorsAndBoundsConcurrency) {
  std::atomic<int> active{0}, peak{0};
  auto work = make_lambda<int, int>(
      [&](const int& i) {
        int now = ++active;
        int seen = peak.load();
        while (now > seen && !peak.compare_exchange_weak(seen, now)) {
        }
        // Later items finish sooner, so completion order differs from input order.
        std::this_thread::sleep_for(std::chrono::milliseconds(2 * (20 - i)));
        --active;
        if (i % 7 == 0) throw std::runtime_error("item " + std::to_string(i) + " is bad");
        return i * i;
      },
      "square");
  std::vector<int> inputs;
  for (int i = 0; i < 20; ++i) inputs.push_back(i);
  auto results = work->batch(inputs, testing::concurrent(3));
  ASSERT_EQ(results.size(), 20u);
  for (int i = 0; i < 20; ++i) {
    if (i % 7 == 0) {
      EXPECT_FALSE(results[i].ok());
      EXPECT_EQ(results[i].error, "square: item " + std::to_string(i) + " is bad");
    } else {
      ASSERT_TRUE(results[i].ok()) << results[i].error;
      EXPECT_EQ(*results[i].value, i * i);
    }
  }
  EXPECT_LE(peak.load(), 3);
  EXPECT_GE(peak.load(), 2);
}

TEST(Runnable, TokenCountsAddUpThroughInnerRuns) {
  auto model = make_lambda<S, S>(
      [](const S& s, RunContext& ctx) {
        ctx.add_tokens(static_cast<int64_t>(s.size()), 5);
        return s + "!";
      },
      "model");
  auto rec = std::make_shared<RecordingHandler>();
  (model | model)->invoke("abc", testing::traced(rec));
  std::map<std::string, TokenUsage> by_run;
  std::string root;
  for (const auto& e : rec->events()) {
    if (e.kind == RunEvent::Kind::kEnd) by_run[e.run_id] = e.tokens;
    if (e.parent_run_id.empty()) root = e.run_id;
  }
  ASSERT_EQ(by_run.size(), 3u);
  EXPECT_EQ(by_run[root].prompt, 3 + 4);
  EXPECT_EQ(by_run[root].completion, 10);
  int inner = 0;
  for (auto& [id, t] : by_run) {
    if (id == root) continue;
    EXPECT_EQ(t.completion, 5);
    ++inner;
  }
  EXPECT_EQ(inner, 2);
}

TEST(Runnable, AFailingCallbackHandlerDoesNotBreakTheRun) {
  struct Throwing : CallbackHandler {
    void on_start(const RunEvent&) override { throw std::runtime_error("handler bug"); }
  };
  EXPECT_EQ(make_upper()->invoke("a", testing::traced(std::make_shared<Throwing>())), "A");
}

}  // namespace
}  // namespace llmkit::chain
