// Content fingerprints for RAG sources and chunks: XXH3-128 (xxHash, seed 0) written as 32
// lower-case hex digits in the canonical (big-endian) byte order, i.e. what `xxh128sum` prints.
// Equal bytes give equal hashes on every machine; the indexer compares them to skip unchanged
// files.
#pragma once

#include <string>
#include <string_view>

namespace llmkit::rag {

std::string content_hash(std::string_view bytes);

}  // namespace llmkit::rag
