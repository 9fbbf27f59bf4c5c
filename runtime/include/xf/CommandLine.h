//===- CommandLine.h - parsing shared by the program and xfc ----*- C++ -*-===//
//
// The small parsers the emitted program's options need and xfc shares
// (parseBytes: --kv-memory in both), and the one way a text prompt becomes
// ids (BOS, chat template), used by every front end that takes text.
//
//===----------------------------------------------------------------------===//

#ifndef XF_RUNTIME_INCLUDE_XF_COMMANDLINE_H
#define XF_RUNTIME_INCLUDE_XF_COMMANDLINE_H

#include "xf/Result.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xf {

class Tokenizer;

/// `text` cut at every `separator`; a trailing empty part is dropped
/// ("1,2," -> {"1", "2"}), as std::getline does.
std::vector<std::string> splitList(std::string_view text, char separator);

/// A whole decimal integer (strtoll: optional sign); false otherwise.
bool parseInt(std::string_view text, int64_t &value);
/// A whole float (strtof); false otherwise.
bool parseFloat(std::string_view text, float &value);
/// A positive byte count with an optional K, M or G suffix (binary, any
/// case): "512M", "1G", "65536".
bool parseBytes(std::string_view text, int64_t &value);

/// The ids of a text prompt: the tokenizer's BOS when it adds one, then
/// `text` encoded. With `chat`, `text` is a user turn rendered by the chat
/// template (with `system`, else the template's default system prompt),
/// which writes its own BOS, as transformers' apply_chat_template does.
Result<std::vector<int32_t>> buildPrompt(const Tokenizer &tokenizer,
                                         const std::string &text, bool chat,
                                         const std::optional<std::string> &system);

} // namespace xf

#endif // XF_RUNTIME_INCLUDE_XF_COMMANDLINE_H
