#include "llmkit/base/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "llmkit/base/error.h"

namespace llmkit {
namespace {

class FdSink : public FileSink {
 public:
  FdSink(int fd, const std::string& path) : fd_(fd), path_(path) {}
  void write(const void* data, size_t size) override {
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
      ssize_t n = ::write(fd_, p, size);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw_error(ErrorCode::kIo,
                    str_cat("write to '", path_, "' failed: ", std::strerror(errno)));
      }
      p += n;
      size -= static_cast<size_t>(n);
    }
  }

 private:
  int fd_;
  const std::string& path_;
};

std::string parent_dir(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

void write_file_atomic(const std::string& path, const std::function<void(FileSink&)>& produce) {
  std::string tmp = str_cat(path, ".tmp.", ::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw_error(ErrorCode::kIo, str_cat("cannot create '", tmp, "' (writing '", path,
                                        "'): ", std::strerror(errno)));
  }
  try {
    FdSink sink(fd, tmp);
    produce(sink);
    if (::fsync(fd) != 0) {
      throw_error(ErrorCode::kIo, str_cat("fsync of '", tmp, "' failed: ", std::strerror(errno)));
    }
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw_error(ErrorCode::kIo,
                str_cat("cannot rename '", tmp, "' to '", path, "': ", std::strerror(err)));
  }
  int dir_fd = ::open(parent_dir(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
}

void write_file_atomic(const std::string& path, const std::string& contents) {
  write_file_atomic(path, [&](FileSink& sink) { sink.write(contents.data(), contents.size()); });
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ErrorCode code = errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo;
    throw_error(code, str_cat("cannot open '", path, "': ", std::strerror(errno)));
  }
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) throw_error(ErrorCode::kIo, str_cat("read of '", path, "' failed"));
  return out.str();
}

}  // namespace llmkit
