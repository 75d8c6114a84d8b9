#include "llmkit/io/safetensors.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "llmkit/base/atomic_file.h"
#include "llmkit/tensor/view.h"

namespace llmkit::io {
namespace {

using Json = nlohmann::ordered_json;

constexpr const char* kMetadataKey = "__metadata__";
constexpr const char* kSupportedList = "F32, F16, BF16, I32";

// Every dtype the format defines that has a whole-byte element size. Sub-byte types (F4, F6_*)
// are not listed; a file that uses them is reported as using an unknown dtype.
struct FormatDType {
  const char* name;
  uint64_t size;
};
constexpr FormatDType kFormatDTypes[] = {
    {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E5M2", 1}, {"F8_E4M3", 1}, {"F8_E8M0", 1},
    {"I16", 2},  {"U16", 2}, {"F16", 2}, {"BF16", 2},    {"I32", 4},     {"U32", 4},
    {"F32", 4},  {"F64", 8}, {"I64", 8}, {"U64", 8},
};

bool to_llmkit_dtype(const std::string& s, DType* out) {
  if (s == "F32")
    *out = DType::kF32;
  else if (s == "F16")
    *out = DType::kF16;
  else if (s == "BF16")
    *out = DType::kBF16;
  else if (s == "I32")
    *out = DType::kI32;
  else
    return false;
  return true;
}

[[noreturn]] void corrupt(const std::string& path, const std::string& what) {
  throw_error(ErrorCode::kCorruptData, str_cat("safetensors file '", path, "': ", what));
}

[[noreturn]] void corrupt_tensor(const std::string& path, const std::string& name,
                                 const std::string& what) {
  corrupt(path, str_cat("tensor '", name, "': ", what));
}

bool json_u64(const Json& j, uint64_t* out) {
  if (!j.is_number_unsigned()) {
    // Non-negative integers parse as unsigned; a signed value here is negative.
    return false;
  }
  *out = j.get<uint64_t>();
  return true;
}

// Parses the header, rejecting duplicate keys inside any object (nlohmann keeps the last one
// silently, which would hide a corrupt file).
Json parse_header(const std::string& path, const char* text, size_t size) {
  std::vector<std::set<std::string>> open_objects;
  std::string duplicate;
  Json header;
  try {
    header = Json::parse(text, text + size, [&](int, Json::parse_event_t event, Json& parsed) {
      if (event == Json::parse_event_t::object_start) {
        open_objects.emplace_back();
      } else if (event == Json::parse_event_t::object_end) {
        if (!open_objects.empty()) open_objects.pop_back();
      } else if (event == Json::parse_event_t::key && !open_objects.empty()) {
        const std::string& key = parsed.get_ref<const std::string&>();
        if (!open_objects.back().insert(key).second && duplicate.empty()) duplicate = key;
      }
      return true;
    });
  } catch (const Json::exception& e) {
    corrupt(path, str_cat("the ", size, "-byte header is not valid JSON (", e.what(), ")"));
  }
  if (!duplicate.empty()) corrupt(path, str_cat("the header repeats the key '", duplicate, "'"));
  if (!header.is_object()) {
    corrupt(path, str_cat("the header must be a JSON object, got ", header.type_name()));
  }
  return header;
}

SafetensorsTensorInfo parse_entry(const std::string& path, const std::string& name,
                                  const Json& entry, uint64_t buffer_size) {
  if (!entry.is_object()) {
    corrupt_tensor(path, name, str_cat("entry must be a JSON object, got ", entry.type_name()));
  }
  SafetensorsTensorInfo info;
  info.name = name;

  auto dtype_it = entry.find("dtype");
  if (dtype_it == entry.end() || !dtype_it->is_string()) {
    corrupt_tensor(path, name, "missing string field \"dtype\"");
  }
  info.dtype_str = dtype_it->get<std::string>();
  uint64_t elem_size = 0;
  for (const FormatDType& d : kFormatDTypes) {
    if (info.dtype_str == d.name) elem_size = d.size;
  }
  if (elem_size == 0) {
    corrupt_tensor(
        path, name,
        str_cat("unknown dtype '", info.dtype_str, "' (llmkit reads ", kSupportedList, ")"));
  }
  info.supported = to_llmkit_dtype(info.dtype_str, &info.dtype);

  auto shape_it = entry.find("shape");
  if (shape_it == entry.end() || !shape_it->is_array()) {
    corrupt_tensor(path, name, "missing array field \"shape\"");
  }
  uint64_t numel = 1;
  bool overflow = false;
  for (const Json& d : *shape_it) {
    uint64_t v = 0;
    if (!json_u64(d, &v) || v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      corrupt_tensor(path, name,
                     str_cat("shape ", shape_it->dump(), " must hold non-negative integers"));
    }
    info.shape.push_back(static_cast<int64_t>(v));
    overflow = overflow || __builtin_mul_overflow(numel, v, &numel);
  }
  uint64_t nbytes = 0;
  overflow = overflow || __builtin_mul_overflow(numel, elem_size, &nbytes);
  if (overflow) corrupt_tensor(path, name, str_cat("shape ", shape_it->dump(), " is too large"));

  auto off_it = entry.find("data_offsets");
  if (off_it == entry.end() || !off_it->is_array() || off_it->size() != 2 ||
      !json_u64((*off_it)[0], &info.begin) || !json_u64((*off_it)[1], &info.end)) {
    corrupt_tensor(path, name,
                   "field \"data_offsets\" must be an array of two non-negative integers");
  }
  if (info.begin > info.end || info.end > buffer_size) {
    corrupt_tensor(path, name,
                   str_cat("data_offsets [", info.begin, ", ", info.end,
                           "] are outside the data buffer of ", buffer_size, " bytes"));
  }
  if (info.end - info.begin != nbytes) {
    corrupt_tensor(path, name,
                   str_cat("data_offsets [", info.begin, ", ", info.end, "] span ",
                           info.end - info.begin, " bytes but ", info.dtype_str, " shape ",
                           shape_to_string(info.shape), " needs ", nbytes));
  }
  return info;
}

// The spec requires the tensors to cover the data buffer exactly: no holes, overlaps or tail.
void check_coverage(const std::string& path, const std::vector<SafetensorsTensorInfo>& infos,
                    uint64_t buffer_size) {
  std::vector<const SafetensorsTensorInfo*> sorted;
  for (const auto& info : infos) sorted.push_back(&info);
  std::sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  uint64_t covered = 0;
  const SafetensorsTensorInfo* previous = nullptr;
  for (const auto* info : sorted) {
    if (info->begin < covered) {
      corrupt_tensor(path, info->name,
                     str_cat("bytes [", info->begin, ", ", info->end, ") overlap tensor '",
                             previous->name, "'"));
    }
    if (info->begin > covered) {
      corrupt_tensor(path, info->name,
                     str_cat("data starts at byte ", info->begin, " but the buffer is only ",
                             "covered up to byte ", covered, " (a hole in the data buffer)"));
    }
    covered = info->end;
    previous = info;
  }
  if (covered != buffer_size) {
    corrupt(path, str_cat("the tensors cover ", covered, " bytes of the ", buffer_size,
                          "-byte data buffer (unindexed trailing bytes)"));
  }
}

uint64_t read_u64_le(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

void write_u64_le(uint64_t v, uint8_t* p) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

}  // namespace

const char* safetensors_dtype_name(DType dtype) {
  switch (dtype) {
    case DType::kF32:
      return "F32";
    case DType::kF16:
      return "F16";
    case DType::kBF16:
      return "BF16";
    case DType::kI32:
      return "I32";
  }
  throw_error(ErrorCode::kUnsupported,
              str_cat("dtype ", dtype_name(dtype), " cannot be stored in safetensors"));
}

SafetensorsFile::SafetensorsFile(const std::string& path)
    : mapping_(std::make_shared<MappedFile>(path)) {
  const uint64_t file_size = mapping_->size();
  if (file_size < 8) {
    corrupt(path,
            str_cat("the file has ", file_size, " bytes, fewer than the 8-byte header length"));
  }
  const uint64_t header_size = read_u64_le(mapping_->data());
  if (header_size > file_size - 8) {
    corrupt(path, str_cat("header length ", header_size, " runs past the end of the ", file_size,
                          "-byte file (truncated or not a safetensors file)"));
  }
  data_start_ = 8 + header_size;
  const uint64_t buffer_size = file_size - data_start_;
  Json header =
      parse_header(path, reinterpret_cast<const char*>(mapping_->data() + 8), header_size);

  for (const auto& [key, value] : header.items()) {
    if (key == kMetadataKey) {
      if (!value.is_object()) corrupt(path, "\"__metadata__\" must be a JSON object");
      for (const auto& [mk, mv] : value.items()) {
        if (!mv.is_string()) {
          corrupt(path,
                  str_cat("metadata value of '", mk, "' must be a string, got ", mv.type_name()));
        }
        metadata_[mk] = mv.get<std::string>();
      }
      continue;
    }
    index_[key] = infos_.size();
    infos_.push_back(parse_entry(path, key, value, buffer_size));
    names_.push_back(key);
  }
  check_coverage(path, infos_, buffer_size);
}

const SafetensorsTensorInfo& SafetensorsFile::info(const std::string& name) const {
  auto it = index_.find(name);
  if (it == index_.end()) {
    throw_error(ErrorCode::kNotFound, str_cat("safetensors file '", path(), "' has no tensor '",
                                              name, "' (it holds ", names_.size(), " tensors)"));
  }
  return infos_[it->second];
}

Tensor SafetensorsFile::get(const std::string& name) const {
  const SafetensorsTensorInfo& ti = info(name);
  LLMKIT_CHECK_CODE(ti.supported, ErrorCode::kUnsupported, "safetensors file '", path(),
                    "': tensor '", name, "' has dtype ", ti.dtype_str, ", which llmkit cannot ",
                    "load (supported: ", kSupportedList, ")");
  const uint8_t* bytes = mapping_->data() + data_start_ + ti.begin;
  const size_t nbytes = ti.end - ti.begin;
  if (reinterpret_cast<uintptr_t>(bytes) % dtype_size(ti.dtype) != 0) return get_copy(name);
  // The mapping is PROT_READ; the const_cast only satisfies Storage's signature (see header).
  auto storage = Storage::borrow(const_cast<uint8_t*>(bytes), nbytes, mapping_);
  return Tensor::from_storage(std::move(storage), ti.shape, contiguous_strides(ti.shape), 0,
                              ti.dtype);
}

Tensor SafetensorsFile::get_copy(const std::string& name) const {
  const SafetensorsTensorInfo& ti = info(name);
  LLMKIT_CHECK_CODE(ti.supported, ErrorCode::kUnsupported, "safetensors file '", path(),
                    "': tensor '", name, "' has dtype ", ti.dtype_str, ", which llmkit cannot ",
                    "load (supported: ", kSupportedList, ")");
  Tensor out = Tensor::empty(ti.shape, ti.dtype);
  if (ti.end > ti.begin) {
    std::memcpy(out.raw_data(), mapping_->data() + data_start_ + ti.begin, ti.end - ti.begin);
  }
  return out;
}

NamedTensorList load_safetensors(const std::string& path, bool copy) {
  SafetensorsFile file(path);
  NamedTensorList out;
  out.reserve(file.names().size());
  for (const std::string& name : file.names()) {
    out.emplace_back(name, copy ? file.get_copy(name) : file.get(name));
  }
  return out;
}

void save_safetensors(const std::string& path, const NamedTensorList& tensors,
                      const std::map<std::string, std::string>& metadata) {
  // Validate and lay out everything before touching the file system.
  std::set<std::string> seen;
  std::vector<Tensor> contiguous;
  contiguous.reserve(tensors.size());
  Json header = Json::object();
  if (!metadata.empty()) {
    Json meta = Json::object();
    for (const auto& [k, v] : metadata) meta[k] = v;
    header[kMetadataKey] = meta;
  }
  for (const auto& [name, tensor] : tensors) {
    LLMKIT_CHECK(!name.empty(), "save_safetensors('", path, "'): tensor names must be non-empty");
    LLMKIT_CHECK(name != kMetadataKey, "save_safetensors('", path, "'): '", kMetadataKey,
                 "' is reserved and cannot name a tensor");
    LLMKIT_CHECK(seen.insert(name).second, "save_safetensors('", path,
                 "'): duplicate tensor name '", name, "'");
    LLMKIT_CHECK(tensor.defined(), "save_safetensors('", path, "'): tensor '", name,
                 "' is undefined");
    contiguous.push_back(ops::contiguous(tensor));
  }
  // The data buffer holds the tensors by decreasing element size (stable), so with the buffer at
  // a multiple of 8 every tensor is aligned to its element size and readers can map it in place.
  // The spec forbids padding between tensors, so ordering is the only way to get alignment.
  std::vector<size_t> data_order(tensors.size());
  for (size_t i = 0; i < data_order.size(); ++i) data_order[i] = i;
  std::stable_sort(data_order.begin(), data_order.end(), [&](size_t a, size_t b) {
    return dtype_size(contiguous[a].dtype()) > dtype_size(contiguous[b].dtype());
  });
  std::vector<uint64_t> begin(tensors.size());
  uint64_t offset = 0;
  for (size_t i : data_order) {
    begin[i] = offset;
    offset += contiguous[i].nbytes();
  }
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& c = contiguous[i];
    Json shape = Json::array();
    for (int64_t d : c.shape()) shape.push_back(d);
    header[tensors[i].first] =
        Json{{"dtype", safetensors_dtype_name(c.dtype())},
             {"shape", shape},
             {"data_offsets", Json::array({begin[i], begin[i] + c.nbytes()})}};
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');

  write_file_atomic(path, [&](FileSink& sink) {
    uint8_t length[8];
    write_u64_le(text.size(), length);
    sink.write(length, sizeof(length));
    sink.write(text.data(), text.size());
    for (size_t i : data_order) {
      const Tensor& c = contiguous[i];
      if (c.nbytes() > 0) sink.write(c.raw_data(), c.nbytes());
    }
  });
}

}  // namespace llmkit::io
