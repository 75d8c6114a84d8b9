#include "llmkit/rag/hnsw_index.h"

#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

// hnswlib 0.6.2's SSE path prefetches one link past the end of an upper-layer link list (a read
// of up to 3 bytes beyond its malloc block: harmless in practice, but AddressSanitizer stops on
// it). Sanitizer builds use the plain scalar path instead.
#if defined(__SANITIZE_ADDRESS__) && !defined(NO_MANUAL_VECTORIZATION)
#define NO_MANUAL_VECTORIZATION
#endif
#include <hnswlib/hnswlib.h>

#include "llmkit/base/atomic_file.h"
#include "llmkit/base/error.h"

namespace llmkit::rag {

namespace fs = std::filesystem;

struct HnswIndex::Impl {
  explicit Impl(int dim) : space(static_cast<size_t>(dim)) {}
  hnswlib::InnerProductSpace space;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> graph;
};

std::string digest64(const std::string& bytes) {
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx",
                static_cast<unsigned long long>(XXH3_64bits(bytes.data(), bytes.size())));
  return hex;
}

HnswIndex::HnswIndex(int dim, HnswOptions options)
    : dim_(dim), options_(options), impl_(std::make_unique<Impl>(dim)) {
  LLMKIT_CHECK(dim > 0, "HnswIndex: dimension ", dim, " must be positive");
  impl_->graph = std::make_unique<hnswlib::HierarchicalNSW<float>>(
      &impl_->space, 16, static_cast<size_t>(options.m),
      static_cast<size_t>(options.ef_construction), static_cast<size_t>(options.seed));
  impl_->graph->setEf(static_cast<size_t>(options.ef_search));
}

HnswIndex::~HnswIndex() = default;

void HnswIndex::add(int64_t label, const float* vec) {
  auto& g = *impl_->graph;
  if (g.cur_element_count >= g.max_elements_) {
    g.resizeIndex(std::max<size_t>(16, g.max_elements_ * 2));
  }
  g.addPoint(vec, static_cast<hnswlib::labeltype>(label));
}

void HnswIndex::remove(int64_t label) {
  auto& g = *impl_->graph;
  auto it = g.label_lookup_.find(static_cast<hnswlib::labeltype>(label));
  if (it == g.label_lookup_.end() || g.isMarkedDeleted(it->second)) return;
  g.markDelete(static_cast<hnswlib::labeltype>(label));
}

bool HnswIndex::contains(int64_t label) const {
  const auto& g = *impl_->graph;
  auto it = g.label_lookup_.find(static_cast<hnswlib::labeltype>(label));
  return it != g.label_lookup_.end() && !g.isMarkedDeleted(it->second);
}

size_t HnswIndex::size() const {
  return impl_->graph->cur_element_count - impl_->graph->num_deleted_;
}
size_t HnswIndex::deleted() const {
  return impl_->graph->num_deleted_;
}

std::vector<std::pair<int64_t, float>> HnswIndex::search(const float* query, size_t k) const {
  std::vector<std::pair<int64_t, float>> out;
  if (k == 0 || size() == 0) return out;
  auto queue = impl_->graph->searchKnn(query, k);
  out.resize(queue.size());
  // The queue pops the largest distance (1 - inner product) first.
  for (size_t i = out.size(); i-- > 0;) {
    out[i] = {static_cast<int64_t>(queue.top().second), 1.0f - queue.top().first};
    queue.pop();
  }
  return out;
}

std::unique_ptr<HnswIndex> HnswIndex::compacted() const {
  auto fresh = std::make_unique<HnswIndex>(dim_, options_);
  const auto& g = *impl_->graph;
  std::vector<hnswlib::labeltype> labels;
  for (const auto& [label, internal] : g.label_lookup_) {
    if (!g.isMarkedDeleted(internal)) labels.push_back(label);
  }
  std::sort(labels.begin(), labels.end());  // deterministic insertion order
  for (auto label : labels) {
    std::vector<float> v = g.getDataByLabel<float>(label);
    fresh->add(static_cast<int64_t>(label), v.data());
  }
  return fresh;
}

namespace {
void fsync_path(const std::string& path, bool directory) {
  int fd = ::open(path.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  LLMKIT_CHECK_CODE(fd >= 0, ErrorCode::kIo, "cannot open '", path, "' to sync it");
  int rc = ::fsync(fd);
  ::close(fd);
  LLMKIT_CHECK_CODE(rc == 0, ErrorCode::kIo, "cannot sync '", path, "' to disk");
}
}  // namespace

std::string HnswIndex::save(const std::string& path) const {
  const std::string tmp = path + ".tmp";
  try {
    impl_->graph->saveIndex(tmp);
    std::string bytes = read_file(tmp);
    fsync_path(tmp, false);
    fs::rename(tmp, path);
    fs::path parent = fs::path(path).parent_path();
    fsync_path(parent.empty() ? "." : parent.string(), true);
    return digest64(bytes);
  } catch (const Error&) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw;
  } catch (const std::exception& e) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw_error(ErrorCode::kIo, str_cat("cannot write the vector index '", path, "': ", e.what()));
  }
}

std::unique_ptr<HnswIndex> HnswIndex::load(const std::string& path, int dim,
                                           const std::string& expected_digest,
                                           HnswOptions options) {
  std::string bytes = read_file(path);
  LLMKIT_CHECK_CODE(digest64(bytes) == expected_digest, ErrorCode::kCorruptData, "vector index '",
                    path, "' does not match its index database (digest ", digest64(bytes),
                    ", expected ", expected_digest, ")");
  auto index = std::make_unique<HnswIndex>(dim, options);
  try {
    index->impl_->graph =
        std::make_unique<hnswlib::HierarchicalNSW<float>>(&index->impl_->space, path, false, 0);
  } catch (const std::exception& e) {
    throw_error(ErrorCode::kCorruptData,
                str_cat("cannot load the vector index '", path, "': ", e.what()));
  }
  // hnswlib 0.6.2's loadIndex adds to num_deleted_ without zeroing it first: count again.
  auto& g = *index->impl_->graph;
  g.num_deleted_ = 0;
  for (size_t i = 0; i < g.cur_element_count; ++i) {
    if (g.isMarkedDeleted(static_cast<hnswlib::tableint>(i))) ++g.num_deleted_;
  }
  g.setEf(static_cast<size_t>(options.ef_search));
  return index;
}

}  // namespace llmkit::rag
