// Conformance checks every Runnable implementation must pass (see llmkit/chain/runnable.h):
//   - invoke == stream's returned value == its chunks combined (ChunkTraits) == transform fed the
//     input as one chunk == each batch entry
//   - callbacks: a root start with the runnable's name (or run_name), one end or error per start,
//     every inner run inside its parent's events, tags/metadata on every event, timings >= 0
//   - errors (given a failing input): invoke/stream throw llmkit::Error naming the runnable, the
//     root run ends with an error event, batch keeps the other entries
//   - cancellation (flag set) and timeout (0 ms) throw Error(kCancelled) naming the runnable
// Usage: check_runnable_conformance(runnable, ConformanceCase<In, Out>{input, failing_input}).
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "llmkit/chain/callbacks.h"
#include "llmkit/chain/runnable.h"
#include "tests/chain/chain_test_util.h"

namespace llmkit::chain::testing {

template <typename In, typename Out>
struct ConformanceCase {
  ConformanceCase(In in, std::optional<In> failing = std::nullopt, size_t min_inner = 0)
      : input(std::move(in)), failing_input(std::move(failing)), min_inner_runs(min_inner) {}
  In input;
  std::optional<In> failing_input;  // an input on which the runnable throws
  // Inner runs expected in the trace of invoke(input) (0: none checked).
  size_t min_inner_runs = 0;
};

// Checks the event list of runs: pairing, nesting (by event order), and returns the root run id.
inline std::string check_event_structure(const std::vector<RunEvent>& events,
                                         const std::string& root_name,
                                         const std::vector<std::string>& tags,
                                         const nlohmann::json& metadata_subset) {
  EXPECT_FALSE(events.empty());
  if (events.empty()) return "";
  EXPECT_EQ(events.front().kind, RunEvent::Kind::kStart);
  EXPECT_EQ(events.front().name, root_name);
  EXPECT_EQ(events.front().parent_run_id, "");
  const std::string root = events.front().run_id;
  EXPECT_EQ(events.back().run_id, root) << "the root run must close last";
  EXPECT_NE(events.back().kind, RunEvent::Kind::kStart);
  std::set<std::string> open, closed;
  for (const RunEvent& e : events) {
    for (const auto& t : tags) {
      EXPECT_NE(std::find(e.tags.begin(), e.tags.end(), t), e.tags.end())
          << "tag " << t << " missing on an event of " << e.name;
    }
    for (auto& [k, v] : metadata_subset.items()) {
      EXPECT_EQ(e.metadata.value(k, nlohmann::json()), v) << "metadata " << k << " on " << e.name;
    }
    if (e.kind == RunEvent::Kind::kStart) {
      EXPECT_TRUE(open.insert(e.run_id).second) << "run started twice: " << e.name;
      EXPECT_EQ(closed.count(e.run_id), 0u);
      if (e.run_id != root) {
        EXPECT_EQ(open.count(e.parent_run_id), 1u)
            << "inner run " << e.name << " starts outside its parent";
      }
    } else {
      EXPECT_EQ(open.count(e.run_id), 1u) << "end/error without an open start: " << e.name;
      open.erase(e.run_id);
      EXPECT_TRUE(closed.insert(e.run_id).second);
      EXPECT_GE(e.elapsed_s, 0.0);
      // No inner run of this one may still be open.
      for (const RunEvent& other : events) {
        if (other.parent_run_id == e.run_id && other.kind == RunEvent::Kind::kStart) {
          EXPECT_EQ(open.count(other.run_id), 0u)
              << "inner run " << other.name << " outlives " << e.name;
        }
      }
    }
  }
  EXPECT_TRUE(open.empty()) << open.size() << " runs never closed";
  return root;
}

template <typename Out>
Out combine_chunks(const std::vector<Out>& chunks) {
  ChunkAccumulator<Out> acc;
  for (const auto& c : chunks) acc.add(c);
  return acc.value();
}

template <typename In, typename Out>
void check_runnable_conformance(const RunnablePtr<In, Out>& r, const ConformanceCase<In, Out>& c) {
  SCOPED_TRACE("conformance of runnable '" + r->name() + "'");
  const std::string name = r->name();
  ASSERT_FALSE(name.empty());

  // Output agreement across invoke / stream / transform / batch.
  const Out out = r->invoke(c.input);
  std::vector<Out> chunks;
  const Out streamed = r->stream(c.input, [&](const Out& chunk) { chunks.push_back(chunk); });
  EXPECT_TRUE(streamed == out) << "stream's return differs from invoke";
  EXPECT_FALSE(chunks.empty()) << "a stream must emit at least one chunk";
  EXPECT_TRUE(combine_chunks(chunks) == out) << "stream chunks do not combine to the output";
  std::vector<Out> t_chunks;
  auto sink = r->transform([&](const Out& chunk) { t_chunks.push_back(chunk); });
  sink->push(c.input);
  EXPECT_TRUE(sink->finish() == out) << "transform's result differs from invoke";
  EXPECT_TRUE(combine_chunks(t_chunks) == out) << "transform chunks do not combine to the output";
  auto batch = r->batch({c.input, c.input, c.input}, concurrent(2));
  ASSERT_EQ(batch.size(), 3u);
  for (const auto& b : batch) {
    ASSERT_TRUE(b.ok()) << b.error;
    EXPECT_TRUE(*b.value == out) << "a batch entry differs from invoke";
  }

  // Callbacks with tags, metadata and a run name.
  for (int mode = 0; mode < 2; ++mode) {
    auto rec = std::make_shared<RecordingHandler>();
    RunConfig config;
    config.callbacks = {rec};
    config.tags = {"conformance"};
    config.metadata = {{"case", mode}};
    if (mode == 1) config.run_name = "renamed";
    if (mode == 0) {
      r->invoke(c.input, config);
    } else {
      r->stream(
          c.input, [](const Out&) {}, config);
    }
    auto events = rec->events();
    check_event_structure(events, mode == 1 ? "renamed" : name, {"conformance"}, {{"case", mode}});
    EXPECT_EQ(events.back().kind, RunEvent::Kind::kEnd);
    EXPECT_GE(events.size() / 2, 1 + c.min_inner_runs) << "fewer inner runs than expected";
  }

  // Errors.
  if (c.failing_input) {
    auto rec = std::make_shared<RecordingHandler>();
    RunConfig config;
    config.callbacks = {rec};
    try {
      r->invoke(*c.failing_input, config);
      ADD_FAILURE() << "invoke of the failing input did not throw";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos)
          << "error does not name the runnable: " << e.what();
    }
    auto events = rec->events();
    check_event_structure(events, name, {}, nlohmann::json::object());
    if (!events.empty()) {
      EXPECT_EQ(events.back().kind, RunEvent::Kind::kError);
      EXPECT_NE(events.back().error.find(name), std::string::npos);
    }
    EXPECT_THROW(r->stream(*c.failing_input, [](const Out&) {}), Error);
    auto b = r->batch({c.input, *c.failing_input, c.input});
    ASSERT_EQ(b.size(), 3u);
    EXPECT_TRUE(b[0].ok() && b[2].ok());
    EXPECT_FALSE(b[1].ok());
    EXPECT_NE(b[1].error.find(name), std::string::npos) << b[1].error;
    EXPECT_THROW(b[1].get(), Error);
  }

  // Cancellation and timeout.
  for (int mode = 0; mode < 2; ++mode) {
    auto rec = std::make_shared<RecordingHandler>();
    RunConfig config;
    config.callbacks = {rec};
    if (mode == 0) {
      config.cancel = std::make_shared<std::atomic<bool>>(true);
    } else {
      config.timeout = std::chrono::milliseconds(0);
    }
    try {
      r->invoke(c.input, config);
      ADD_FAILURE() << (mode == 0 ? "a cancelled run" : "a timed-out run") << " did not throw";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kCancelled);
      std::string what = e.what();
      EXPECT_NE(what.find(name), std::string::npos) << what;
      EXPECT_NE(what.find(mode == 0 ? "cancelled" : "timed out"), std::string::npos) << what;
    }
    auto events = rec->events();
    check_event_structure(events, name, {}, nlohmann::json::object());
    if (!events.empty()) {
      EXPECT_EQ(events.back().kind, RunEvent::Kind::kError);
    }
    EXPECT_THROW(r->stream(
                     c.input, [](const Out&) {}, config),
                 Error);
  }
}

}  // namespace llmkit::chain::testing
