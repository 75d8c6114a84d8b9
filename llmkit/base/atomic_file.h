// Atomic file writes: the data goes to a temporary file in the same folder, is fsync'ed, and is
// renamed over the destination. A crash at any point leaves either the old file or the new one,
// never a mix. Throws Error(kIo) naming the path on failure (the temporary file is removed).
#pragma once

#include <cstddef>
#include <functional>
#include <string>

namespace llmkit {

// Writer interface handed to the callback of write_file_atomic.
class FileSink {
 public:
  virtual ~FileSink() = default;
  virtual void write(const void* data, size_t size) = 0;
};

// Calls produce(sink); everything written to sink ends up at path atomically.
void write_file_atomic(const std::string& path, const std::function<void(FileSink&)>& produce);

// Convenience: writes the whole string at once.
void write_file_atomic(const std::string& path, const std::string& contents);

// Reads a whole file into a string; throws Error(kNotFound / kIo) naming the path.
std::string read_file(const std::string& path);

}  // namespace llmkit
