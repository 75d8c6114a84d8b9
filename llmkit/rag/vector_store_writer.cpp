// VectorStore::Writer: one write transaction of the store (see vector_store.h for the commit
// protocol).
#include <filesystem>

#include "llmkit/base/error.h"
#include "llmkit/rag/sqlite_db.h"
#include "llmkit/rag/vector_store.h"

namespace llmkit::rag {

namespace fs = std::filesystem;

VectorStore::Writer::Writer(VectorStore& store) : store_(store), lock_(store.writer_mutex_) {
  txn_ = std::make_unique<DbTransaction>(*store_.write_db_);
  Db& db = *store_.write_db_;
  const int64_t committed =
      std::stoll(*db.query_text("SELECT value FROM meta WHERE key = "
                                "'generation'"));
  std::unique_lock state(store_.state_);
  if (committed != store_.generation_) {
    // Another object or process committed since we loaded: start from its generation.
    try {
      store_.load_state_from(db);
    } catch (const Error&) {
      store_.rebuild_locked();
    }
  }
  // Under the write lock no one else is writing a graph file: leftovers are orphans.
  store_.remove_stale_files(store_.generation_);
}

VectorStore::Writer::~Writer() = default;  // txn_ rolls back when not committed

int64_t VectorStore::Writer::add_document(const DocumentEntry& entry) {
  LLMKIT_CHECK(active_, "vector store '", store_.dir_, "': this writer already committed");
  const Document& doc = entry.document;
  const std::string what = str_cat("vector store '", store_.dir_, "', document '", doc.source, "'");
  const bool vectors_kept = store_.dim_ > 0;  // dim 0: a BM25-only index
  LLMKIT_CHECK(
      vectors_kept ? entry.embeddings.size() == entry.chunks.size() : entry.embeddings.empty(),
      what, ": ", entry.chunks.size(), " chunks but ", entry.embeddings.size(), " embeddings",
      vectors_kept ? "" : " (the index is BM25 only: give none)");
  LLMKIT_CHECK(entry.parent_of.empty() || entry.parent_of.size() == entry.chunks.size(), what,
               ": parent_of has ", entry.parent_of.size(), " entries for ", entry.chunks.size(),
               " chunks");
  for (int p : entry.parent_of) {
    LLMKIT_CHECK(p >= -1 && p < static_cast<int>(entry.parents.size()), what, ": parent index ", p,
                 " outside [-1, ", entry.parents.size(), ")");
  }
  Db& db = *store_.write_db_;
  {
    Stmt exists(db, "SELECT 1 FROM documents WHERE source = ?");
    exists.bind(1, doc.source);
    LLMKIT_CHECK(!exists.step(), what, " is already indexed; replace or delete it first");
  }
  std::vector<std::vector<float>> vectors;
  for (size_t i = 0; vectors_kept && i < entry.chunks.size(); ++i) {
    vectors.push_back(store_.normalised(entry.embeddings[i], "a chunk embedding"));
  }
  nlohmann::json pages = nlohmann::json::array(), headings = nlohmann::json::array();
  for (const auto& p : doc.pages) pages.push_back({p.offset, p.page});
  for (const auto& h : doc.headings) headings.push_back({h.offset, h.level, h.title});
  Stmt d(db,
         "INSERT INTO documents(source, title, mime, content_hash, metadata, text, pages, "
         "headings) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  d.bind(1, doc.source).bind(2, doc.title).bind(3, doc.mime).bind(4, doc.content_hash);
  d.bind(5, doc.metadata.dump()).bind(6, doc.text).bind(7, pages.dump()).bind(8, headings.dump());
  d.run();
  const int64_t doc_id = db.last_insert_id();

  Stmt c(db,
         "INSERT INTO chunks(doc_id, idx, begin_offset, end_offset, text, metadata, parent_id, "
         "is_parent, embedding) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  auto insert = [&](const Chunk& chunk, std::optional<int64_t> parent, bool is_parent,
                    const float* vec) {
    c.bind(1, doc_id).bind(2, static_cast<int64_t>(chunk.index));
    c.bind(3, static_cast<int64_t>(chunk.begin)).bind(4, static_cast<int64_t>(chunk.end));
    c.bind(5, chunk.text).bind(6, chunk.metadata.dump());
    parent ? c.bind(7, *parent) : c.bind_null(7);
    c.bind(8, static_cast<int64_t>(is_parent ? 1 : 0));
    vec ? c.bind_blob(9, vec, sizeof(float) * store_.dim_) : c.bind_null(9);
    c.run();
    return db.last_insert_id();
  };
  std::vector<int64_t> parent_ids;
  for (const auto& p : entry.parents) {
    parent_ids.push_back(insert(p, std::nullopt, true, nullptr));
  }
  for (size_t i = 0; i < entry.chunks.size(); ++i) {
    std::optional<int64_t> parent;
    if (!entry.parent_of.empty() && entry.parent_of[i] >= 0) {
      parent = parent_ids[static_cast<size_t>(entry.parent_of[i])];
    }
    const int64_t id =
        insert(entry.chunks[i], parent, false, vectors_kept ? vectors[i].data() : nullptr);
    if (vectors_kept) ops_.push_back({true, id, std::move(vectors[i])});
  }
  return doc_id;
}

bool VectorStore::Writer::delete_document(const std::string& source) {
  LLMKIT_CHECK(active_, "vector store '", store_.dir_, "': this writer already committed");
  Db& db = *store_.write_db_;
  Stmt find(db, "SELECT id FROM documents WHERE source = ?");
  find.bind(1, source);
  if (!find.step()) return false;
  const int64_t doc_id = find.column_int(0);
  Stmt ids(db, "SELECT id FROM chunks WHERE doc_id = ? AND is_parent = 0");
  ids.bind(1, doc_id);
  while (ids.step()) {
    if (store_.dim_ > 0) ops_.push_back({false, ids.column_int(0), {}});
  }
  Stmt del_chunks(db, "DELETE FROM chunks WHERE doc_id = ?");
  del_chunks.bind(1, doc_id);
  del_chunks.run();
  Stmt del_doc(db, "DELETE FROM documents WHERE id = ?");
  del_doc.bind(1, doc_id);
  del_doc.run();
  return true;
}

int64_t VectorStore::Writer::replace_document(const DocumentEntry& entry) {
  delete_document(entry.document.source);
  return add_document(entry);
}

void VectorStore::Writer::commit() {
  LLMKIT_CHECK(active_, "vector store '", store_.dir_, "': this writer already committed");
  VectorStore& s = store_;
  Db& db = *s.write_db_;
  auto hook = [&](const char* stage) {
    if (s.options_.commit_hook) s.options_.commit_hook(stage);
  };
  if (ops_.empty()) {  // no chunk added or removed: the graph and its generation stay
    txn_->commit();
    active_ = false;
    lock_.unlock();
    return;
  }
  std::unique_lock state(s.state_);
  const int64_t old_generation = s.generation_;
  const int64_t generation = old_generation + 1;
  const std::string path = s.hnsw_path(generation);
  try {
    for (const Op& op : ops_) {
      if (op.add) {
        s.index_->add(op.id, op.vec.data());
      } else {
        s.index_->remove(op.id);
      }
    }
    if (s.index_->size() == 0) {
      s.index_ = std::make_unique<HnswIndex>(s.dim_, s.options_.hnsw);
    } else if (s.index_->deleted() > s.index_->size()) {
      s.index_ = s.index_->compacted();
    }
    const std::string digest = s.index_->size() == 0 ? "" : s.index_->save(path);
    hook("hnsw_saved");
    Stmt u(db, "UPDATE meta SET value = ? WHERE key = ?");
    u.bind(1, std::to_string(generation)).bind(2, std::string("generation"));
    u.run();
    u.bind(1, digest).bind(2, std::string("hnsw_digest"));
    u.run();
    u.bind(1, std::to_string(s.index_->size())).bind(2, std::string("hnsw_count"));
    u.run();
    hook("meta_updated");
    txn_->commit();
  } catch (...) {
    txn_.reset();  // rolls back
    std::error_code ec;
    fs::remove(path, ec);
    try {
      s.load_state_from(db);  // back to the committed graph
    } catch (...) {
      s.generation_ = -1;  // the next Writer reloads or rebuilds
    }
    active_ = false;
    throw;
  }
  s.generation_ = generation;
  active_ = false;
  ops_.clear();
  state.unlock();
  hook("committed");
  std::error_code ec;
  fs::remove(s.hnsw_path(old_generation), ec);
  lock_.unlock();
}

}  // namespace llmkit::rag
