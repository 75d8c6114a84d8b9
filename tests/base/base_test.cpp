// Tests of the base layer: thread pool, context scopes, atomic writes, mmap, progress bar, errors.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "llmkit/base/atomic_file.h"
#include "llmkit/base/context.h"
#include "llmkit/base/error.h"
#include "llmkit/base/mmap_file.h"
#include "llmkit/base/progress_bar.h"
#include "llmkit/base/thread_pool.h"

namespace llmkit {
namespace {
namespace fs = std::filesystem;

fs::path temp_dir() {
  fs::path p = fs::temp_directory_path() / ("llmkit_base_" + std::to_string(::getpid()));
  fs::create_directories(p);
  return p;
}

TEST(ThreadPool, CoversEveryIndexExactlyOnce) {
  for (int threads : {1, 2, 3}) {
    ThreadPool pool(threads);
    for (int64_t n : {0, 1, 2, 7, 1000}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      pool.parallel_for(n, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) hits[i]++;
      });
      for (auto& h : hits) ASSERT_EQ(h.load(), 1);
    }
  }
}

TEST(ThreadPool, RethrowsWorkerExceptionsAndStaysUsable) {
  ThreadPool pool(2);
  EXPECT_THROW(pool.parallel_for(100,
                                 [](int64_t b, int64_t) {
                                   if (b > 0) throw Error(ErrorCode::kInternal, "boom");
                                 }),
               Error);
  std::atomic<int64_t> sum{0};
  pool.parallel_for(10, [&](int64_t b, int64_t e) { sum += e - b; });
  EXPECT_EQ(sum.load(), 10);
}

// Many back-to-back calls with tiny bodies (the decode pattern), some after the workers have gone
// to sleep, with more threads than cores: every call still sees all of its chunks exactly once.
TEST(ThreadPool, BackToBackCallsAndSleepingWorkers) {
  for (int threads : {2, 4}) {
    ThreadPool pool(threads);
    std::vector<int64_t> seen(static_cast<size_t>(threads), 0);
    int64_t total = 0;
    for (int call = 0; call < 4000; ++call) {
      if (call % 1000 == 999) std::this_thread::sleep_for(std::chrono::milliseconds(20));
      std::atomic<int64_t> sum{0};
      pool.parallel_for(threads, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) {
          sum += i + 1;
          ++seen[static_cast<size_t>(i)];
        }
      });
      total += sum.load();
    }
    EXPECT_EQ(total, 4000 * threads * (threads + 1) / 2);
    for (int64_t s : seen) EXPECT_EQ(s, 4000);
  }
}

TEST(ThreadPool, NestedCallsRunInline) {
  ThreadPool pool(2);
  std::atomic<int64_t> total{0};
  pool.parallel_for(4, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      pool.parallel_for(5, [&](int64_t b2, int64_t e2) { total += e2 - b2; });
    }
  });
  EXPECT_EQ(total.load(), 20);
}

TEST(Context, ScopesNestAndRestore) {
  EXPECT_EQ(current_context().n_threads(), 1);
  Context two(2);
  {
    Context::Scope outer(two);
    EXPECT_EQ(current_context().n_threads(), 2);
    Context three(3);
    {
      Context::Scope inner(three);
      EXPECT_EQ(current_context().n_threads(), 3);
    }
    EXPECT_EQ(current_context().n_threads(), 2);
  }
  EXPECT_EQ(current_context().n_threads(), 1);
}

TEST(AtomicFile, ReplacesContentAndKeepsOldFileOnFailure) {
  fs::path dir = temp_dir();
  std::string path = (dir / "out.bin").string();
  write_file_atomic(path, std::string("first"));
  EXPECT_EQ(read_file(path), "first");
  EXPECT_THROW(write_file_atomic(path,
                                 [](FileSink& sink) {
                                   sink.write("partial", 7);
                                   throw Error(ErrorCode::kIo, "producer failed");
                                 }),
               Error);
  EXPECT_EQ(read_file(path), "first");
  for (const auto& entry : fs::directory_iterator(dir)) {
    EXPECT_EQ(entry.path().filename(), "out.bin") << "left behind: " << entry.path();
  }
  EXPECT_THROW(write_file_atomic((dir / "missing" / "x").string(), std::string("x")), Error);
  fs::remove_all(dir);
}

TEST(MappedFile, MapsBytesAndNamesMissingFiles) {
  fs::path dir = temp_dir();
  std::string path = (dir / "data.bin").string();
  { std::ofstream(path, std::ios::binary) << "hello mmap"; }
  MappedFile f(path);
  ASSERT_EQ(f.size(), 10u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(f.data()), f.size()), "hello mmap");
  try {
    MappedFile missing((dir / "nope").string());
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_NE(std::string(e.what()).find("nope"), std::string::npos);
  }
  fs::remove_all(dir);
}

TEST(ProgressBar, RenderShowsCountRateAndEta) {
  ProgressBar bar("train", 100, "step");
  std::string s = bar.render(40, 4.0, "loss 2.5");
  EXPECT_NE(s.find("40/100 step"), std::string::npos) << s;
  EXPECT_NE(s.find("10.0 step/s"), std::string::npos) << s;
  EXPECT_NE(s.find("ETA 0:06"), std::string::npos) << s;
  EXPECT_NE(s.find("loss 2.5"), std::string::npos) << s;
  EXPECT_EQ(format_duration(3725), "1:02:05");
}

TEST(Error, CheckMacroThrowsWithCodeAndMessage) {
  try {
    LLMKIT_CHECK(1 + 1 == 3, "arithmetic is off by ", 1);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_STREQ(e.what(), "arithmetic is off by 1");
  }
}

}  // namespace
}  // namespace llmkit
