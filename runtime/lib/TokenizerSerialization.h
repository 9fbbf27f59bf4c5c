//===- TokenizerSerialization.h - tokenizer <-> .xfw header -----*- C++ -*-===//
//
// Internal to libxfrt: how WeightsFileWriter stores a TokenizerData in the
// header's Tokenizer table (runtime/schema/xfw.fbs). Reading is
// xf::readWeightsFileTokenizer (xf/Tokenizer.h).
//
//===----------------------------------------------------------------------===//

#ifndef XF_RUNTIME_LIB_TOKENIZERSERIALIZATION_H
#define XF_RUNTIME_LIB_TOKENIZERSERIALIZATION_H

#include "xf/Result.h"
#include "xf/Tokenizer.h"
#include "xf/xfw_generated.h"

namespace xf::detail {

/// Refuses what Tokenizer::fromData refuses, and, for kind
/// "bpe-byte-level", merges with a space in a part (that kind stores a merge
/// as "left right"; kind "bpe" stores pairs of ids).
Result<void> checkTokenizerForFile(const TokenizerData &data);

flatbuffers::Offset<xfw::Tokenizer>
buildTokenizerTable(flatbuffers::FlatBufferBuilder &builder,
                    const TokenizerData &data);

} // namespace xf::detail

#endif // XF_RUNTIME_LIB_TOKENIZERSERIALIZATION_H
