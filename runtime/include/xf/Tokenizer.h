//===- Tokenizer.h - Hugging Face tokenizers pipeline -----------*- C++ -*-===//
//
// The tokenizer of a model as Hugging Face `tokenizers` runs it from a
// tokenizer.json: added tokens, normalizer, pre-tokenizer, model (BPE or
// Unigram) and decoder, each step only where its semantics are implemented
// exactly as `tokenizers` 0.23 implements them (importer/TokenizerImport.h
// refuses the rest). Covered: byte-level BPE (GPT-2, Llama-3, SmolLM),
// SentencePiece-style BPE with byte fallback (Llama-2, Mistral, Gemma as
// the hub and transformers write them), Unigram (Gemma from a GGUF as
// transformers 4.x writes it), plus a chat template for the forms this
// runtime renders.
//
//   Result<Tokenizer> tok = Tokenizer::fromWeightsFile(weights);
//   if (!tok) { std::cerr << tok.error() << "\n"; return 1; }
//   std::vector<int32_t> ids = tok->encode(text);
//   std::string back = tok->decode(ids);
//
// Encoding gives the ids `tokenizers` gives for the same tokenizer.json with
// add_special_tokens=false:
//   1. added tokens with normalized=false are split out of the text
//      (leftmost-longest exact match);
//   2. each remaining segment is normalized (NormalizerStep, in order);
//   3. added tokens with normalized=true are split out of the normalized
//      segment (matched by their normalized content);
//   4. the rest is pre-tokenized: either a byte-level regex split
//      (PreTokenizerKind GPT2/SmolLM/Llama3; hand-written matchers, same
//      Unicode classes) whose pieces are mapped byte by byte to the GPT-2
//      byte alphabet, or the PreTokenizerSteps (Split, Metaspace);
//   5. the model maps each piece to ids: BPE (merges in rank order, unknown
//      characters to <0xXX> byte tokens with byte_fallback, else to the unk
//      token) or Unigram (the Viterbi best segmentation by piece scores).
// Decoding runs the decoder steps (DecoderStep) over the tokens' strings,
// as `tokenizers`' decode_chain does; StreamDecoder gives the same text
// piece by piece.
//
// TokenizerData is the plain data (what the .xfw file stores and what
// importer/TokenizerImport.h reads from tokenizer.json); Tokenizer is the
// ready-to-use form built from it. No LLVM, no ICU: Unicode tables are
// generated from Python's unicodedata (runtime/tools/gen_unicode_tables.py).
//
//===----------------------------------------------------------------------===//

#ifndef XF_RUNTIME_INCLUDE_XF_TOKENIZER_H
#define XF_RUNTIME_INCLUDE_XF_TOKENIZER_H

#include "xf/ChatTemplate.h"
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

/// The byte-level pre-tokenizer (ByteLevel, alone or after a split), or
/// None for tokenizers without one. The regular expressions are those of
/// the `tokenizers` library.
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
  /// No ByteLevel step: the text is split by TokenizerData::preTokenizers
  /// (possibly none) and the pieces go to the model as they are.
  None,
};

/// "gpt2", "smollm", "llama3", "none".
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
  /// Matched after normalization, by the normalized content, in the
  /// normalized text (and decoded as the normalized content), as
  /// `tokenizers` does; otherwise matched in the original text first.
  bool normalized = false;
};

/// The model that maps a pre-tokenized piece to ids.
enum class ModelKind : uint8_t {
  /// Byte-pair encoding: the piece's characters (bytes for byte-level
  /// tokenizers) are merged by the merges in rank order.
  BPE,
  /// Unigram: the segmentation of the piece into vocab entries with the
  /// highest sum of scores (Viterbi), unknown characters scored
  /// min(score) - 10 and fused into one unk token.
  Unigram,
};

/// "bpe", "unigram".
const char *modelKindName(ModelKind kind);
std::optional<ModelKind> parseModelKindName(std::string_view name);

/// Metaspace's prepend_scheme: when the replacement character is put in
/// front of a piece that does not start with it.
enum class PrependScheme : uint8_t {
  /// Every piece.
  Always,
  /// Only the piece that starts the text (not one after an added token).
  First,
  Never,
};

/// One normalizer of tokenizer.json's "normalizer" (a Sequence is
/// flattened into its steps, run in order).
struct NormalizerStep {
  enum class Kind : uint8_t {
    /// Every non-overlapping occurrence of `pattern` (a literal string,
    /// leftmost first) becomes `content`.
    Replace,
    /// `content` goes in front of a non-empty text.
    Prepend,
    /// Unicode normalization forms.
    NFC,
    NFD,
    NFKC,
    NFKD,
    /// Each character's full lowercase mapping (no context: a final sigma
    /// stays σ), as Rust's char::to_lowercase.
    Lowercase,
    /// White_Space characters off the start (left) and/or end (right).
    Strip,
  };
  Kind kind = Kind::NFC;
  std::string pattern;
  std::string content;
  bool left = false;
  bool right = false;
};

/// One pre-tokenizer for PreTokenizerKind::None (a Sequence is flattened
/// into its steps; each splits every piece the previous one made).
struct PreTokenizerStep {
  enum class Kind : uint8_t {
    /// Splits at each occurrence of the literal `pattern` (tokenizers'
    /// Split with a String pattern), keeping the occurrences as `behavior`
    /// says; with `invert`, the text between occurrences is what matches.
    Split,
    /// Spaces become `pattern` (the replacement character, "▁"), which is
    /// put in front as prependScheme says; with `split`, the piece is split
    /// before each replacement character.
    Metaspace,
  };
  /// tokenizers' SplitDelimiterBehavior.
  enum class Behavior : uint8_t {
    Removed,
    Isolated,
    MergedWithPrevious,
    MergedWithNext,
    Contiguous,
  };
  Kind kind = Kind::Split;
  std::string pattern;
  Behavior behavior = Behavior::Isolated;
  bool invert = false;
  PrependScheme prependScheme = PrependScheme::Always;
  bool split = true;
};

/// One decoder of tokenizer.json's "decoder" (a Sequence is flattened into
/// its steps). Each maps the list of token strings to a new list, as
/// `tokenizers`' decode_chain; the final list is concatenated.
struct DecoderStep {
  enum class Kind : uint8_t {
    /// Each token whose characters are all in the GPT-2 byte alphabet
    /// becomes those bytes, any other its UTF-8; all are joined into one
    /// string, made valid UTF-8 (U+FFFD for each maximal invalid
    /// subsequence).
    ByteLevel,
    /// In each token, every occurrence of `pattern` becomes `content`.
    Replace,
    /// Runs of <0xXX> tokens become the text of their bytes, or one U+FFFD
    /// per byte when the bytes are not valid UTF-8.
    ByteFallback,
    /// All tokens are joined into one.
    Fuse,
    /// Up to `start` leading and `stop` trailing `content` characters
    /// (one character) come off each token.
    Strip,
    /// `pattern` (the replacement character) becomes a space, except in
    /// the first token, where it is dropped (unless prependScheme is
    /// Never).
    Metaspace,
  };
  Kind kind = Kind::ByteLevel;
  std::string pattern;
  std::string content;
  uint32_t start = 0;
  uint32_t stop = 0;
  PrependScheme prependScheme = PrependScheme::Always;
};

/// Everything a Tokenizer is made from; plain data, as stored in .xfw. The
/// defaults are byte-level BPE (GPT-2).
struct TokenizerData {
  ModelKind model = ModelKind::BPE;
  /// Token strings indexed by id, as in tokenizer.json's model.vocab: for
  /// byte-level tokenizers in the GPT-2 byte alphabet (a space is "Ġ", a
  /// newline "Ċ"), for SentencePiece-style ones with "▁" for a space. Ids
  /// that are only added tokens may be left empty.
  std::vector<std::string> vocab;
  /// Unigram: each vocab entry's score (log probability), by id.
  std::vector<double> scores;
  /// BPE merges, highest priority first, as (left, right) token strings.
  std::vector<std::pair<std::string, std::string>> merges;
  std::vector<AddedToken> addedTokens;
  /// The unknown token's id (BPE's unk_token, Unigram's unk_id), -1 if
  /// none. Without one, BPE drops characters that are not in the vocab;
  /// Unigram needs one.
  int32_t unkId = -1;
  /// BPE's fuse_unk: consecutive unknown characters give one unk token.
  /// (Unigram always fuses.)
  bool fuseUnk = false;
  /// A character (BPE) or fused unknown run (Unigram) that is not in the
  /// vocab becomes the <0xXX> tokens of its UTF-8 bytes, if the vocab has
  /// them all; otherwise the unk token.
  bool byteFallback = false;
  /// The normalizer's steps, in order (none: the text as it is).
  std::vector<NormalizerStep> normalizers;
  PreTokenizerKind preTokenizer = PreTokenizerKind::GPT2;
  /// The pre-tokenizer's steps when preTokenizer is None (none: each
  /// segment is one piece).
  std::vector<PreTokenizerStep> preTokenizers;
  /// ByteLevel's add_prefix_space: a space is put before text that does not
  /// start with one.
  bool addPrefixSpace = false;
  /// BPE's ignore_merges (Llama-3): a piece that is a whole vocab entry is
  /// that token, without merging.
  bool ignoreMerges = false;
  /// The decoder's steps, in order. Empty means no decoder: the token
  /// strings are joined with spaces, as `tokenizers` does without one.
  std::vector<DecoderStep> decoders{DecoderStep{}};
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
  /// and concatenation are vocab entries, bos/eos/unk in range, one score
  /// per Unigram piece, steps that are complete. Messages name the
  /// offending entry.
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
  /// encode(text, /*parseSpecial=*/true), except that no special token is
  /// matched where it would overlap one of the byte ranges [first, second)
  /// of `plainRanges`: text there that spells a special token is ordinary
  /// text (non-special added tokens are still matched). The rest of the
  /// text is split and encoded as by encode(). Special tokens that match
  /// after normalization are matched only in pieces of text that lie
  /// wholly outside the ranges.
  std::vector<int32_t>
  encode(std::string_view text,
         const std::vector<std::pair<size_t, size_t>> &plainRanges) const;

  /// The text of `ids`, as `tokenizers`' decode gives it: the decoder steps
  /// run over the tokens' strings (for byte-level tokenizers: the bytes of
  /// each token concatenated, then made valid UTF-8, each maximal invalid
  /// subsequence becoming U+FFFD). Ids out of range are skipped. With
  /// skipSpecial, special added tokens are left out.
  std::string decode(const int32_t *ids, size_t count,
                     bool skipSpecial = false) const;
  std::string decode(const std::vector<int32_t> &ids,
                     bool skipSpecial = false) const {
    return decode(ids.data(), ids.size(), skipSpecial);
  }
  /// The raw bytes of one token as it decodes in the middle of a text
  /// (possibly part of a UTF-8 character: a <0xXX> token is its byte); the
  /// per-token decoder steps are applied, not those that depend on the
  /// token's neighbours or position (Strip of a fused text, a leading
  /// Metaspace). Empty for an id out of range.
  std::string decodeToken(int32_t id) const;
  /// The token's string as in tokenizer.json (byte alphabet for byte-level
  /// BPE tokens, the content for added tokens); empty when out of range.
  std::string_view tokenString(int32_t id) const;
  /// The id of a token string (as tokenString gives), or nothing.
  std::optional<int32_t> tokenId(std::string_view tokenString) const;

  /// Turns a stream of ids into text as it is generated, holding back what
  /// later tokens may still change: the bytes of an incomplete UTF-8
  /// character, a run of <0xXX> tokens (ByteFallback), trailing characters
  /// a Strip may take off. The pieces push() and finish() return add up to
  /// decode() of all the ids. (One exception: a ByteLevel decoder after
  /// Fuse keeps a token whose characters are not all in the byte alphabet
  /// as UTF-8 and then every token so; decode() does that, the stream maps
  /// the tokens before such a one as bytes. No supported tokenizer's vocab
  /// has such tokens.)
  ///
  ///   Tokenizer::StreamDecoder stream(tok);
  ///   for (int32_t id : generated) std::cout << stream.push(id);
  ///   std::cout << stream.finish();
  class StreamDecoder {
  public:
    explicit StreamDecoder(const Tokenizer &tokenizer,
                           bool skipSpecial = false);
    StreamDecoder(StreamDecoder &&) noexcept;
    StreamDecoder &operator=(StreamDecoder &&) noexcept;
    ~StreamDecoder();
    /// The text that `id` completes (possibly empty).
    std::string push(int32_t id);
    /// Whatever is held back, invalid bytes as U+FFFD. The decoder starts
    /// over after it.
    std::string finish();

    struct State;

  private:
    const Tokenizer *tokenizer;
    bool skipSpecial;
    std::unique_ptr<State> state;
  };

  /// The prompt for one user turn, ready for encode(parseSpecial=true),
  /// ending with the assistant header (add_generation_prompt): `system`
  /// (when given) and `user` rendered by the chat template of
  /// tokenizer_config.json (xf/ChatTemplate.h, as transformers'
  /// apply_chat_template renders it, bos_token and eos_token set). The text
  /// holds whatever BOS the template writes: encode it without adding one.
  /// Fails when there is no template, or one the runtime cannot render,
  /// saying so.
  Result<std::string>
  applyChatTemplate(std::string_view user,
                    std::optional<std::string_view> system = {}) const;
  /// The same for any conversation.
  Result<std::string> renderChat(const std::vector<ChatMessage> &messages,
                                 bool addGenerationPrompt) const;
  /// The ids of renderChat's text, with the special tokens the template
  /// writes parsed and the messages' contents encoded as ordinary text, so
  /// that a message cannot end its turn or start another by spelling
  /// `<|im_end|>`. Where each content sits is found by rendering with a
  /// marker in place of it; the template may copy a content verbatim or
  /// trimmed. Fails, saying so, for a template that changes contents
  /// otherwise, and wherever renderChat fails.
  Result<std::vector<int32_t>>
  encodeChat(const std::vector<ChatMessage> &messages,
             bool addGenerationPrompt) const;

  /// Ids that end a generation: eos and the special token that closes an
  /// assistant turn in the chat template (<|im_end|>, <|eot_id|>,
  /// <end_of_turn>, ...), when there is one; no duplicates.
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
  ModelKind model() const;
  /// The data this tokenizer was made from.
  const TokenizerData &data() const;

  /// Splits `text` as the pre-tokenizer does (no added tokens, no
  /// normalizer), for tests. For PreTokenizerKind::None, the pieces the
  /// steps make (owned by a thread-local buffer, valid until the next
  /// call).
  std::vector<std::string_view> preTokenize(std::string_view text) const;
  /// `text` as the normalizer steps leave it (for tests and tools).
  std::string normalize(std::string_view text) const;
  /// The pieces of `text` in the given kind's split (for tests and tools).
  static std::vector<std::string_view> preTokenize(PreTokenizerKind kind,
                                                   std::string_view text);

private:
  struct Impl;
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::vector<int32_t>
  encodeText(std::string_view text, bool parseSpecial,
             const std::vector<std::pair<size_t, size_t>> *plainRanges) const;
  std::optional<int32_t> findEndOfTurn() const;
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
