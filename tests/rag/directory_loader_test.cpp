// load_paths / list_sources over a generated tree, and glob_match against hand-worked cases
// (the usual shell / gitignore meaning of *, ?, [..] and **).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>

#include "llmkit/rag/content_hash.h"
#include "llmkit/rag/directory_loader.h"
#include "tests/rag/loader_test_util.h"

namespace llmkit::rag {
namespace {

using testing::TempDir;
using testing::write_file;

TEST(GlobMatch, HandWorkedCases) {
  struct Case {
    const char* pattern;
    const char* path;
    bool match;
  } cases[] = {
      {"*.md", "a.md", true},
      {"*.md", "x/y/a.md", true},  // no '/': the file name alone
      {"*.md", "a.mdx", false},
      {"*.md", "md", false},
      {"a?c.txt", "abc.txt", true},
      {"a?c.txt", "ac.txt", false},
      {"[ab]*.txt", "b1.txt", true},
      {"[!ab]*.txt", "b1.txt", false},
      {"[!ab]*.txt", "c1.txt", true},
      {"file[0-9].txt", "file7.txt", true},
      {"file[0-9].txt", "fileX.txt", false},
      {"**/*.md", "a.md", true},
      {"**/*.md", "x/y/a.md", true},
      {"docs/*.md", "docs/a.md", true},
      {"docs/*.md", "docs/sub/a.md", false},  // '*' does not cross '/'
      {"docs/**", "docs/sub/a.md", true},
      {"docs/**/a.md", "docs/a.md", true},
      {"docs/**/a.md", "docs/p/q/a.md", true},
      {"docs/**/a.md", "other/docs/a.md", false},
      {"*/a.md", "x/a.md", true},
      {"*/a.md", "x/y/a.md", false},
      {"*a*b*", "xaybz", true},
      {"*a*b*", "xbya", false},
      {"", "", true},
      {"*", "anything.txt", true},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(glob_match(c.pattern, c.path), c.match) << c.pattern << " vs " << c.path;
  }
}

class DirectoryLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write_file(dir_.file("a.md"), "# A\ntext a\n");
    write_file(dir_.file("b.txt"), "text b\n");
    write_file(dir_.file("sub/c.md"), "# C\n");
    write_file(dir_.file("sub/deep/d.md"), "# D\n");
    write_file(dir_.file("sub/page.html"), "<title>P</title><p>html</p>");
    write_file(dir_.file(".hidden/e.md"), "# E\n");
    write_file(dir_.file(".secret.txt"), "secret\n");
    write_file(dir_.file("bin/data.bin"), std::string("\x7F"
                                                      "ELF\0\0\0\x01",
                                                      8));
  }
  std::string root() const { return dir_.path(); }
  std::string at(const std::string& rel) const { return root() + "/" + rel; }

  static std::vector<std::string> sources(const LoadReport& r) {
    std::vector<std::string> out;
    for (const Document& d : r.documents) out.push_back(d.source);
    return out;
  }

  TempDir dir_;
};

TEST_F(DirectoryLoaderTest, IncludeExcludeAndRecursion) {
  LoadOptions md;
  md.include = {"**/*.md"};
  EXPECT_EQ(sources(load_paths({root()}, md)),
            (std::vector<std::string>{at("a.md"), at("sub/c.md"), at("sub/deep/d.md")}));

  md.exclude = {"sub/deep/**"};
  EXPECT_EQ(sources(load_paths({root()}, md)),
            (std::vector<std::string>{at("a.md"), at("sub/c.md")}));

  LoadOptions flat;
  flat.recursive = false;
  flat.include = {"*.md", "*.txt"};
  EXPECT_EQ(sources(load_paths({root()}, flat)),
            (std::vector<std::string>{at("a.md"), at("b.txt")}));

  LoadOptions hidden;
  hidden.include = {"*.md", "*.txt"};
  hidden.include_hidden = true;
  std::vector<std::string> all = sources(load_paths({root()}, hidden));
  EXPECT_NE(std::find(all.begin(), all.end(), at(".hidden/e.md")), all.end());
  EXPECT_NE(std::find(all.begin(), all.end(), at(".secret.txt")), all.end());
}

TEST_F(DirectoryLoaderTest, BadFilesAreSkippedWithReasonsNeverThrown) {
  LoadReport report = load_paths({root(), at("missing.txt")});
  EXPECT_EQ(sources(report), (std::vector<std::string>{at("a.md"), at("b.txt"), at("sub/c.md"),
                                                       at("sub/deep/d.md"), at("sub/page.html")}));
  ASSERT_EQ(report.skipped.size(), 2u);
  EXPECT_EQ(report.skipped[0].first, at("bin/data.bin"));
  EXPECT_NE(report.skipped[0].second.find("binary"), std::string::npos);
  EXPECT_EQ(report.skipped[1].first, at("missing.txt"));
  EXPECT_NE(report.skipped[1].second.find("does not exist"), std::string::npos);
  // Each document was loaded by the right loader and carries size and mtime.
  for (const Document& d : report.documents) {
    struct stat st;
    ASSERT_EQ(::stat(d.source.c_str(), &st), 0);
    EXPECT_EQ(d.metadata.value("size", -1), st.st_size);
    EXPECT_EQ(d.metadata.value("mtime_ns", int64_t{0}),
              int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec);
  }
  EXPECT_EQ(report.documents[4].mime, "text/html");
  EXPECT_EQ(report.documents[4].title, "P");

  LoadReport device = load_paths({"/dev/null"});
  EXPECT_TRUE(device.documents.empty());
  ASSERT_EQ(device.skipped.size(), 1u);
  EXPECT_EQ(device.skipped[0].second, "not a regular file");

  LoadOptions small;
  small.max_file_bytes = 8;
  small.include = {"a.md"};
  LoadReport limited = load_paths({root()}, small);
  EXPECT_TRUE(limited.documents.empty());
  ASSERT_EQ(limited.skipped.size(), 1u);
  EXPECT_NE(limited.skipped[0].second.find("larger"), std::string::npos);
}

TEST_F(DirectoryLoaderTest, ExplicitFilesAreTakenOnceAndNormalised) {
  LoadOptions md;
  md.include = {"*.md"};  // does not filter files named directly
  LoadReport report = load_paths({at("b.txt"), root() + "/./sub/../b.txt", at("a.md")}, md);
  EXPECT_EQ(sources(report), (std::vector<std::string>{at("a.md"), at("b.txt")}));
  EXPECT_TRUE(report.skipped.empty());
}

TEST_F(DirectoryLoaderTest, ListSourcesHashesRawBytesAndSeesChanges) {
  LoadOptions md;
  md.include = {"**/*.md", "*.bin"};
  std::vector<SourceFile> before = list_sources({root(), at("nope.md")}, md);
  std::vector<std::string> paths;
  for (const SourceFile& f : before) paths.push_back(f.path);
  EXPECT_EQ(paths, (std::vector<std::string>{at("a.md"), at("bin/data.bin"), at("nope.md"),
                                             at("sub/c.md"), at("sub/deep/d.md")}));
  for (const SourceFile& f : before) {
    if (f.path == at("nope.md")) {
      EXPECT_FALSE(f.error.empty());
      EXPECT_TRUE(f.hash.empty());
      continue;
    }
    std::string bytes = testing::read_file(f.path);
    if (f.path == at("bin/data.bin")) {
      EXPECT_NE(f.error.find("binary"), std::string::npos) << f.error;
    } else {
      EXPECT_TRUE(f.error.empty()) << f.error;
    }
    EXPECT_EQ(f.hash, content_hash(bytes));
    EXPECT_EQ(f.size, bytes.size());
    EXPECT_GT(f.mtime_ns, 0);
  }
  // The hash agrees with the loaded document's, so an indexer can compare them.
  EXPECT_EQ(before[0].hash, load_paths({at("a.md")}).documents.at(0).content_hash);

  write_file(at("sub/c.md"), "# C changed\n");
  std::vector<SourceFile> after = list_sources({root()}, md);
  ASSERT_EQ(after.size(), 4u);
  EXPECT_EQ(after[0].hash, before[0].hash);
  EXPECT_EQ(after[2].path, at("sub/c.md"));
  EXPECT_NE(after[2].hash, before[3].hash);
  EXPECT_EQ(after[3].hash, before[4].hash);
}

}  // namespace
}  // namespace llmkit::rag
