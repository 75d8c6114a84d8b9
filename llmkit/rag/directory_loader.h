// Loading many sources at once: files and directory trees filtered by glob patterns, with every
// failure reported instead of thrown, in a deterministic order.
//
// Globs (glob_match): '*' any run of characters except '/', '?' one character except '/',
// "[abc]" / "[a-z]" / "[!abc]" one character of (not of) a set, "**" as a whole path segment any
// number of segments (zero included: "**/*.md" matches "a.md" and "x/y/a.md"). A pattern without
// '/' is matched against the file name alone ("*.txt" matches "x/y/a.txt"); one with '/' against
// the path relative to the directory given.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "llmkit/rag/document.h"

namespace llmkit::rag {

struct LoadOptions {
  // Files found in directories are taken when they match some include pattern (all files when
  // include is empty) and no exclude pattern. Files named directly in `paths` are always taken.
  std::vector<std::string> include;
  std::vector<std::string> exclude;
  bool recursive = true;        // descend into subdirectories
  bool include_hidden = false;  // walk into / take names starting with '.' (".git", ".env")
  std::uint64_t max_file_bytes = std::uint64_t{256} << 20;  // larger files are skipped
};

struct LoadReport {
  std::vector<Document> documents;  // sorted by source
  // (path, reason) for each file or path that could not be loaded: missing, unreadable, binary,
  // unsupported, too large, a corrupt PDF; sorted by path.
  std::vector<std::pair<std::string, std::string>> skipped;
};

// A source file found by list_sources, described without extracting its text.
struct SourceFile {
  std::string path;  // as Document::source would be
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;  // last modification, nanoseconds since the Unix epoch
  std::string hash;           // content_hash of the raw bytes; "" when the file could not be read
  std::string error;  // why it cannot be loaded (unreadable, too large, binary); "" when fine
};

// True when path (with '/' separators) matches the glob pattern, as described above.
bool glob_match(std::string_view pattern, std::string_view path);

// Loads every file of `paths` (files or directories; directories are walked per options) with
// load_file. Never throws for a bad file or path: it goes to `skipped`. Each document's metadata
// gets "size" (bytes) and "mtime_ns". Paths are normalised lexically ("./a//b.txt" -> "a/b.txt")
// and each file is loaded once even when named twice.
LoadReport load_paths(const std::vector<std::string>& paths, const LoadOptions& options = {});

// The files load_paths would load, with size, mtime and the hash of their raw bytes (no text
// extraction: cheap enough to decide which files changed since the last indexing). Files that
// cannot be read, are too large or fail the binary check of loaders.h are listed with `error`
// set (binary ones with their hash too); paths that do not exist are listed the same way. Sorted
// by path. A file without `error` can still fail to load (a corrupt PDF).
std::vector<SourceFile> list_sources(const std::vector<std::string>& paths,
                                     const LoadOptions& options = {});

}  // namespace llmkit::rag
