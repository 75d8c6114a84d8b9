#include "llmkit/tokenizer/sentencepiece_tokenizer.h"

#include <sentencepiece_processor.h>

#include "llmkit/base/atomic_file.h"
#include "llmkit/base/error.h"
#include "llmkit/tokenizer/hf_text.h"
#include "llmkit/tokenizer/model_proto.h"

namespace llmkit::tokenizer {

SentencePieceTokenizer::SentencePieceTokenizer(SentencePieceTokenizer&&) noexcept = default;
SentencePieceTokenizer& SentencePieceTokenizer::operator=(SentencePieceTokenizer&&) noexcept =
    default;
SentencePieceTokenizer::~SentencePieceTokenizer() = default;

SentencePieceTokenizer SentencePieceTokenizer::load(const std::string& path) {
  std::string bytes;
  try {
    bytes = read_file(path);
  } catch (const Error& e) {
    throw Error(e.code(), str_cat("cannot load tokenizer model: ", e.what()));
  }
  return from_serialized(std::move(bytes), path);
}

SentencePieceTokenizer SentencePieceTokenizer::from_serialized(std::string bytes,
                                                               std::string_view source) {
  auto corrupt = [&](const std::string& what) {
    throw_error(ErrorCode::kCorruptData, str_cat("tokenizer model '", source,
                                                 "' is not a valid SentencePiece model: ", what));
  };
  if (bytes.empty()) corrupt("the file is empty");
  // Our own parse first: it checks the wire format with bounds checks and yields the piece types
  // that the sentencepiece API does not expose.
  std::vector<ModelPiece> pieces = read_model_pieces(bytes, source);
  if (pieces.empty()) corrupt("it has no vocabulary");

  SentencePieceTokenizer t;
  t.sp_ = std::make_unique<sentencepiece::SentencePieceProcessor>();
  auto status = t.sp_->LoadFromSerializedProto(bytes);
  if (!status.ok()) corrupt(status.ToString());
  t.n_vocab_ = t.sp_->GetPieceSize();
  if (t.n_vocab_ != static_cast<int32_t>(pieces.size())) {
    corrupt(str_cat("vocabulary size ", t.n_vocab_, " disagrees with ", pieces.size(), " pieces"));
  }
  t.bos_id_ = t.sp_->bos_id();
  t.eos_id_ = t.sp_->eos_id();
  t.pad_id_ = t.sp_->pad_id();
  t.unk_id_ = t.sp_->unk_id();
  t.special_.resize(pieces.size());
  t.byte_.resize(pieces.size());
  for (size_t i = 0; i < pieces.size(); ++i) {
    PieceType type = pieces[i].type;
    t.special_[i] = type == PieceType::kControl || type == PieceType::kUnknown ? 1
                    : type == PieceType::kUserDefined                          ? 2
                                                                               : 0;
    t.byte_[i] = type == PieceType::kByte;
    if (type == PieceType::kControl && !pieces[i].piece.empty()) {
      t.control_.emplace_back(pieces[i].piece, static_cast<int32_t>(i));
    }
  }
  t.source_ = std::string(source);
  t.fingerprint_ = fnv1a_64(bytes);
  t.bytes_ = std::move(bytes);
  return t;
}

void SentencePieceTokenizer::save(const std::string& path) const {
  write_file_atomic(path, bytes_);
}

void SentencePieceTokenizer::check_id(int32_t id, const char* op) const {
  LLMKIT_CHECK_CODE(id >= 0 && id < n_vocab_, ErrorCode::kOutOfRange, "tokenizer ", op, ": id ", id,
                    " is outside the vocabulary [0, ", n_vocab_, ") of '", source_, "'");
}

std::vector<int32_t> SentencePieceTokenizer::encode(std::string_view text) const {
  std::vector<int> ids;
  auto status = sp_->Encode(absl::string_view(text.data(), text.size()), &ids);
  LLMKIT_CHECK_CODE(status.ok(), ErrorCode::kInternal,
                    "tokenizer encode failed: ", status.ToString());
  return std::vector<int32_t>(ids.begin(), ids.end());
}

std::vector<int32_t> SentencePieceTokenizer::encode(std::string_view text, bool add_bos,
                                                    bool parse_special) const {
  std::vector<int32_t> ids;
  auto append = [&](std::string_view section) {
    if (section.empty()) return;
    const std::vector<int32_t> part = encode(section);
    ids.insert(ids.end(), part.begin(), part.end());
  };
  if (!parse_special || control_.empty()) {
    append(text);
  } else {
    size_t start = 0, pos = 0;
    while (pos < text.size()) {
      int32_t match = -1;
      size_t match_len = 0;
      for (const auto& [piece, id] : control_) {
        if (piece.size() > match_len && text.substr(pos, piece.size()) == piece) {
          match = id;
          match_len = piece.size();
        }
      }
      if (match < 0) {
        ++pos;
        continue;
      }
      append(text.substr(start, pos - start));
      ids.push_back(match);
      pos += match_len;
      start = pos;
    }
    append(text.substr(start));
  }
  if (add_bos) prepend_bos(ids);
  return ids;
}

std::string SentencePieceTokenizer::token_to_piece(int32_t id, bool with_special) const {
  check_id(id, "token_to_piece");
  const std::string piece = id_to_piece(id);
  if (special_[static_cast<size_t>(id)] == 1) {  // control or unknown
    return with_special ? piece : std::string();
  }
  return hf::metaspace_piece_bytes(piece);  // byte pieces "<0xNN>", "▁" as spaces
}

std::vector<std::string> SentencePieceTokenizer::encode_pieces(std::string_view text) const {
  std::vector<std::string> pieces;
  auto status = sp_->Encode(absl::string_view(text.data(), text.size()), &pieces);
  LLMKIT_CHECK_CODE(status.ok(), ErrorCode::kInternal,
                    "tokenizer encode failed: ", status.ToString());
  return pieces;
}

std::string SentencePieceTokenizer::decode(const std::vector<int32_t>& ids) const {
  for (int32_t id : ids) check_id(id, "decode");
  std::vector<int> sp_ids(ids.begin(), ids.end());
  std::string text;
  auto status = sp_->Decode(sp_ids, &text);
  LLMKIT_CHECK_CODE(status.ok(), ErrorCode::kInternal,
                    "tokenizer decode failed: ", status.ToString());
  return text;
}

std::string SentencePieceTokenizer::id_to_piece(int32_t id) const {
  check_id(id, "id_to_piece");
  return sp_->IdToPiece(id);
}

int32_t SentencePieceTokenizer::piece_to_id(std::string_view piece) const {
  // sentencepiece maps absent pieces to the unk id; tell them apart from "<unk>" itself.
  int id = sp_->PieceToId(absl::string_view(piece.data(), piece.size()));
  if (id < 0 || id >= n_vocab_) return -1;
  if (id == unk_id_ && sp_->IdToPiece(id) != piece) return -1;
  return id;
}

bool SentencePieceTokenizer::is_special(int32_t id) const {
  return id >= 0 && id < n_vocab_ && special_[static_cast<size_t>(id)] != 0;
}

bool SentencePieceTokenizer::is_byte(int32_t id) const {
  return id >= 0 && id < n_vocab_ && byte_[static_cast<size_t>(id)] != 0;
}

}  // namespace llmkit::tokenizer
