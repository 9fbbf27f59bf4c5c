//===- TokenizerImport.h - Hugging Face tokenizer.json -> xf ----*- C++ -*-===//
//
// Reads a Hugging Face `tokenizer.json` (and optionally the
// `tokenizer_config.json` next to it) into xf::TokenizerData, the plain data
// the runtime's Tokenizer is made from and the .xfw file stores
// (WeightsFileWriter::setTokenizer).
//
// Supported: byte-level BPE (model.type "BPE", decoder ByteLevel, no
// normalizer) with one of three pre-tokenizers, recognized from the JSON:
//
//   ByteLevel(use_regex=true)                                   -> gpt2
//   Sequence[Digits(individual_digits=true), ByteLevel(use_regex=true)]
//                                                               -> smollm
//   Sequence[Split(Llama-3 regex, Isolated), ByteLevel(use_regex=false)]
//                                                               -> llama3
//
// Anything else is refused with a message naming the file, the JSON path and
// what was found, e.g.
//   tokenizer.json: pre_tokenizer: unsupported pre-tokenizer Metaspace
//
//===----------------------------------------------------------------------===//

#ifndef XF_IMPORTER_TOKENIZERIMPORT_H
#define XF_IMPORTER_TOKENIZERIMPORT_H

#include "xf/Result.h"
#include "xf/Tokenizer.h"

#include <optional>
#include <string>

namespace xf {

/// Reads `tokenizerJsonPath` and, when given, `configJsonPath`
/// (tokenizer_config.json: chat_template, bos_token, eos_token,
/// add_bos_token). Without a config, bos comes from the post-processor
/// (TemplateProcessing's leading special token) and eos is <|endoftext|>
/// when that is an added token.
Result<TokenizerData>
importHFTokenizer(const std::string &tokenizerJsonPath,
                  const std::optional<std::string> &configJsonPath = {});

/// The tokenizer of the model at `modelPath`: tokenizer.json (and
/// tokenizer_config.json if present) in the model's directory. Nothing if
/// there is no tokenizer.json there; an error if there is one that cannot
/// be imported.
Result<std::optional<TokenizerData>>
importHFTokenizerNextTo(const std::string &modelPath);

} // namespace xf

#endif // XF_IMPORTER_TOKENIZERIMPORT_H
