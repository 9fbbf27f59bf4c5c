//===- Tokenizer.h - byte-level BPE tokenizer -------------------*- C++ -*-===//
//
// The tokenizer of GPT-2, Llama-3 and SmolLM style models: byte-level BPE
// (the `tokenizers` library's BPE model with the ByteLevel pre-tokenizer and
// decoder), with added/special tokens and a chat template for the two forms
// that cover most instruction-tuned models (ChatML and Llama-3).
//
//   Result<Tokenizer> tok = Tokenizer::fromWeightsFile(weights);
//   if (!tok) { std::cerr << tok.error() << "\n"; return 1; }
//   std::vector<int32_t> ids = tok->encode(text);
//   std::string back = tok->decode(ids);
//
// Encoding gives the ids Hugging Face's `tokenizers` gives for the same
// tokenizer.json with add_special_tokens=false: added tokens are split out
// first (leftmost-longest exact match), the rest is split by the
// pre-tokenizer's regular expression (hand-written matchers, same Unicode
// classes), each piece is mapped byte by byte to the GPT-2 byte alphabet and
// merged by BPE in merge-rank order. Decoding maps tokens back to bytes.
//
// TokenizerData is the plain data (what the .xfw file stores and what
// importer/TokenizerImport.h reads from tokenizer.json); Tokenizer is the
// ready-to-use form built from it. No LLVM, no ICU: tables are generated
// from Python's unicodedata (runtime/tools/gen_unicode_tables.py).
//
//===----------------------------------------------------------------------===//

#ifndef XF_RUNTIME_INCLUDE_XF_TOKENIZER_H
#define XF_RUNTIME_INCLUDE_XF_TOKENIZER_H

#include "xf/Result.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace xf {

class WeightsFile;

/// How text is split into pieces before BPE. The regular expressions are
/// those of the `tokenizers` library.
enum class PreTokenizerKind : uint8_t {
  /// GPT-2: ByteLevel(use_regex=true) with the regex
  /// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
  GPT2,
  /// SmolLM / StarCoder: Digits(individual_digits=true) (every \p{N} code
  /// point its own piece), then the GPT-2 regex on each piece.
  SmolLM,
  /// Llama-3: Split with
  /// (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
  ///  ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
  /// then ByteLevel(use_regex=false).
  Llama3,
};

/// "gpt2", "smollm", "llama3".
const char *preTokenizerName(PreTokenizerKind kind);
/// The kind named `name`, or nothing.
std::optional<PreTokenizerKind> parsePreTokenizerName(std::string_view name);

/// The chat prompt form (see Tokenizer::applyChatTemplate).
enum class ChatFormat : uint8_t {
  /// No template, or one this runtime cannot render.
  None,
  /// <|im_start|>role\ncontent<|im_end|>\n (SmolLM, Qwen, ...).
  ChatML,
  /// <|begin_of_text|><|start_header_id|>role<|end_header_id|>\n\n
  /// content<|eot_id|> (Llama-3).
  Llama3,
};

/// "none", "chatml", "llama3".
const char *chatFormatName(ChatFormat format);
std::optional<ChatFormat> parseChatFormatName(std::string_view name);

/// Recognizes the form of a Jinja chat template from its text. Sets
/// `defaultSystemPrompt` (when not null) to the system prompt a ChatML
/// template inserts when the conversation has none (SmolLM's "You are a
/// helpful AI assistant named SmolLM, trained by Hugging Face"), or clears it.
ChatFormat detectChatFormat(std::string_view templateText,
                            std::string *defaultSystemPrompt = nullptr);

/// A token outside the BPE model's merges: tokenizer.json's added_tokens.
struct AddedToken {
  int32_t id = 0;
  /// The literal text (not byte-level mapped).
  std::string content;
  /// Special tokens (<|endoftext|>, <|im_start|>, ...) are matched in text
  /// only when encode()'s parseSpecial is true.
  bool special = true;
  /// Matched after normalization (no difference for the supported
  /// tokenizers, which have no normalizer; kept for the matching order).
  bool normalized = false;
};

/// Everything a Tokenizer is made from; plain data, as stored in .xfw.
struct TokenizerData {
  /// Token strings indexed by id, as in tokenizer.json's model.vocab: in the
  /// GPT-2 byte alphabet (a space is "Ġ", a newline "Ċ"). Ids that are only
  /// added tokens may be left empty.
  std::vector<std::string> vocab;
  /// BPE merges, highest priority first, as (left, right) token strings.
  std::vector<std::pair<std::string, std::string>> merges;
  std::vector<AddedToken> addedTokens;
  PreTokenizerKind preTokenizer = PreTokenizerKind::GPT2;
  /// ByteLevel's add_prefix_space: a space is put before text that does not
  /// start with one.
  bool addPrefixSpace = false;
  /// BPE's ignore_merges (Llama-3): a piece that is a whole vocab entry is
  /// that token, without merging.
  bool ignoreMerges = false;
  /// -1 when the tokenizer has none.
  int32_t bosId = -1;
  int32_t eosId = -1;
  /// Whether a BOS token goes in front of a prompt (the post-processor or
  /// tokenizer_config.json's add_bos_token says so). encode() never adds it;
  /// the caller does.
  bool addBos = false;
  /// The Jinja template from tokenizer_config.json, kept verbatim (empty if
  /// none); chatFormat and defaultSystemPrompt come from detectChatFormat.
  std::string chatTemplate;
  ChatFormat chatFormat = ChatFormat::None;
  std::string defaultSystemPrompt;
};

/// A ready tokenizer. Immutable after construction, except for an internal
/// word cache that is guarded by a mutex: encode() may be called from several
/// threads. Cheap to move.
class Tokenizer {
public:
  /// Checks and indexes `data`: ids in range and unique, merges whose parts
  /// and concatenation are vocab entries, bos/eos in range. Messages name
  /// the offending entry.
  static Result<Tokenizer> fromData(TokenizerData data);
  /// Reads the tokenizer section of an .xfw file. A file without one gives
  /// "FILE: has no tokenizer (...)".
  static Result<Tokenizer> fromWeightsFile(const WeightsFile &file);

  Tokenizer(Tokenizer &&) noexcept;
  Tokenizer &operator=(Tokenizer &&) noexcept;
  ~Tokenizer();

  /// Token ids of `text` (no BOS; see addBos()). With parseSpecial false,
  /// special tokens' text is encoded as ordinary text (non-special added
  /// tokens are still matched). Bytes that are not valid UTF-8 are encoded
  /// as themselves (each as its own character for the pre-tokenizer).
  std::vector<int32_t> encode(std::string_view text,
                              bool parseSpecial = true) const;

  /// The text of `ids`: the bytes of each token concatenated, then made
  /// valid UTF-8 (each maximal invalid subsequence becomes U+FFFD, as
  /// `tokenizers` does). Ids out of range are skipped. With skipSpecial,
  /// special added tokens are left out.
  std::string decode(const int32_t *ids, size_t count,
                     bool skipSpecial = false) const;
  std::string decode(const std::vector<int32_t> &ids,
                     bool skipSpecial = false) const {
    return decode(ids.data(), ids.size(), skipSpecial);
  }
  /// The raw bytes of one token (possibly part of a UTF-8 character); empty
  /// for an id out of range.
  std::string decodeToken(int32_t id) const;
  /// The token's string as in tokenizer.json (byte alphabet for BPE tokens,
  /// the content for added tokens); empty when out of range.
  std::string_view tokenString(int32_t id) const;
  /// The id of a token string (as tokenString gives), or nothing.
  std::optional<int32_t> tokenId(std::string_view tokenString) const;

  /// Turns a stream of ids into text as it is generated, holding back the
  /// bytes of a UTF-8 character until it is complete.
  ///
  ///   Tokenizer::StreamDecoder stream(tok);
  ///   for (int32_t id : generated) std::cout << stream.push(id);
  ///   std::cout << stream.finish();
  class StreamDecoder {
  public:
    explicit StreamDecoder(const Tokenizer &tokenizer,
                           bool skipSpecial = false)
        : tokenizer(&tokenizer), skipSpecial(skipSpecial) {}
    /// The complete characters that `id` finishes (possibly empty).
    std::string push(int32_t id);
    /// Whatever is held back, invalid bytes as U+FFFD.
    std::string finish();

  private:
    const Tokenizer *tokenizer;
    bool skipSpecial;
    std::string pending;
  };

  /// The prompt for one user turn, ready for encode(parseSpecial=true),
  /// ending with the assistant header (add_generation_prompt). The system
  /// message is `system`, else the template's default system prompt (if
  /// any). Fails when the tokenizer has no chat template this runtime can
  /// render (chatFormat() == None), saying so.
  Result<std::string>
  applyChatTemplate(std::string_view user,
                    std::optional<std::string_view> system = {}) const;

  /// Ids that end a generation: eos and the chat form's end of turn
  /// (<|im_end|>, <|eot_id|>) when they are tokens; no duplicates.
  std::vector<int32_t> stopIds() const;

  /// One more than the largest id (vocab and added tokens).
  size_t vocabSize() const;
  std::optional<int32_t> bosId() const;
  std::optional<int32_t> eosId() const;
  /// Whether the model expects a BOS before a prompt (see TokenizerData).
  bool addBos() const;
  bool isSpecial(int32_t id) const;
  ChatFormat chatFormat() const;
  PreTokenizerKind preTokenizer() const;
  /// The data this tokenizer was made from.
  const TokenizerData &data() const;

  /// Splits `text` as the pre-tokenizer does (no added tokens), for tests.
  std::vector<std::string_view> preTokenize(std::string_view text) const;
  /// The pieces of `text` in the given kind's split (for tests and tools).
  static std::vector<std::string_view> preTokenize(PreTokenizerKind kind,
                                                   std::string_view text);

private:
  struct Impl;
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl;
};

/// The tokenizer section of an open .xfw file as plain data; an error if the
/// file has none or it is malformed. (WeightsFileWriter::setTokenizer
/// writes it.)
Result<TokenizerData> readWeightsFileTokenizer(const WeightsFile &file);

/// The GPT-2 byte alphabet: the code point byte `b` is written as in token
/// strings (printable Latin-1 bytes as themselves, the rest as U+0100 + n).
uint32_t byteToCodePoint(uint8_t byte);

} // namespace xf

#endif // XF_RUNTIME_INCLUDE_XF_TOKENIZER_H
