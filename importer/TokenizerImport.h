//===- TokenizerImport.h - Hugging Face tokenizer.json -> xf ----*- C++ -*-===//
//
// Reads a Hugging Face `tokenizer.json` (and optionally the
// `tokenizer_config.json` next to it) into xf::TokenizerData, the plain data
// the runtime's Tokenizer is made from and the .xfw file stores
// (WeightsFileWriter::setTokenizer).
//
// What is supported is what the runtime implements exactly as Hugging Face
// `tokenizers` 0.23 does (runtime/include/xf/Tokenizer.h):
//
//   model          BPE (vocab, merges, byte_fallback, unk_token, fuse_unk,
//                  ignore_merges; dropout 0, no continuing_subword_prefix
//                  or end_of_word_suffix), Unigram (vocab with scores,
//                  unk_id, byte_fallback)
//   normalizer     null, Sequence, Replace (String pattern), Prepend, NFC,
//                  NFD, NFKC, NFKD, Lowercase, Strip
//   pre_tokenizer  byte-level, recognized from the JSON:
//                    ByteLevel(use_regex=true)                      -> gpt2
//                    Sequence[Digits(individual_digits=true),
//                             ByteLevel(use_regex=true)]            -> smollm
//                    Sequence[Split(Llama-3 regex, Isolated),
//                             ByteLevel(use_regex=false)]           -> llama3
//                  or, without ByteLevel (-> none): null, Split with a
//                  String pattern (any behavior, invert), Metaspace
//                  (replacement, prepend_scheme, split), a Sequence of them
//   decoder        null (tokens joined with spaces), ByteLevel, Replace
//                  (String pattern), ByteFallback, Fuse, Strip, Metaspace,
//                  Sequence (not ByteFallback, nor a Replace of several
//                  characters, after Fuse or ByteLevel)
//   added_tokens   special or not, normalized or not; not single_word,
//                  lstrip, rstrip
//   post_processor a leading special token (TemplateProcessing, also in a
//                  Sequence) is the BOS a prompt starts with
//
// Among the tokenizers transformers writes (from the hub or from a GGUF),
// these forms cover GPT-2, Llama-3 and SmolLM byte-level BPE; Llama-2,
// Mistral and Gemma SentencePiece-style BPE; Gemma 3 from a GGUF as
// Unigram (transformers 4.x) or BPE (5.x). Byte-level tokenizers with
// another regex (Qwen2's, for one) are refused. Unigram scores are read
// with serde_json's rounding, as tokenizers reads them.
//
// Anything else is refused with a message naming the file, the JSON path,
// what was found and what is supported, e.g.
//   tokenizer.json: model.type: unsupported model type WordPiece
//     (supported: BPE, Unigram)
//   tokenizer.json: normalizer.normalizers[1].pattern: normalizer Replace
//     with a Regex pattern (' +') is not supported (only String patterns)
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
