// Read-only memory mapping of a whole file.
//
// Ownership: the mapping lives as long as the MappedFile (hold it in a shared_ptr to share views
// of its bytes). Throws Error(kNotFound / kIo) naming the path when the file cannot be opened.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace llmkit {

class MappedFile {
 public:
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace llmkit
