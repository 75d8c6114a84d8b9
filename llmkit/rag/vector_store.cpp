#include "llmkit/rag/vector_store.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <unordered_map>

#include "llmkit/base/error.h"
#include "llmkit/rag/fts_query.h"
#include "llmkit/rag/sqlite_db.h"

namespace llmkit::rag {

namespace fs = std::filesystem;

namespace {

constexpr int kFormatVersion = 1;

constexpr const char* kSchema = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE documents(
  id INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL UNIQUE, title TEXT NOT NULL,
  mime TEXT NOT NULL, content_hash TEXT NOT NULL, metadata TEXT NOT NULL, text TEXT NOT NULL,
  pages TEXT NOT NULL, headings TEXT NOT NULL);
CREATE TABLE chunks(
  id INTEGER PRIMARY KEY AUTOINCREMENT, doc_id INTEGER NOT NULL, idx INTEGER NOT NULL,
  begin_offset INTEGER NOT NULL, end_offset INTEGER NOT NULL, text TEXT NOT NULL,
  metadata TEXT NOT NULL, parent_id INTEGER, is_parent INTEGER NOT NULL, embedding BLOB);
CREATE INDEX chunks_doc ON chunks(doc_id);
CREATE VIRTUAL TABLE chunks_fts USING fts5(text, content='chunks', content_rowid='id');
CREATE TRIGGER chunks_fts_insert AFTER INSERT ON chunks WHEN new.is_parent = 0 BEGIN
  INSERT INTO chunks_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER chunks_fts_delete AFTER DELETE ON chunks WHEN old.is_parent = 0 BEGIN
  INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
)sql";

constexpr const char* kChunkColumns =
    "c.id, c.doc_id, c.idx, c.begin_offset, c.end_offset, c.text, c.metadata, c.parent_id, "
    "c.is_parent, d.source, d.title";

StoredChunk read_chunk(const Stmt& s, int first = 0) {
  StoredChunk out;
  out.id = s.column_int(first);
  out.doc_id = s.column_int(first + 1);
  out.chunk.index = static_cast<int>(s.column_int(first + 2));
  out.chunk.begin = static_cast<size_t>(s.column_int(first + 3));
  out.chunk.end = static_cast<size_t>(s.column_int(first + 4));
  out.chunk.text = s.column_text(first + 5);
  out.chunk.metadata = nlohmann::json::parse(s.column_text(first + 6));
  if (!s.is_null(first + 7)) out.parent_id = s.column_int(first + 7);
  out.is_parent = s.column_int(first + 8) != 0;
  out.chunk.source = s.column_text(first + 9);
  out.title = s.column_text(first + 10);
  return out;
}

void bind_params(Stmt& s, int first, const std::vector<SqlValue>& params) {
  for (size_t i = 0; i < params.size(); ++i) {
    std::visit([&](const auto& v) { s.bind(first + static_cast<int>(i), v); }, params[i]);
  }
}

std::string meta_value(Db& db, const std::string& key) {
  Stmt s(db, "SELECT value FROM meta WHERE key = ?");
  s.bind(1, key);
  LLMKIT_CHECK_CODE(s.step(), ErrorCode::kCorruptData, "index database '", db.path(),
                    "' has no meta key '", key, "'; rebuild the index");
  return s.column_text(0);
}

}  // namespace

VectorStore::VectorStore(std::string dir, StoreOptions options)
    : dir_(std::move(dir)), options_(std::move(options)) {}

VectorStore::~VectorStore() = default;

std::string VectorStore::hnsw_path(int64_t generation) const {
  return (fs::path(dir_) / str_cat("vectors.", generation, ".hnsw")).string();
}

std::unique_ptr<VectorStore> VectorStore::create(const std::string& dir,
                                                 const StoreOptions& options) {
  LLMKIT_CHECK(options.dim >= 0, "vector store '", dir, "': embedding dimension ", options.dim,
               " must be positive (or 0 for a BM25-only index)");
  std::error_code ec;
  fs::create_directories(dir, ec);
  LLMKIT_CHECK_CODE(!ec, ErrorCode::kIo, "vector store: cannot create folder '", dir,
                    "': ", ec.message());
  const std::string db_path = (fs::path(dir) / "index.sqlite").string();
  LLMKIT_CHECK(!fs::exists(db_path), "vector store '", dir,
               "' already holds an index; open it, or choose another folder");
  std::unique_ptr<VectorStore> store(new VectorStore(dir, options));
  store->write_db_ = std::make_unique<Db>(db_path);
  {
    DbTransaction t(*store->write_db_);
    store->write_db_->exec(kSchema);
    Stmt s(*store->write_db_, "INSERT INTO meta(key, value) VALUES (?, ?)");
    const std::pair<const char*, std::string> rows[] = {{"format", std::to_string(kFormatVersion)},
                                                        {"embedder", options.embedder},
                                                        {"dim", std::to_string(options.dim)},
                                                        {"generation", "0"},
                                                        {"hnsw_digest", ""},
                                                        {"hnsw_count", "0"}};
    for (const auto& [key, value] : rows) {
      s.bind(1, std::string(key)).bind(2, value);
      s.run();
    }
    t.commit();
  }
  store->read_db_ = std::make_unique<Db>(db_path);
  store->embedder_ = options.embedder;
  store->dim_ = options.dim;
  store->load_or_repair();
  return store;
}

std::unique_ptr<VectorStore> VectorStore::open(const std::string& dir,
                                               const StoreOptions& options) {
  const std::string db_path = (fs::path(dir) / "index.sqlite").string();
  LLMKIT_CHECK_CODE(fs::exists(db_path), ErrorCode::kNotFound, "vector store '", dir,
                    "' has no index (", db_path, " is missing); create it first");
  std::unique_ptr<VectorStore> store(new VectorStore(dir, options));
  store->write_db_ = std::make_unique<Db>(db_path);
  store->read_db_ = std::make_unique<Db>(db_path);
  Db& db = *store->read_db_;
  const int format = std::stoi(meta_value(db, "format"));
  LLMKIT_CHECK_CODE(format == kFormatVersion, ErrorCode::kUnsupported, "vector store '", dir,
                    "' has format ", format, "; this build reads format ", kFormatVersion,
                    ": rebuild the index");
  store->embedder_ = meta_value(db, "embedder");
  store->dim_ = std::stoi(meta_value(db, "dim"));
  LLMKIT_CHECK(options.embedder.empty() || options.embedder == store->embedder_, "vector store '",
               dir, "' was built with embedder '", store->embedder_, "', not '", options.embedder,
               "': use the same embedder or rebuild the index");
  LLMKIT_CHECK(options.dim == 0 || options.dim == store->dim_, "vector store '", dir,
               "' holds vectors of ", store->dim_, " floats, not ", options.dim,
               ": use the same embedder or rebuild the index");
  store->load_or_repair();
  return store;
}

std::unique_ptr<VectorStore> VectorStore::open_or_create(const std::string& dir,
                                                         const StoreOptions& options) {
  if (fs::exists(fs::path(dir) / "index.sqlite")) return open(dir, options);
  return create(dir, options);
}

void VectorStore::load_state_from(Db& db) {
  const int64_t generation = std::stoll(meta_value(db, "generation"));
  const std::string digest = meta_value(db, "hnsw_digest");
  const auto count = static_cast<size_t>(std::stoll(meta_value(db, "hnsw_count")));
  Stmt s(db, "SELECT COUNT(*) FROM chunks WHERE is_parent = 0");
  s.step();
  const auto searchable = static_cast<size_t>(s.column_int(0));
  if (dim_ == 0) {  // BM25 only: no graph
    index_.reset();
    generation_ = generation;
    graph_rebuilt_ = false;
    return;
  }
  std::unique_ptr<HnswIndex> index;
  if (digest.empty()) {
    index = std::make_unique<HnswIndex>(dim_, options_.hnsw);
  } else {
    index = HnswIndex::load(hnsw_path(generation), dim_, digest, options_.hnsw);
  }
  LLMKIT_CHECK_CODE(index->size() == count && count == searchable, ErrorCode::kCorruptData,
                    "vector store '", dir_, "': the graph of generation ", generation, " holds ",
                    index->size(), " vectors, the database ", searchable);
  index_ = std::move(index);
  generation_ = generation;
  graph_rebuilt_ = false;
}

void VectorStore::load_or_repair() {
  std::unique_lock lock(state_);
  try {
    write_db_->exec("BEGIN");
    try {
      load_state_from(*write_db_);
    } catch (...) {
      write_db_->exec("ROLLBACK");
      throw;
    }
    write_db_->exec("COMMIT");
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kCorruptData && e.code() != ErrorCode::kNotFound) throw;
    DbTransaction t(*write_db_);
    try {
      load_state_from(*write_db_);  // another process may have repaired it meanwhile
    } catch (const Error&) {
      rebuild_locked();
    }
    t.commit();
  }
  // Older generations are never needed again (newer orphans are removed under the write lock).
  for (const auto& entry : fs::directory_iterator(dir_)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("vectors.", 0) != 0 || name.size() < 14) continue;
    if (name.substr(name.size() - 5) != ".hnsw") continue;
    const std::string number = name.substr(8, name.size() - 13);
    if (number.empty() || number.find_first_not_of("0123456789") != std::string::npos) continue;
    std::error_code ec;
    if (std::stoll(number) < generation_) fs::remove(entry.path(), ec);
  }
}

void VectorStore::rebuild_locked() {
  Db& db = *write_db_;
  const int64_t generation = std::stoll(meta_value(db, "generation"));
  if (dim_ == 0) {
    index_.reset();
    generation_ = generation;
    return;
  }
  auto index = std::make_unique<HnswIndex>(dim_, options_.hnsw);
  Stmt s(db, "SELECT id, embedding FROM chunks WHERE is_parent = 0 ORDER BY id");
  while (s.step()) {
    std::vector<float> v = s.column_floats(1);
    LLMKIT_CHECK_CODE(static_cast<int>(v.size()) == dim_, ErrorCode::kCorruptData, "vector store '",
                      dir_, "': chunk ", s.column_int(0), " has ", v.size(), " floats, not ", dim_,
                      "; rebuild the index");
    index->add(s.column_int(0), v.data());
  }
  const std::string digest = index->size() == 0 ? "" : index->save(hnsw_path(generation));
  Stmt u(db, "UPDATE meta SET value = ? WHERE key = ?");
  u.bind(1, digest).bind(2, std::string("hnsw_digest"));
  u.run();
  u.bind(1, std::to_string(index->size())).bind(2, std::string("hnsw_count"));
  u.run();
  index_ = std::move(index);
  generation_ = generation;
  graph_rebuilt_ = true;
}

void VectorStore::remove_stale_files(int64_t keep_generation) const {
  for (const auto& entry : fs::directory_iterator(dir_)) {
    const std::string name = entry.path().filename().string();
    const bool graph =
        name.rfind("vectors.", 0) == 0 && (name.ends_with(".hnsw") || name.ends_with(".hnsw.tmp"));
    if (graph && name != fs::path(hnsw_path(keep_generation)).filename().string()) {
      std::error_code ec;
      fs::remove(entry.path(), ec);
    }
  }
}

void VectorStore::refresh() {
  std::lock_guard writer(writer_mutex_);
  const int64_t committed = std::stoll(meta_value(*read_db_, "generation"));
  {
    std::shared_lock lock(state_);
    if (committed == generation_) return;
  }
  load_or_repair();
}

void VectorStore::check_has_vectors() const {
  LLMKIT_CHECK_CODE(dim_ > 0, ErrorCode::kInvalidArgument, "vector store '", dir_,
                    "' is BM25 only (it keeps no vectors); search it with BM25, or index again "
                    "with an embedder");
}

std::vector<float> VectorStore::normalised(const std::vector<float>& v, const char* what) const {
  LLMKIT_CHECK(static_cast<int>(v.size()) == dim_, "vector store '", dir_, "': ", what, " has ",
               v.size(), " floats; the index holds vectors of ", dim_, " (embedder '", embedder_,
               "')");
  double norm = 0.0;
  for (float x : v) {
    LLMKIT_CHECK(std::isfinite(x), "vector store '", dir_, "': ", what, " is not finite");
    norm += static_cast<double>(x) * x;
  }
  std::vector<float> out = v;
  if (norm > 0.0) {
    const double inv = 1.0 / std::sqrt(norm);
    for (float& x : out) x = static_cast<float>(x * inv);
  }
  return out;
}

std::unique_ptr<VectorStore::Writer> VectorStore::begin() {
  return std::unique_ptr<Writer>(new Writer(*this));
}

std::optional<DocumentInfo> VectorStore::find_document(const std::string& source) const {
  Stmt s(*read_db_,
         "SELECT d.id, d.source, d.title, d.mime, d.content_hash, d.metadata, (SELECT COUNT(*) "
         "FROM chunks c WHERE c.doc_id = d.id AND c.is_parent = 0) FROM documents d "
         "WHERE d.source = ?");
  s.bind(1, source);
  if (!s.step()) return std::nullopt;
  return DocumentInfo{s.column_int(0),  s.column_text(1), s.column_text(2),
                      s.column_text(3), s.column_text(4), nlohmann::json::parse(s.column_text(5)),
                      s.column_int(6)};
}

std::vector<DocumentInfo> VectorStore::documents() const {
  std::vector<DocumentInfo> out;
  Stmt s(*read_db_, "SELECT source FROM documents ORDER BY source");
  while (s.step()) out.push_back(*find_document(s.column_text(0)));
  return out;
}

std::optional<Document> VectorStore::get_document(const std::string& source) const {
  Stmt s(*read_db_,
         "SELECT source, title, mime, text, content_hash, pages, headings, metadata "
         "FROM documents WHERE source = ?");
  s.bind(1, source);
  if (!s.step()) return std::nullopt;
  Document d;
  d.source = s.column_text(0);
  d.title = s.column_text(1);
  d.mime = s.column_text(2);
  d.text = s.column_text(3);
  d.content_hash = s.column_text(4);
  for (const auto& p : nlohmann::json::parse(s.column_text(5))) {
    d.pages.push_back({p.at(0).get<size_t>(), p.at(1).get<int>()});
  }
  for (const auto& h : nlohmann::json::parse(s.column_text(6))) {
    d.headings.push_back({h.at(0).get<size_t>(), h.at(1).get<int>(), h.at(2).get<std::string>()});
  }
  d.metadata = nlohmann::json::parse(s.column_text(7));
  return d;
}

std::optional<StoredChunk> VectorStore::get_chunk(int64_t id) const {
  Stmt s(*read_db_, str_cat("SELECT ", kChunkColumns,
                            " FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE c.id = ?"));
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return read_chunk(s);
}

std::vector<float> VectorStore::get_embedding(int64_t id) const {
  Stmt s(*read_db_, "SELECT embedding FROM chunks WHERE id = ? AND is_parent = 0");
  s.bind(1, id);
  if (!s.step() || s.is_null(0)) return {};
  return s.column_floats(0);
}

std::vector<StoreHit> VectorStore::hits_for(
    const std::vector<std::pair<int64_t, double>>& scored) const {
  if (scored.empty()) return {};
  std::string ids;
  for (const auto& [id, score] : scored) ids += (ids.empty() ? "" : ",") + std::to_string(id);
  Stmt s(*read_db_,
         str_cat("SELECT ", kChunkColumns,
                 " FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE c.id IN (", ids, ")"));
  std::unordered_map<int64_t, StoredChunk> chunks;
  while (s.step()) {
    StoredChunk c = read_chunk(s);
    chunks.emplace(c.id, std::move(c));
  }
  std::vector<StoreHit> out;
  out.reserve(scored.size());
  for (const auto& [id, score] : scored) {
    auto it = chunks.find(id);
    if (it != chunks.end()) out.push_back({it->second, score});  // gone: deleted meanwhile
  }
  return out;
}

std::vector<StoreHit> VectorStore::search_dense(const std::vector<float>& query, size_t k,
                                                const Filter& filter) const {
  check_has_vectors();
  std::shared_lock lock(state_);
  if (!filter.empty() || index_->size() < options_.exact_below) {
    lock.unlock();
    return search_dense_exact(query, k, filter);
  }
  const std::vector<float> q = normalised(query, "the query vector");
  std::vector<std::pair<int64_t, double>> scored;
  for (const auto& [id, sim] : index_->search(q.data(), k)) scored.emplace_back(id, sim);
  return hits_for(scored);
}

std::vector<StoreHit> VectorStore::search_dense_exact(const std::vector<float>& query, size_t k,
                                                      const Filter& filter) const {
  check_has_vectors();
  const std::vector<float> q = normalised(query, "the query vector");
  const SqlCondition cond = filter_to_sql(filter);
  Stmt s(*read_db_,
         "SELECT c.id, c.embedding FROM chunks c JOIN documents d ON d.id = c.doc_id "
         "WHERE c.is_parent = 0 AND (" +
             cond.sql + ")");
  bind_params(s, 1, cond.params);
  std::vector<std::pair<int64_t, double>> scored;
  while (s.step()) {
    const std::vector<float> v = s.column_floats(1);
    if (v.size() != q.size()) continue;
    double dot = 0.0;
    for (size_t i = 0; i < v.size(); ++i) dot += static_cast<double>(v[i]) * q[i];
    scored.emplace_back(s.column_int(0), dot);
  }
  auto better = [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  };
  const size_t n = std::min(k, scored.size());
  std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(n), scored.end(),
                    better);
  scored.resize(n);
  return hits_for(scored);
}

std::vector<StoreHit> VectorStore::search_bm25(const std::string& query, size_t k,
                                               const Filter& filter) const {
  const std::string match = fts5_match_query(query);
  if (match.empty() || k == 0) return {};
  const SqlCondition cond = filter_to_sql(filter);
  Stmt s(*read_db_,
         "SELECT c.id, bm25(chunks_fts) AS rank FROM chunks_fts JOIN chunks c ON c.id = "
         "chunks_fts.rowid JOIN documents d ON d.id = c.doc_id WHERE chunks_fts MATCH ? AND (" +
             cond.sql + ") ORDER BY rank, c.id LIMIT ?");
  s.bind(1, match);
  bind_params(s, 2, cond.params);
  s.bind(2 + static_cast<int>(cond.params.size()), static_cast<int64_t>(k));
  std::vector<std::pair<int64_t, double>> scored;
  while (s.step()) scored.emplace_back(s.column_int(0), -s.column_double(1));
  return hits_for(scored);
}

StoreStats VectorStore::stats() const {
  StoreStats st;
  st.embedder = embedder_;
  st.dim = dim_;
  Stmt s(*read_db_,
         "SELECT (SELECT COUNT(*) FROM documents), (SELECT COUNT(*) FROM chunks WHERE "
         "is_parent = 0), (SELECT COUNT(*) FROM chunks WHERE is_parent = 1)");
  s.step();
  st.documents = s.column_int(0);
  st.chunks = s.column_int(1);
  st.parents = s.column_int(2);
  std::shared_lock lock(state_);
  st.generation = generation_;
  st.hnsw_size = index_ ? index_->size() : 0;
  st.hnsw_deleted = index_ ? index_->deleted() : 0;
  st.graph_rebuilt = graph_rebuilt_;
  return st;
}

}  // namespace llmkit::rag
