#include "llmkit/rag/directory_loader.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>

#include "llmkit/base/error.h"
#include "llmkit/rag/content_hash.h"
#include "llmkit/rag/loader_internal.h"
#include "llmkit/rag/loaders.h"

namespace llmkit::rag {
namespace fs = std::filesystem;
namespace {

// One path segment against one pattern segment (no '/' in either).
bool match_segment(std::string_view p, std::string_view s) {
  size_t pi = 0, si = 0;
  size_t star_p = std::string_view::npos, star_s = 0;  // backtrack point of the last '*'
  while (si < s.size()) {
    if (pi < p.size() && p[pi] == '*') {
      star_p = pi++;
      star_s = si;
      continue;
    }
    if (pi < p.size() && p[pi] == '[') {
      size_t close = p.find(']', pi + 2);
      if (close != std::string_view::npos) {
        bool negate = p[pi + 1] == '!' || p[pi + 1] == '^';
        bool found = false;
        for (size_t k = pi + 1 + (negate ? 1 : 0); k < close; ++k) {
          if (k + 2 < close && p[k + 1] == '-') {
            found = found || (s[si] >= p[k] && s[si] <= p[k + 2]);
            k += 2;
          } else {
            found = found || s[si] == p[k];
          }
        }
        if (found != negate) {
          pi = close + 1;
          ++si;
          continue;
        }
      } else if (s[si] == '[') {  // an unclosed '[' is literal
        ++pi;
        ++si;
        continue;
      }
    } else if (pi < p.size() && (p[pi] == '?' || p[pi] == s[si])) {
      ++pi;
      ++si;
      continue;
    }
    if (star_p == std::string_view::npos) return false;
    pi = star_p + 1;
    si = ++star_s;
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

std::vector<std::string_view> segments(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t slash = s.find('/', start);
    if (slash == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    if (slash > start) out.push_back(s.substr(start, slash - start));
    start = slash + 1;
  }
}

bool match_segments(const std::vector<std::string_view>& p, size_t pi,
                    const std::vector<std::string_view>& s, size_t si) {
  if (pi == p.size()) return si == s.size();
  if (p[pi] == "**") {
    for (size_t k = si; k <= s.size(); ++k) {
      if (match_segments(p, pi + 1, s, k)) return true;
    }
    return false;
  }
  return si < s.size() && match_segment(p[pi], s[si]) && match_segments(p, pi + 1, s, si + 1);
}

bool matches_any(const std::vector<std::string>& patterns, const std::string& rel) {
  for (const std::string& p : patterns) {
    if (glob_match(p, rel)) return true;
  }
  return false;
}

struct Candidates {
  std::set<std::string> files;  // normalised paths
  std::map<std::string, std::string> skipped;
};

std::string normal(const fs::path& p) {
  return p.lexically_normal().generic_string();
}

bool hidden(const fs::path& name) {
  std::string n = name.filename().string();
  return !n.empty() && n[0] == '.' && n != "." && n != "..";
}

void walk_directory(const fs::path& root, const LoadOptions& options, Candidates& out) {
  std::error_code ec;
  auto it =
      fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
  if (ec) {
    out.skipped[normal(root)] = "cannot list the directory: " + ec.message();
    return;
  }
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) {
      out.skipped[normal(it->path())] = "cannot list the directory: " + ec.message();
      ec.clear();
      continue;
    }
    const fs::path& path = it->path();
    bool is_dir = it->is_directory(ec);
    if (!options.include_hidden && hidden(path)) {
      if (is_dir) it.disable_recursion_pending();
      continue;
    }
    if (is_dir) {
      if (!options.recursive) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file(ec)) continue;  // sockets, fifos, broken links
    std::string rel = path.lexically_relative(root).generic_string();
    if (!options.include.empty() && !matches_any(options.include, rel)) continue;
    if (matches_any(options.exclude, rel)) continue;
    out.files.insert(normal(path));
  }
}

Candidates find_files(const std::vector<std::string>& paths, const LoadOptions& options) {
  Candidates out;
  for (const std::string& p : paths) {
    std::error_code ec;
    fs::file_status status = fs::status(p, ec);
    if (!fs::exists(status)) {
      out.skipped[normal(p)] = "does not exist";
    } else if (fs::is_directory(status)) {
      walk_directory(p, options, out);
    } else if (!fs::is_regular_file(status)) {
      out.skipped[normal(p)] = "not a regular file";
    } else {
      out.files.insert(normal(p));
    }
  }
  for (const std::string& path : out.files) out.skipped.erase(path);
  return out;
}

// size and mtime of path, or an error message.
std::string stat_file(const std::string& path, SourceFile& file) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return std::string("cannot stat: ") + std::strerror(errno);
  file.size = static_cast<std::uint64_t>(st.st_size);
  file.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  return {};
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view path) {
  if (pattern.find('/') == std::string_view::npos) {
    size_t slash = path.rfind('/');
    return match_segment(pattern, slash == std::string_view::npos ? path : path.substr(slash + 1));
  }
  return match_segments(segments(pattern), 0, segments(path), 0);
}

std::vector<SourceFile> list_sources(const std::vector<std::string>& paths,
                                     const LoadOptions& options) {
  Candidates found = find_files(paths, options);
  std::map<std::string, SourceFile> files;
  for (const auto& [path, reason] : found.skipped) {
    files[path].path = path;
    files[path].error = reason;
  }
  for (const std::string& path : found.files) {
    SourceFile file;
    file.path = path;
    file.error = stat_file(path, file);
    if (file.error.empty() && file.size > options.max_file_bytes) {
      file.error = str_cat("larger than the limit of ", options.max_file_bytes, " bytes");
    }
    if (file.error.empty()) {
      try {
        std::string bytes = read_file_bytes(path);
        file.hash = content_hash(bytes);
        // Binary files are flagged here already, so that an indexer does not load them again
        // on every run.
        if (detect_mime(path, bytes) != "application/pdf") detail::checked_utf8(bytes, path);
      } catch (const Error& e) {
        file.error = e.what();
      }
    }
    files[path] = std::move(file);
  }
  std::vector<SourceFile> out;
  for (auto& [path, file] : files) out.push_back(std::move(file));
  return out;
}

LoadReport load_paths(const std::vector<std::string>& paths, const LoadOptions& options) {
  Candidates found = find_files(paths, options);
  LoadReport report;
  for (const std::string& path : found.files) {
    SourceFile file;
    file.path = path;
    std::string error = stat_file(path, file);
    if (error.empty() && file.size > options.max_file_bytes) {
      error = str_cat("larger than the limit of ", options.max_file_bytes, " bytes");
    }
    if (!error.empty()) {
      found.skipped[path] = error;
      continue;
    }
    try {
      Document doc = load_file(path);
      doc.metadata["size"] = file.size;
      doc.metadata["mtime_ns"] = file.mtime_ns;
      report.documents.push_back(std::move(doc));
    } catch (const Error& e) {
      found.skipped[path] = e.what();
    } catch (const std::exception& e) {  // e.g. std::bad_alloc from a parser
      found.skipped[path] = e.what();
    }
  }
  report.skipped.assign(found.skipped.begin(), found.skipped.end());
  return report;
}

}  // namespace llmkit::rag
