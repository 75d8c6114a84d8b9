// Streaming end to end: chunks reach the caller while the source is still producing, through a
// 4-stage chain with a parser at the end and through every wrapper. The scripted sources log
// when they emit, the consumer logs what it receives; the expected interleavings are written
// out from the scripts by hand.
#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "llmkit/chain/branch.h"
#include "llmkit/chain/lambda.h"
#include "llmkit/chain/parsers.h"
#include "llmkit/chain/passthrough.h"
#include "llmkit/chain/retry.h"
#include "llmkit/chain/sequence.h"
#include "llmkit/prompt/output_parser.h"
#include "tests/chain/chain_test_util.h"
#include "tests/chain/runnable_conformance.h"

namespace llmkit::chain {
namespace {

using S = std::string;
using Items = std::vector<S>;

// A model stand-in: emits the script's chunks in order, logging each emission first.
auto scripted_source(std::vector<S> script, std::vector<S>* log, std::string name = "source") {
  return make_streaming_lambda<S, S>(
      [script, log](const S&, const std::function<void(const S&)>& emit, RunContext&) {
        S all;
        for (const auto& chunk : script) {
          if (log) log->push_back("emit " + chunk);
          emit(chunk);
          all += chunk;
        }
        return all;
      },
      std::move(name));
}

const std::vector<S> kScript = {"apple, ba", "nana", ", cherry,", " date"};

TEST(Streaming, FourStageChainDeliversEachItemAsSoonAsItIsComplete) {
  std::vector<S> log;
  auto chain = scripted_source(kScript, &log) | make_passthrough<S>() | make_string_parser<S>() |
               make_list_parser();
  Items result = chain->stream("question", [&](const Items& items) {
    for (const auto& item : items) log.push_back("item " + item);
  });
  const std::vector<S> expected = {"emit apple, ba", "item apple",  "emit nana",  "emit , cherry,",
                                   "item banana",    "item cherry", "emit  date", "item date"};
  EXPECT_EQ(log, expected);
  // The same items as the whole-text parser of the prompt layer finds.
  Items reference = prompt::ListOutputParser().parse("apple, banana, cherry, date");
  EXPECT_EQ(result, reference);
  EXPECT_EQ(chain->invoke("question"), reference);
}

// A blocking queue the test thread feeds while the chain streams on another thread.
class ChunkQueue {
 public:
  void push(std::optional<S> chunk) {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(std::move(chunk));
    cv_.notify_all();
  }
  std::optional<S> pop() {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [&] { return !queue_.empty(); });
    auto c = std::move(queue_.front());
    queue_.pop_front();
    return c;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::optional<S>> queue_;
};

class ItemWaiter {
 public:
  void add(const S& item) {
    std::lock_guard<std::mutex> lock(mutex_);
    items_.push_back(item);
    cv_.notify_all();
  }
  // True when n items have arrived within the time limit.
  bool wait_for_count(size_t n) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return items_.size() >= n; });
  }
  Items items() {
    std::lock_guard<std::mutex> lock(mutex_);
    return items_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  Items items_;
};

// The source blocks until the test gives it the next chunk: each item must reach the consumer
// while the source is still waiting, i.e. before the source has finished.
TEST(Streaming, ItemsArriveWhileTheSourceIsStillRunning) {
  ChunkQueue queue;
  auto source = make_streaming_lambda<S, S>(
      [&](const S&, const std::function<void(const S&)>& emit, RunContext&) {
        S all;
        while (auto chunk = queue.pop()) {
          emit(*chunk);
          all += *chunk;
        }
        return all;
      },
      "live_source");
  RetryPolicy no_sleep;
  no_sleep.sleep = [](std::chrono::milliseconds) {};
  // Every wrapper on the way: retry around the source, fallbacks around the passthrough, a
  // nested sequence, retry around the parser.
  auto chain = with_retry(source, no_sleep) |
               with_fallbacks(make_passthrough<S>(), {make_passthrough<S>()}) |
               (make_string_parser<S>() | make_passthrough<S>()) |
               with_retry(make_list_parser(ListStreamParser::Style::kNewline), no_sleep);
  ItemWaiter waiter;
  Items result;
  std::thread runner([&] {
    result = chain->stream("go", [&](const Items& items) {
      for (const auto& item : items) waiter.add(item);
    });
  });
  queue.push("- first\n- sec");
  EXPECT_TRUE(waiter.wait_for_count(1)) << "the first item did not arrive while streaming";
  queue.push("ond\n");
  EXPECT_TRUE(waiter.wait_for_count(2)) << "the second item did not arrive while streaming";
  EXPECT_EQ(waiter.items(), (Items{"first", "second"}));
  queue.push("- third");
  queue.push(std::nullopt);
  runner.join();
  EXPECT_EQ(result, (Items{"first", "second", "third"}));
  EXPECT_EQ(waiter.items(), result);
}

// A stage that can only run on its whole input (a plain lambda) holds the chunks back until
// its input ends; the stages after it still stream what it produces.
TEST(Streaming, ANonStreamingStageAccumulatesItsInput) {
  std::vector<S> log;
  auto chain = scripted_source(kScript, &log) | testing::make_upper() | make_list_parser();
  chain->stream("q", [&](const Items& items) {
    for (const auto& item : items) log.push_back("item " + item);
  });
  const std::vector<S> expected = {"emit apple, ba", "emit nana",   "emit , cherry,", "emit  date",
                                   "item APPLE",     "item BANANA", "item CHERRY",    "item DATE"};
  EXPECT_EQ(log, expected);
}

TEST(Streaming, TraceOfAStreamedChainNestsEveryStage) {
  auto rec = std::make_shared<RecordingHandler>();
  auto chain = scripted_source(kScript, nullptr) | make_passthrough<S>() | make_list_parser();
  chain->stream(
      "q", [](const Items&) {}, testing::traced(rec));
  auto events = rec->events();
  std::string root = testing::check_event_structure(events, "RunnableSequence", {}, {});
  int stages = 0;
  for (const auto& e : events) {
    if (e.kind == RunEvent::Kind::kEnd && e.parent_run_id == root) ++stages;
  }
  EXPECT_EQ(stages, 3);
  EXPECT_EQ(events.back().output, nlohmann::json({"apple", "banana", "cherry", "date"}));
}

// A parser-like stage that fails on the first attempt after its second input chunk, before
// emitting anything: the retry replays the chunks so far into a fresh attempt.
class FlakyCollector : public Runnable<S, S> {
 public:
  explicit FlakyCollector(std::shared_ptr<std::atomic<int>> attempts) : attempts_(attempts) {}
  std::string name() const override { return "flaky"; }

 protected:
  S invoke_impl(const S& input, RunContext&) const override { return input; }
  std::unique_ptr<ChunkSink<S, S>> transform_impl(ChunkFn on_chunk, RunContext&) const override {
    class Sink : public ChunkSink<S, S> {
     public:
      Sink(ChunkFn on_chunk, int attempt) : on_chunk_(std::move(on_chunk)), attempt_(attempt) {}
      void push(const S& chunk) override {
        if (attempt_ == 1 && ++pushes_ == 2) throw Error(ErrorCode::kIo, "hiccup");
        text_ += chunk;
      }
      S finish() override {
        on_chunk_(text_);
        return text_;
      }

     private:
      ChunkFn on_chunk_;
      int attempt_;
      int pushes_ = 0;
      S text_;
    };
    return std::make_unique<Sink>(std::move(on_chunk), ++*attempts_);
  }

 private:
  std::shared_ptr<std::atomic<int>> attempts_;
};

TEST(Streaming, RetryInAStreamingStageReplaysTheInputChunks) {
  auto attempts = std::make_shared<std::atomic<int>>(0);
  std::vector<std::chrono::milliseconds> sleeps;
  RetryPolicy policy;
  policy.sleep = [&](std::chrono::milliseconds d) { sleeps.push_back(d); };
  auto chain = scripted_source(kScript, nullptr) |
               with_retry(std::make_shared<const FlakyCollector>(attempts), policy);
  std::vector<S> chunks;
  S out = chain->stream("q", [&](const S& c) { chunks.push_back(c); });
  EXPECT_EQ(out, "apple, banana, cherry, date");
  EXPECT_EQ(chunks, std::vector<S>{out});
  EXPECT_EQ(attempts->load(), 2);
  EXPECT_EQ(sleeps.size(), 1u);
}

TEST(Streaming, AFailureAfterAChunkWentOutIsNotRetried) {
  int calls = 0;
  auto half = make_streaming_lambda<S, S>(
      [&](const S&, const std::function<void(const S&)>& emit, RunContext&) -> S {
        ++calls;
        emit("partial");
        throw Error(ErrorCode::kIo, "connection reset");
      },
      "half");
  RetryPolicy policy;
  policy.sleep = [](std::chrono::milliseconds) {};
  std::vector<S> got;
  EXPECT_THROW(with_retry(half, policy)->stream("q", [&](const S& c) { got.push_back(c); }), Error);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(got, std::vector<S>{"partial"});
  // invoke has no consumer to protect: it retries.
  calls = 0;
  EXPECT_THROW(with_retry(half, policy)->invoke("q"), Error);
  EXPECT_EQ(calls, 3);
}

// The caller's own on_chunk exception comes back unchanged, and the runs report it.
TEST(Streaming, AConsumerExceptionPassesThroughUnwrapped) {
  auto rec = std::make_shared<RecordingHandler>();
  auto chain = scripted_source(kScript, nullptr) | make_list_parser();
  try {
    chain->stream(
        "q", [](const Items&) { throw std::logic_error("consumer gave up"); },
        testing::traced(rec));
    FAIL() << "no throw";
  } catch (const Error&) {
    FAIL() << "the consumer's exception was wrapped";
  } catch (const std::logic_error& e) {
    EXPECT_EQ(std::string(e.what()), "consumer gave up");
  }
  auto events = rec->events();
  testing::check_event_structure(events, "RunnableSequence", {}, {});
  EXPECT_EQ(events.back().kind, RunEvent::Kind::kError);
  EXPECT_NE(events.back().error.find("consumer gave up"), std::string::npos);
}

TEST(Streaming, CancellingMidStreamStopsTheSource) {
  auto cancel = std::make_shared<std::atomic<bool>>(false);
  int emitted = 0;
  auto source = make_streaming_lambda<S, S>(
      [&](const S&, const std::function<void(const S&)>& emit, RunContext&) {
        for (int i = 0; i < 100; ++i) {
          emit("x" + std::to_string(i) + ",");
          ++emitted;
        }
        return S();
      },
      "endless");
  auto chain = source | make_list_parser();
  Items seen;
  try {
    chain->stream(
        "q",
        [&](const Items& items) {
          seen.insert(seen.end(), items.begin(), items.end());
          if (seen.size() == 3) *cancel = true;
        },
        testing::cancellable(cancel));
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCancelled);
  }
  EXPECT_EQ(seen, (Items{"x0", "x1", "x2"}));
  EXPECT_LT(emitted, 5);
}

TEST(Streaming, BranchStreamsTheChosenRunnable) {
  std::vector<S> log;
  auto branch = make_branch<S, S>(
      {{[](const S& s) { return s == "stream"; }, scripted_source(kScript, &log, "chosen")}},
      testing::make_upper());
  std::vector<S> chunks;
  branch->stream("stream", [&](const S& c) { chunks.push_back(c); });
  EXPECT_EQ(chunks, kScript);
}

}  // namespace
}  // namespace llmkit::chain
