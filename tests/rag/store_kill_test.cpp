// Crash safety of VectorStore: a child process indexes in a loop and is SIGKILLed (at random
// moments, and at each stage of commit()); the reopened index must hold the last committed
// generation, consistent between SQLite and the HNSW graph.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "llmkit/rag/vector_store.h"
#include "rag_store_test_util.h"

namespace llmkit::rag {
namespace {

using testing::make_entry;
using testing::random_unit;
using testing::TempDir;

constexpr int kDim = 12;

StoreOptions options() {
  StoreOptions o;
  o.embedder = "kill-test";
  o.dim = kDim;
  o.exact_below = 0;  // searches use the graph
  return o;
}

// One write transaction of the child: replaces document (step % 5) by one with n chunks (n
// recorded in its metadata), and deletes document ((step + 2) % 5) every third step.
void write_step(VectorStore& store, uint64_t step) {
  std::mt19937 rng(static_cast<unsigned>(step * 7919 + 13));
  const int n = 1 + static_cast<int>(rng() % 30);
  std::vector<std::string> texts;
  std::vector<std::vector<float>> vecs;
  for (int i = 0; i < n; ++i) {
    texts.push_back("step " + std::to_string(step) + " chunk " + std::to_string(i));
    vecs.push_back(random_unit(rng, kDim));
  }
  auto w = store.begin();
  w->replace_document(
      make_entry("doc" + std::to_string(step % 5), texts, vecs, {{"n", n}, {"step", step}}));
  if (step % 3 == 0) w->delete_document("doc" + std::to_string((step + 2) % 5));
  w->commit();
}

// Checks that the index in dir is consistent; returns its generation.
int64_t check_consistent(const std::string& dir) {
  auto store = VectorStore::open(dir, options());
  StoreStats st = store->stats();
  // The commit protocol never leaves the committed graph file missing or stale.
  EXPECT_FALSE(st.graph_rebuilt);
  EXPECT_EQ(st.hnsw_size, static_cast<size_t>(st.chunks));
  int64_t total = 0;
  for (const auto& doc : store->documents()) {
    EXPECT_EQ(doc.chunks, doc.metadata.at("n").get<int64_t>()) << doc.source;
    total += doc.chunks;
  }
  EXPECT_EQ(total, st.chunks);
  // Every chunk is found by its own vector through the graph.
  for (const auto& doc : store->documents()) {
    auto hits = store->search_bm25("chunk", 1000, Filter{{}, doc.source, ""});
    EXPECT_EQ(static_cast<int64_t>(hits.size()), doc.chunks) << doc.source;
    for (const auto& h : hits) {
      auto v = store->get_embedding(h.chunk.id);
      auto self = store->search_dense(v, 1);
      EXPECT_EQ(self.size(), 1u);
      if (!self.empty()) {
        EXPECT_EQ(self[0].chunk.id, h.chunk.id);
      }
    }
  }
  if (st.chunks > 0) {
    EXPECT_TRUE(
        std::filesystem::exists(dir + "/vectors." + std::to_string(st.generation) + ".hnsw"));
  }
  return st.generation;
}

// Runs the child: indexes steps from `first` on, writing each committed generation to fd.
[[noreturn]] void child_main(const std::string& dir, uint64_t first, int fd,
                             const std::string& crash_stage, uint64_t crash_step) {
  try {
    StoreOptions o = options();
    uint64_t step = first;
    if (!crash_stage.empty()) {
      o.commit_hook = [&](const std::string& stage) {
        if (stage == crash_stage && step == crash_step) ::raise(SIGKILL);
      };
    }
    auto store = VectorStore::open(dir, o);
    for (;; ++step) {
      write_step(*store, step);
      const int64_t generation = store->stats().generation;
      if (::write(fd, &generation, sizeof(generation)) != sizeof(generation)) ::_exit(4);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "child failed: %s\n", e.what());
    ::_exit(3);
  }
}

// Forks the child, kills it after delay (or lets the hook kill it), returns the last generation
// it reported committed (-1 when none).
int64_t run_child(const std::string& dir, uint64_t first, std::chrono::microseconds delay,
                  const std::string& crash_stage = "", uint64_t crash_step = 0) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    child_main(dir, first, fds[1], crash_stage, crash_step);
  }
  ::close(fds[1]);
  if (crash_stage.empty()) {
    std::this_thread::sleep_for(delay);
    ::kill(pid, SIGKILL);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "the child did not die by SIGKILL (exit " << (WIFEXITED(status) ? WEXITSTATUS(status) : -1)
      << ")";
  int64_t last = -1, g = 0;
  while (::read(fds[0], &g, sizeof(g)) == sizeof(g)) last = g;
  ::close(fds[0]);
  return last;
}

TEST(VectorStoreKill, RandomKillsLeaveTheLastCommit) {
  TempDir dir;
  VectorStore::create(dir.path(), options());
  std::mt19937 rng(42);
  int64_t generation = 0;
  uint64_t step = 0;
  for (int round = 0; round < 16; ++round) {
    const auto delay = std::chrono::microseconds(2000 + rng() % 150000);
    const int64_t reported = run_child(dir.path(), step, delay);
    const int64_t now = check_consistent(dir.path());
    // The child may die after committing and before reporting: one more than reported.
    EXPECT_GE(now, std::max(reported, generation)) << "round " << round;
    if (reported >= 0) {
      EXPECT_LE(now, reported + 1) << "round " << round;
    }
    step += static_cast<uint64_t>(now - generation) + 1;
    generation = now;
  }
  EXPECT_GT(generation, 0) << "no child ever committed";
}

TEST(VectorStoreKill, KillAtEachCommitStage) {
  for (const std::string stage : {"hnsw_saved", "meta_updated", "committed"}) {
    TempDir dir;
    VectorStore::create(dir.path(), options());
    // Steps 0 and 1 commit; step 2 dies at `stage`.
    const int64_t reported = run_child(dir.path(), 0, {}, stage, 2);
    EXPECT_EQ(reported, 2) << stage;
    const int64_t now = check_consistent(dir.path());
    auto store = VectorStore::open(dir.path(), options());
    auto doc2 = store->find_document("doc2");
    if (stage == "committed") {
      EXPECT_EQ(now, 3) << stage;
      ASSERT_TRUE(doc2.has_value());
      EXPECT_EQ(doc2->metadata.at("step"), 2);
    } else {
      EXPECT_EQ(now, 2) << stage;
      EXPECT_FALSE(doc2.has_value()) << stage;
      // The orphan graph of the lost commit goes at the next write.
      { store->begin(); }
      EXPECT_FALSE(std::filesystem::exists(dir.file("vectors.3.hnsw"))) << stage;
    }
    // The index keeps working after the crash.
    write_step(*store, 10);
    EXPECT_EQ(check_consistent(dir.path()), now + 1);
  }
}

}  // namespace
}  // namespace llmkit::rag
