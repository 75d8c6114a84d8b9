// A flat, shared byte buffer that tensors view into.
//
// Ownership: either owned (64-byte aligned heap memory, freed with the Storage) or borrowed from
// another owner (e.g. a memory-mapped file) that `keep_alive` keeps alive as long as the Storage.
// Thread safety: the object is immutable; concurrent writes to its bytes are the caller's business.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace llmkit {

class Storage {
 public:
  // 64-byte aligned; zero-filled unless zero_fill is false (then the bytes are unspecified).
  static std::shared_ptr<Storage> allocate(size_t nbytes, bool zero_fill = true);
  // Borrows [data, data + nbytes); keep_alive owns the memory.
  static std::shared_ptr<Storage> borrow(void* data, size_t nbytes,
                                         std::shared_ptr<void> keep_alive);

  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  uint8_t* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }

 private:
  Storage() = default;
  uint8_t* data_ = nullptr;
  size_t nbytes_ = 0;
  bool owned_ = false;
  std::shared_ptr<void> keep_alive_;
};

}  // namespace llmkit
