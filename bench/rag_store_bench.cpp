// VectorStore search speed and quality on random unit vectors (dim 64) in one temporary index:
//   DenseHnsw/<n>     search_dense through the HNSW graph (k = 10); counter recall@10 = share of
//                     the exact top 10 it finds
//   DenseExact/<n>    search_dense_exact: brute force over the SQLite embeddings (what filtered
//                     and small searches use)
//   GraphOnly/<n>     HnswIndex::search alone (no SQLite chunk fetch)
//   Bm25/<n>          search_bm25 of a three-word query (each chunk text has 8 words of a
//                     500-word vocabulary)
// n = chunks in the index. The index is built once per n (not timed).
#include <benchmark/benchmark.h>

#include <unistd.h>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "llmkit/rag/vector_store.h"

namespace {

using namespace llmkit::rag;
namespace fs = std::filesystem;

constexpr int kDim = 64;
constexpr size_t kK = 10;

std::vector<float> random_unit(std::mt19937& rng) {
  std::normal_distribution<float> n(0.0f, 1.0f);
  std::vector<float> v(kDim);
  double norm = 0.0;
  for (float& x : v) {
    x = n(rng);
    norm += static_cast<double>(x) * x;
  }
  for (float& x : v) x = static_cast<float>(x / std::sqrt(norm));
  return v;
}

struct Fixture {
  std::string dir;
  std::unique_ptr<VectorStore> store;
  std::unique_ptr<HnswIndex> graph;
  std::vector<std::vector<float>> queries;
  ~Fixture() {
    store.reset();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

Fixture& fixture(size_t n) {
  static std::map<size_t, std::unique_ptr<Fixture>> cache;
  auto& slot = cache[n];
  if (slot) return *slot;
  slot = std::make_unique<Fixture>();
  Fixture& f = *slot;
  f.dir = (fs::temp_directory_path() /
           ("llmkit_rag_bench_" + std::to_string(::getpid()) + "_" + std::to_string(n)))
              .string();
  fs::remove_all(f.dir);
  StoreOptions options;
  options.embedder = "random";
  options.dim = kDim;
  options.exact_below = 0;
  f.store = VectorStore::create(f.dir, options);
  f.graph = std::make_unique<HnswIndex>(kDim);
  std::mt19937 rng(1);
  auto w = f.store->begin();
  const size_t per_doc = 500;
  int64_t label = 0;
  for (size_t d = 0; d * per_doc < n; ++d) {
    DocumentEntry e;
    e.document.source = "doc" + std::to_string(d);
    for (size_t i = 0; i < per_doc && d * per_doc + i < n; ++i) {
      Chunk c;
      c.source = e.document.source;
      c.begin = e.document.text.size();
      for (int word = 0; word < 8; ++word) {
        e.document.text += "w" + std::to_string(rng() % 500) + " ";
      }
      c.end = e.document.text.size();
      c.text = e.document.text.substr(c.begin, c.end - c.begin);
      c.index = static_cast<int>(i);
      e.chunks.push_back(c);
      e.embeddings.push_back(random_unit(rng));
      f.graph->add(++label, e.embeddings.back().data());
    }
    w->add_document(e);
  }
  w->commit();
  for (int q = 0; q < 64; ++q) f.queries.push_back(random_unit(rng));
  return f;
}

void DenseHnsw(benchmark::State& state) {
  Fixture& f = fixture(static_cast<size_t>(state.range(0)));
  size_t found = 0, total = 0, q = 0;
  for (auto _ : state) {
    const auto& query = f.queries[q++ % f.queries.size()];
    auto hits = f.store->search_dense(query, kK);
    benchmark::DoNotOptimize(hits);
    state.PauseTiming();
    std::set<int64_t> exact;
    for (const auto& h : f.store->search_dense_exact(query, kK)) exact.insert(h.chunk.id);
    for (const auto& h : hits) found += exact.count(h.chunk.id);
    total += kK;
    state.ResumeTiming();
  }
  state.counters["recall@10"] = total ? static_cast<double>(found) / total : 0.0;
  state.SetItemsProcessed(state.iterations());
}

void DenseExact(benchmark::State& state) {
  Fixture& f = fixture(static_cast<size_t>(state.range(0)));
  size_t q = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(f.store->search_dense_exact(f.queries[q++ % f.queries.size()], kK));
  }
  state.SetItemsProcessed(state.iterations());
}

void GraphOnly(benchmark::State& state) {
  Fixture& f = fixture(static_cast<size_t>(state.range(0)));
  size_t q = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(f.graph->search(f.queries[q++ % f.queries.size()].data(), kK));
  }
  state.SetItemsProcessed(state.iterations());
}

void Bm25(benchmark::State& state) {
  Fixture& f = fixture(static_cast<size_t>(state.range(0)));
  std::mt19937 rng(2);
  for (auto _ : state) {
    const std::string query = "w" + std::to_string(rng() % 500) + " w" +
                              std::to_string(rng() % 500) + " w" + std::to_string(rng() % 500);
    benchmark::DoNotOptimize(f.store->search_bm25(query, kK));
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(DenseHnsw)->Arg(2000)->Arg(20000)->Unit(benchmark::kMicrosecond);
BENCHMARK(DenseExact)->Arg(2000)->Arg(20000)->Unit(benchmark::kMicrosecond);
BENCHMARK(GraphOnly)->Arg(2000)->Arg(20000)->Unit(benchmark::kMicrosecond);
BENCHMARK(Bm25)->Arg(2000)->Arg(20000)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
