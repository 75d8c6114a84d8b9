#include "llmkit/tensor/storage.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include "llmkit/base/error.h"

namespace llmkit {

std::shared_ptr<Storage> Storage::allocate(size_t nbytes, bool zero_fill) {
  std::shared_ptr<Storage> s(new Storage());
  size_t rounded = (nbytes + 63) / 64 * 64;
  if (rounded == 0) rounded = 64;
  void* p = std::aligned_alloc(64, rounded);
  LLMKIT_CHECK_CODE(p != nullptr, ErrorCode::kIo, "out of memory allocating ", nbytes, " bytes");
  if (zero_fill) std::memset(p, 0, rounded);
  s->data_ = static_cast<uint8_t*>(p);
  s->nbytes_ = nbytes;
  s->owned_ = true;
  return s;
}

std::shared_ptr<Storage> Storage::borrow(void* data, size_t nbytes,
                                         std::shared_ptr<void> keep_alive) {
  std::shared_ptr<Storage> s(new Storage());
  s->data_ = static_cast<uint8_t*>(data);
  s->nbytes_ = nbytes;
  s->keep_alive_ = std::move(keep_alive);
  return s;
}

Storage::~Storage() {
  if (owned_) std::free(data_);
}

}  // namespace llmkit
