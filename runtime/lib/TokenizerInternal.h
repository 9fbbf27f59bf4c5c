//===- TokenizerInternal.h - tokenizer pieces shared by files ---*- C++ -*-===//
//
// Internal to libxfrt: what runtime/lib/Tokenizer.cpp and
// runtime/lib/TokenizerNormalize.cpp share.
//
//===----------------------------------------------------------------------===//

#ifndef XF_RUNTIME_LIB_TOKENIZERINTERNAL_H
#define XF_RUNTIME_LIB_TOKENIZERINTERNAL_H

#include "xf/Tokenizer.h"

#include <string>
#include <string_view>
#include <vector>

namespace xf::detail {

/// The Unicode White_Space property (Rust's char::is_whitespace, regex \s).
bool isWhiteSpace(uint32_t cp);

/// `text` after the normalizer steps, in order. `keepsStart` (when not
/// null) is cleared when the first character of the result does not come
/// from the first character of `text` (a Strip or an empty Replace took the
/// start away): tokenizers then no longer sees the piece at offset 0.
/// Bytes that are not valid UTF-8 pass through as they are.
std::string normalizeText(const std::vector<NormalizerStep> &steps,
                          std::string_view text, bool *keepsStart = nullptr);

} // namespace xf::detail

#endif // XF_RUNTIME_LIB_TOKENIZERINTERNAL_H
