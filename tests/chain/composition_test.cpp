// Composition semantics: sequence flattening, parallel concurrency and errors, assign, branch
// routing order, retry counts and backoff (injected sleep), fallback order.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "llmkit/chain/branch.h"
#include "llmkit/chain/lambda.h"
#include "llmkit/chain/parallel.h"
#include "llmkit/chain/passthrough.h"
#include "llmkit/chain/retry.h"
#include "llmkit/chain/sequence.h"
#include "tests/chain/chain_test_util.h"

namespace llmkit::chain {
namespace {

using S = std::string;
using ms = std::chrono::milliseconds;

auto tag(S name) {
  return make_lambda<S, S>([name](const S& s) { return s + "|" + name; }, name);
}

TEST(Sequence, FlattensNestedSequencesIntoOneRun) {
  auto left = tag("a") | tag("b");
  auto right = tag("c") | tag("d");
  auto all = left | right;
  EXPECT_EQ(all->invoke("x"), "x|a|b|c|d");
  auto seq = std::dynamic_pointer_cast<const RunnableSequence<S, S>>(all);
  ASSERT_NE(seq, nullptr);
  EXPECT_EQ(seq->stage_names(), (std::vector<S>{"a", "b", "c", "d"}));
  auto rec = std::make_shared<RecordingHandler>();
  all->invoke("x", testing::traced(rec));
  auto events = rec->events();
  ASSERT_EQ(events.size(), 10u);
  for (size_t i = 1; i + 1 < events.size(); ++i) {
    EXPECT_EQ(events[i].parent_run_id, events[0].run_id) << events[i].name;
  }
}

TEST(Sequence, ConvertsBetweenStagesWhereTheTypesDiffer) {
  auto count = make_lambda<S, int>([](const S& s) { return static_cast<int>(s.size()); }, "count");
  auto twice = make_lambda<double, double>([](double v) { return v * 2; }, "twice");
  auto seq = count | twice;
  EXPECT_EQ(seq->invoke("abc"), 6.0);
  auto stages = std::dynamic_pointer_cast<const RunnableSequence<S, double>>(seq)->stage_names();
  EXPECT_EQ(stages, (std::vector<S>{"count", "convert", "twice"}));
}

// Two branches that each wait for the other: only a concurrent run completes in time.
TEST(Parallel, RunsBranchesConcurrently) {
  std::mutex m;
  std::condition_variable cv;
  int arrived = 0;
  auto meet = [&](S name) {
    return make_lambda<S, bool>(
        [&, name](const S&) {
          std::unique_lock<std::mutex> lock(m);
          ++arrived;
          cv.notify_all();
          return cv.wait_for(lock, std::chrono::seconds(10), [&] { return arrived >= 2; });
        },
        name);
  };
  auto par = make_parallel<S>({{"x", meet("x")}, {"y", meet("y")}});
  JsonMap out = par->invoke("go", testing::concurrent(2));
  EXPECT_EQ(out, (JsonMap{{"x", true}, {"y", true}}));
}

TEST(Parallel, ReportsTheFirstFailingBranchInDeclarationOrder) {
  auto fail_slow = make_lambda<S, S>(
      [](const S&) -> S {
        std::this_thread::sleep_for(ms(30));
        throw std::runtime_error("slow failure");
      },
      "slow");
  auto fail_fast =
      make_lambda<S, S>([](const S&) -> S { throw std::runtime_error("fast failure"); }, "fast");
  auto par = make_parallel<S>({{"a", fail_slow}, {"b", fail_fast}});
  try {
    par->invoke("x", testing::concurrent(2));
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "RunnableParallel: slow: slow failure");
  }
  EXPECT_THROW(make_parallel<S>({{"a", tag("a")}, {"a", tag("b")}}), Error);  // duplicate key
}

TEST(Parallel, CombinesIntoAStruct) {
  struct Stats {
    int length;
    S upper;
  };
  auto par = make_parallel<S>({{"len", testing::make_length()}, {"up", testing::make_upper()}},
                              [](JsonMap m) {
                                return Stats{m["len"].get<int>(), m["up"]};
                              });
  Stats s = par->invoke("abc");
  EXPECT_EQ(s.length, 3);
  EXPECT_EQ(s.upper, "ABC");
}

TEST(Assign, AddsComputedKeysAndRejectsNonObjects) {
  auto question = make_lambda<nlohmann::json, S>(
      [](const nlohmann::json& j) { return j.at("topic").get<S>() + "?"; }, "question");
  auto chars = make_lambda<nlohmann::json, int>(
      [](const nlohmann::json& j) { return static_cast<int>(j.at("topic").get<S>().size()); },
      "chars");
  auto assign = make_assign({{"question", question}, {"topic", chars}});
  nlohmann::json out = assign->invoke({{"topic", "cats"}, {"keep", 1}});
  // "topic" is overwritten by its computed value; other keys stay.
  EXPECT_EQ(out, (nlohmann::json{{"topic", 4}, {"keep", 1}, {"question", "cats?"}}));
  try {
    assign->invoke("not an object");
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("RunnableAssign: the input must be a JSON object"),
              std::string::npos);
  }
}

TEST(Branch, FirstMatchingCaseWinsElseTheDefault) {
  auto branch =
      make_branch<int, S>({{[](const int& n) { return n % 2 == 0; },
                            make_lambda<int, S>([](int) { return S("even"); }, "even")},
                           {[](const int& n) { return n % 3 == 0; },
                            make_lambda<int, S>([](int) { return S("three"); }, "three")}},
                          make_lambda<int, S>([](int) { return S("other"); }, "other"));
  EXPECT_EQ(branch->invoke(6), "even");  // both match: the first case
  EXPECT_EQ(branch->invoke(9), "three");
  EXPECT_EQ(branch->invoke(7), "other");
  auto rec = std::make_shared<RecordingHandler>();
  branch->invoke(9, testing::traced(rec));
  ASSERT_EQ(rec->events().size(), 4u);
  EXPECT_EQ(rec->events()[1].name, "three");
}

// Fails the first `failures` calls with the given code, then succeeds.
struct Flaky {
  int failures;
  ErrorCode code = ErrorCode::kIo;
  std::shared_ptr<std::atomic<int>> calls = std::make_shared<std::atomic<int>>(0);
  RunnablePtr<S, S> runnable() const {
    return make_lambda<S, S>(
        [*this](const S& s) {
          int n = ++*calls;
          if (n <= failures) throw Error(code, "failure " + std::to_string(n));
          return s + "!";
        },
        "flaky");
  }
};

TEST(Retry, BacksOffExponentiallyUntilSuccess) {
  Flaky flaky{4};
  std::vector<ms> sleeps;
  RetryPolicy policy;
  policy.max_attempts = 5;
  policy.initial_delay = ms(100);
  policy.multiplier = 2.0;
  policy.max_delay = ms(1000);
  policy.sleep = [&](ms d) { sleeps.push_back(d); };
  auto rec = std::make_shared<RecordingHandler>();
  EXPECT_EQ(with_retry(flaky.runnable(), policy)->invoke("x", testing::traced(rec)), "x!");
  EXPECT_EQ(flaky.calls->load(), 5);
  EXPECT_EQ(sleeps, (std::vector<ms>{ms(100), ms(200), ms(400), ms(800)}));
  // One inner run per attempt, numbered in the metadata; the failed ones end in error events.
  std::vector<int> attempts;
  int errors = 0;
  for (const auto& e : rec->events()) {
    if (e.kind == RunEvent::Kind::kStart && !e.parent_run_id.empty()) {
      attempts.push_back(e.metadata.at("retry_attempt"));
    }
    if (e.kind == RunEvent::Kind::kError) ++errors;
  }
  EXPECT_EQ(attempts, (std::vector<int>{1, 2, 3, 4, 5}));
  EXPECT_EQ(errors, 4);
}

TEST(Retry, DelaysAreCappedAndAttemptsLimited) {
  Flaky flaky{10};
  std::vector<ms> sleeps;
  RetryPolicy policy;
  policy.max_attempts = 4;
  policy.initial_delay = ms(100);
  policy.multiplier = 10.0;
  policy.max_delay = ms(500);
  policy.sleep = [&](ms d) { sleeps.push_back(d); };
  try {
    with_retry(flaky.runnable(), policy)->invoke("x");
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kIo);
    EXPECT_EQ(std::string(e.what()),
              "retry(flaky): failed after 4 attempts; last error: flaky: failure 4");
  }
  EXPECT_EQ(flaky.calls->load(), 4);
  EXPECT_EQ(sleeps, (std::vector<ms>{ms(100), ms(500), ms(500)}));
  EXPECT_EQ(retry_delay(policy, 1), ms(100));
  EXPECT_EQ(retry_delay(policy, 2), ms(500));
}

TEST(Retry, OnlyChosenErrorsAreRetried) {
  Flaky bad_input{1, ErrorCode::kInvalidArgument};
  RetryPolicy policy;
  policy.sleep = [](ms) {};
  policy.retry_if = [](const Error& e) { return e.code() == ErrorCode::kIo; };
  try {
    with_retry(bad_input.runnable(), policy)->invoke("x");
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "retry(flaky): flaky: failure 1");
  }
  EXPECT_EQ(bad_input.calls->load(), 1);
  Flaky io{1, ErrorCode::kIo};
  EXPECT_EQ(with_retry(io.runnable(), policy)->invoke("x"), "x!");
  EXPECT_EQ(io.calls->load(), 2);
}

TEST(Retry, CancellationIsNotRetriedAndStopsTheDefaultSleep) {
  Flaky cancelled{1, ErrorCode::kCancelled};
  RetryPolicy policy;
  policy.sleep = [](ms) {};
  EXPECT_THROW(with_retry(cancelled.runnable(), policy)->invoke("x"), Error);
  EXPECT_EQ(cancelled.calls->load(), 1);
  // The default sleep gives up at the run's deadline instead of sleeping 10 s.
  Flaky always{100};
  RetryPolicy slow;
  slow.initial_delay = ms(10000);
  auto t0 = std::chrono::steady_clock::now();
  try {
    with_retry(always.runnable(), slow)->invoke("x", testing::timeout_of(ms(50)));
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCancelled);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  EXPECT_EQ(always.calls->load(), 1);
}

TEST(Fallbacks, TriesAlternativesInOrder) {
  std::vector<S> calls;
  auto make = [&](S name, bool ok) {
    return make_lambda<S, S>(
        [&calls, name, ok](const S& s) -> S {
          calls.push_back(name);
          if (!ok) throw Error(ErrorCode::kIo, name + " down");
          return name + ":" + s;
        },
        name);
  };
  auto fb = with_fallbacks(make("primary", false),
                           {make("second", false), make("third", true), make("fourth", true)});
  EXPECT_EQ(fb->invoke("q"), "third:q");
  EXPECT_EQ(calls, (std::vector<S>{"primary", "second", "third"}));
  calls.clear();
  auto none = with_fallbacks(make("primary", false), {make("second", false)});
  try {
    none->invoke("q");
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "fallbacks(primary): all 2 alternatives failed: [0] primary: primary down; [1] "
              "second: second down");
  }
  calls.clear();
  auto picky = with_fallbacks(make("primary", false), {make("second", true)},
                              [](const Error& e) { return e.code() == ErrorCode::kNotFound; });
  EXPECT_THROW(picky->invoke("q"), Error);
  EXPECT_EQ(calls, (std::vector<S>{"primary"}));
}

}  // namespace
}  // namespace llmkit::chain
