//===- TokenizerTest.cpp - byte-level BPE tokenizer -----------------------===//
//
// BPE on a tiny hand-made vocab, the pre-tokenizer splits (expected pieces
// are what Hugging Face tokenizers 0.23.3 gives), added/special tokens, UTF-8
// streaming decode, chat templates, and the .xfw round trip. Parity with
// tokenizers on real vocabularies and 100+ KB of text is
// test/tokenizer/check_hf_parity.py.
//
//===----------------------------------------------------------------------===//

#include "xf/Tokenizer.h"
#include "xf/WeightsFile.h"

#include "gtest/gtest.h"

#include <cstdlib>
#include <unistd.h>

using namespace xf;

namespace {

std::string byteToken(uint8_t byte) {
  uint32_t cp = byteToCodePoint(byte);
  std::string out;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else {
    out += static_cast<char>(0xC0 | cp >> 6);
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

/// Ids 0..255: the byte tokens in byte order; then one token per merge.
TokenizerData tinyData(
    const std::vector<std::pair<std::string, std::string>> &merges) {
  TokenizerData data;
  for (int b = 0; b < 256; ++b)
    data.vocab.push_back(byteToken(static_cast<uint8_t>(b)));
  for (const auto &[left, right] : merges) {
    data.vocab.push_back(left + right);
    data.merges.push_back({left, right});
  }
  return data;
}

Tokenizer make(TokenizerData data) {
  Result<Tokenizer> tokenizer = Tokenizer::fromData(std::move(data));
  EXPECT_TRUE(tokenizer) << (tokenizer ? "" : tokenizer.error());
  return std::move(*tokenizer);
}

std::vector<std::string> pieces(PreTokenizerKind kind, std::string_view text) {
  std::vector<std::string> out;
  for (std::string_view piece : Tokenizer::preTokenize(kind, text))
    out.emplace_back(piece);
  return out;
}

using Pieces = std::vector<std::string>;
constexpr PreTokenizerKind kGPT2 = PreTokenizerKind::GPT2;
constexpr PreTokenizerKind kSmol = PreTokenizerKind::SmolLM;
constexpr PreTokenizerKind kLlama3 = PreTokenizerKind::Llama3;

} // namespace

TEST(TokenizerTest, ByteAlphabet) {
  EXPECT_EQ(byteToken(' '), "Ġ");
  EXPECT_EQ(byteToken('\n'), "Ċ");
  EXPECT_EQ(byteToken('a'), "a");
  EXPECT_EQ(byteToken(0xAD), "Ń");
  EXPECT_EQ(byteToCodePoint(0), 0x100u);
  EXPECT_EQ(byteToCodePoint(0xFF), 0xFFu);
}

TEST(TokenizerTest, MergesByRank) {
  // "hello": h+e, l+l, he+ll, hell+o. A lower rank wins over position.
  Tokenizer tok = make(tinyData({{"l", "l"},
                                 {"h", "e"},
                                 {"he", "ll"},
                                 {"hell", "o"},
                                 {"Ġ", "w"},
                                 {"a", "a"}}));
  auto id = [&](std::string_view s) { return *tok.tokenId(s); };
  EXPECT_EQ(tok.encode("hello"), (std::vector<int32_t>{id("hello")}));
  EXPECT_EQ(tok.encode("hellhe"),
            (std::vector<int32_t>{id("hell"), id("he")}));
  EXPECT_EQ(tok.encode("hello world"),
            (std::vector<int32_t>{id("hello"), id("Ġw"), 'o', 'r', 'l', 'd'}));
  // Equal ranks merge leftmost first.
  EXPECT_EQ(tok.encode("aaa"), (std::vector<int32_t>{id("aa"), 'a'}));
  EXPECT_EQ(tok.encode("aaaa"), (std::vector<int32_t>{id("aa"), id("aa")}));
  // Encoding twice (the word cache) gives the same.
  EXPECT_EQ(tok.encode("hello"), (std::vector<int32_t>{id("hello")}));
  EXPECT_EQ(tok.decode(tok.encode("hello world")), "hello world");
  EXPECT_TRUE(tok.encode("").empty());
}

TEST(TokenizerTest, IgnoreMerges) {
  // "abc" is in the vocab but no merge reaches it from a+b, b+c.
  TokenizerData data = tinyData({{"b", "c"}});
  data.vocab.push_back("abc");
  data.ignoreMerges = false;
  Tokenizer plain = make(data);
  EXPECT_EQ(plain.encode("abc"),
            (std::vector<int32_t>{'a', *plain.tokenId("bc")}));
  data.ignoreMerges = true;
  Tokenizer ignoring = make(data);
  EXPECT_EQ(ignoring.encode("abc"),
            (std::vector<int32_t>{*ignoring.tokenId("abc")}));
}

TEST(TokenizerTest, BytesDecodeAndInvalidUtf8) {
  Tokenizer tok = make(tinyData({}));
  std::string text = "é€😀\t\r\n";
  std::vector<int32_t> ids = tok.encode(text);
  ASSERT_EQ(ids.size(), text.size()); // one byte token per byte
  EXPECT_EQ(tok.decode(ids), text);
  // Invalid UTF-8 in: each byte its own character; encoded as bytes.
  std::string invalid = "a\xFF\xC3z";
  EXPECT_EQ(tok.encode(invalid).size(), 4u);
  // Out: maximal invalid subparts become U+FFFD.
  EXPECT_EQ(tok.decode(tok.encode(invalid)), "a\xEF\xBF\xBD\xEF\xBF\xBDz");
  std::vector<int32_t> partialEuro = {0xE2, 0x82};
  EXPECT_EQ(tok.decode(partialEuro), "\xEF\xBF\xBD");
  EXPECT_EQ(tok.decodeToken(0xE2), "\xE2");
  EXPECT_EQ(tok.decode(std::vector<int32_t>{-1, 99999, 'x'}), "x");
}

TEST(TokenizerTest, StreamDecoderHoldsBackIncompleteCharacters) {
  Tokenizer tok = make(tinyData({}));
  Tokenizer::StreamDecoder stream(tok);
  EXPECT_EQ(stream.push('a'), "a");
  EXPECT_EQ(stream.push(0xC3), "");
  EXPECT_EQ(stream.push(0xA9), "é");
  EXPECT_EQ(stream.push(0xF0), "");
  EXPECT_EQ(stream.push(0x9F), "");
  EXPECT_EQ(stream.push(0x98), "");
  EXPECT_EQ(stream.push(0x80), "😀");
  // A byte that cannot continue the pending one: both come out.
  EXPECT_EQ(stream.push(0xE2), "");
  EXPECT_EQ(stream.push('b'), "\xEF\xBF\xBD" "b");
  EXPECT_EQ(stream.push(0xFF), "\xEF\xBF\xBD");
  EXPECT_EQ(stream.push(0xE2), "");
  EXPECT_EQ(stream.push(0x82), "");
  EXPECT_EQ(stream.finish(), "\xEF\xBF\xBD");
  EXPECT_EQ(stream.finish(), "");
}

TEST(TokenizerTest, GPT2Split) {
  EXPECT_EQ(pieces(kGPT2, "I'm here's they'RE"),
            (Pieces{"I", "'m", " here", "'s", " they", "'", "RE"}));
  EXPECT_EQ(pieces(kGPT2, "I'M"), (Pieces{"I", "'", "M"}));
  EXPECT_EQ(pieces(kGPT2, "we'll've'd't"),
            (Pieces{"we", "'ll", "'ve", "'d", "'t"}));
  // \s+(?!\S): a run of spaces leaves its last one to the next word.
  EXPECT_EQ(pieces(kGPT2, "  hello"), (Pieces{" ", " hello"}));
  EXPECT_EQ(pieces(kGPT2, "x   y"), (Pieces{"x", "  ", " y"}));
  EXPECT_EQ(pieces(kGPT2, "a   "), (Pieces{"a", "   "}));
  EXPECT_EQ(pieces(kGPT2, "x\t\ty"), (Pieces{"x", "\t", "\t", "y"}));
  EXPECT_EQ(pieces(kGPT2, "\n\n  foo"), (Pieces{"\n\n ", " foo"}));
  EXPECT_EQ(pieces(kGPT2, "hello!!!\n\nworld"),
            (Pieces{"hello", "!!!", "\n", "\n", "world"}));
  EXPECT_EQ(pieces(kGPT2, "a\r\n\r\nb"), (Pieces{"a", "\r\n\r", "\n", "b"}));
  EXPECT_EQ(pieces(kGPT2, "abc 12345"), (Pieces{"abc", " 12345"}));
  // Unicode classes: NBSP and ideographic spaces are \s; Arabic-Indic
  // digits and ½ are \p{N}.
  EXPECT_EQ(pieces(kGPT2, " \u00a0x"), (Pieces{" ", "\u00a0", "x"}));
  EXPECT_EQ(pieces(kGPT2, "x\u2003\u3000 y"),
            (Pieces{"x", "\u2003\u3000", " y"}));
  EXPECT_EQ(pieces(kGPT2, "٣٤٥ ½x"), (Pieces{"٣٤٥", " ½", "x"}));
  EXPECT_EQ(pieces(kGPT2, "日本語 テキスト"), (Pieces{"日本語", " テキスト"}));
  EXPECT_TRUE(pieces(kGPT2, "").empty());
}

TEST(TokenizerTest, SmolLMSplitsEveryDigit) {
  EXPECT_EQ(pieces(kSmol, "abc 12345"),
            (Pieces{"abc", " ", "1", "2", "3", "4", "5"}));
  EXPECT_EQ(pieces(kSmol, "٣٤٥ ½x"), (Pieces{"٣", "٤", "٥", " ", "½", "x"}));
  EXPECT_EQ(pieces(kSmol, "I'm  here"), (Pieces{"I", "'m", " ", " here"}));
}

TEST(TokenizerTest, Llama3Split) {
  EXPECT_EQ(pieces(kLlama3, "I'm here's they'RE"),
            (Pieces{"I", "'m", " here", "'s", " they", "'RE"}));
  EXPECT_EQ(pieces(kLlama3, "I'M"), (Pieces{"I", "'M"}));
  EXPECT_EQ(pieces(kLlama3, "'ſ 'S"), (Pieces{"'ſ", " '", "S"}));
  EXPECT_EQ(pieces(kLlama3, "abc 12345"), (Pieces{"abc", " ", "123", "45"}));
  EXPECT_EQ(pieces(kLlama3, "x\t\ty"), (Pieces{"x", "\t", "\ty"}));
  EXPECT_EQ(pieces(kLlama3, "\n\n  foo"), (Pieces{"\n\n", " ", " foo"}));
  EXPECT_EQ(pieces(kLlama3, "hello!!!\n\nworld"),
            (Pieces{"hello", "!!!\n\n", "world"}));
  EXPECT_EQ(pieces(kLlama3, "a\r\n\r\nb"), (Pieces{"a", "\r\n\r\n", "b"}));
  EXPECT_EQ(pieces(kLlama3, " \u00a0x"), (Pieces{" ", "\u00a0x"}));
  EXPECT_EQ(pieces(kLlama3, "٣٤٥ ½x"), (Pieces{"٣٤٥", " ", "½", "x"}));
  EXPECT_EQ(pieces(kLlama3, "a   "), (Pieces{"a", "   "}));
}

TEST(TokenizerTest, AddedTokensSplitFirstLongestMatch) {
  TokenizerData data = tinyData({{"h", "i"}});
  int32_t next = static_cast<int32_t>(data.vocab.size());
  data.addedTokens = {{next, "<|im_start|>", true, false},
                      {next + 1, "<|im_end|>", true, false},
                      {next + 2, "<|im", false, false}};
  Tokenizer tok = make(data);
  int32_t hi = *tok.tokenId("hi");
  EXPECT_EQ(tok.encode("<|im_start|>hi<|im_end|>"),
            (std::vector<int32_t>{next, hi, next + 1}));
  // The longest match wins; a prefix alone is the shorter token.
  EXPECT_EQ(tok.encode("<|imhi"), (std::vector<int32_t>{next + 2, hi}));
  // Without parsing special tokens, only the non-special one is matched.
  std::vector<int32_t> plain = tok.encode("<|im_end|>", false);
  EXPECT_EQ(plain.front(), next + 2);
  EXPECT_EQ(tok.decode(plain), "<|im_end|>");
  EXPECT_EQ(tok.decode(tok.encode("a<|im_end|>")), "a<|im_end|>");
  EXPECT_EQ(tok.decode(tok.encode("a<|im_end|>"), /*skipSpecial=*/true), "a");
  EXPECT_TRUE(tok.isSpecial(next));
  EXPECT_FALSE(tok.isSpecial(next + 2));
  EXPECT_EQ(tok.vocabSize(), static_cast<size_t>(next + 3));
}

TEST(TokenizerTest, RefusesBadData) {
  TokenizerData data = tinyData({});
  data.merges.push_back({"x", "nope"});
  Result<Tokenizer> bad = Tokenizer::fromData(data);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("merges[0] ('x' 'nope')"), std::string::npos)
      << bad.error();
  data = tinyData({});
  data.merges.push_back({"x", "y"}); // "xy" is not a token
  bad = Tokenizer::fromData(data);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("'xy' is not in the vocab"), std::string::npos);
  data = tinyData({});
  data.eosId = 5000;
  EXPECT_FALSE(Tokenizer::fromData(data));
}

TEST(TokenizerTest, ChatTemplates) {
  std::string smol =
      "{% for message in messages %}{% if loop.first and "
      "messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a "
      "helpful AI assistant named SmolLM, trained by Hugging "
      "Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + "
      "'\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if "
      "add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";
  std::string system;
  EXPECT_EQ(detectChatFormat(smol, &system), ChatFormat::ChatML);
  EXPECT_EQ(system,
            "You are a helpful AI assistant named SmolLM, trained by Hugging "
            "Face");
  EXPECT_EQ(detectChatFormat("{{ bos_token }}{% for m in messages %}"
                             "<|start_header_id|>{{ m.role }}<|end_header_id|>"
                             "{{ m.content }}<|eot_id|>{% endfor %}"),
            ChatFormat::Llama3);
  EXPECT_EQ(detectChatFormat("[INST] {{ m }} [/INST]"), ChatFormat::None);

  TokenizerData data = tinyData({});
  int32_t start = static_cast<int32_t>(data.vocab.size());
  data.addedTokens = {{start, "<|im_start|>", true, false},
                      {start + 1, "<|im_end|>", true, false},
                      {start + 2, "<|endoftext|>", true, false}};
  data.eosId = start + 2;
  data.chatTemplate = smol;
  data.chatFormat = detectChatFormat(smol, &data.defaultSystemPrompt);
  Tokenizer tok = make(data);
  Result<std::string> prompt = tok.applyChatTemplate("Hi");
  ASSERT_TRUE(prompt);
  EXPECT_EQ(*prompt, "<|im_start|>system\nYou are a helpful AI assistant "
                     "named SmolLM, trained by Hugging Face<|im_end|>\n"
                     "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
  prompt = tok.applyChatTemplate("Hi", "Be brief.");
  ASSERT_TRUE(prompt);
  EXPECT_EQ(*prompt, "<|im_start|>system\nBe brief.<|im_end|>\n"
                     "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(tok.encode(*prompt).front(), start);
  EXPECT_EQ(tok.stopIds(), (std::vector<int32_t>{start + 2, start + 1}));

  data.chatTemplate = "[INST]";
  data.chatFormat = ChatFormat::None;
  Result<std::string> refused = make(data).applyChatTemplate("Hi");
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().find("cannot render"), std::string::npos);
  data.chatTemplate.clear();
  refused = make(data).applyChatTemplate("Hi");
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().find("no chat template"), std::string::npos);

  TokenizerData llama = tinyData({});
  int32_t bos = static_cast<int32_t>(llama.vocab.size());
  llama.addedTokens = {{bos, "<|begin_of_text|>", true, false},
                       {bos + 1, "<|start_header_id|>", true, false},
                       {bos + 2, "<|end_header_id|>", true, false},
                       {bos + 3, "<|eot_id|>", true, false}};
  llama.bosId = bos;
  llama.addBos = true;
  llama.chatFormat = ChatFormat::Llama3;
  prompt = make(llama).applyChatTemplate("  Hi \n", "Sys");
  ASSERT_TRUE(prompt);
  EXPECT_EQ(*prompt,
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
            "Sys<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi"
            "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
}

namespace {

class TokenizerFileTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "xfw-tok-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    directory = pattern;
    path = directory + "/model.xfw";
  }
  void TearDown() override {
    std::string command = "rm -rf '" + directory + "'";
    ASSERT_EQ(std::system(command.c_str()), 0);
  }
  std::string directory;
  std::string path;
};

} // namespace

TEST_F(TokenizerFileTest, RoundTripThroughXfw) {
  TokenizerData data = tinyData({{"h", "e"}, {"l", "l"}, {"he", "ll"}});
  int32_t start = static_cast<int32_t>(data.vocab.size());
  data.addedTokens = {{start, "<|im_start|>", true, false},
                      {start + 1, "<|im_end|>", true, true},
                      {start + 2, "<x>", false, false}};
  data.preTokenizer = PreTokenizerKind::Llama3;
  data.addPrefixSpace = true;
  data.ignoreMerges = true;
  data.bosId = start;
  data.eosId = start + 1;
  data.addBos = true;
  data.chatTemplate = "<|im_start|>{{ x }}<|im_end|>";
  data.chatFormat = ChatFormat::ChatML;
  data.defaultSystemPrompt = "Be nice.";

  WeightsFileWriter writer;
  ASSERT_TRUE(writer.setTokenizer(data));
  float weight[2] = {1, 2};
  ASSERT_TRUE(writer.addTensor("w", DType::F32, {2}, weight, sizeof(weight)));
  ASSERT_TRUE(writer.write(path));

  Result<WeightsFile> file = WeightsFile::open(path);
  ASSERT_TRUE(file) << file.error();
  Result<TokenizerData> read = readWeightsFileTokenizer(*file);
  ASSERT_TRUE(read) << read.error();
  EXPECT_EQ(read->vocab, data.vocab);
  EXPECT_EQ(read->merges, data.merges);
  ASSERT_EQ(read->addedTokens.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(read->addedTokens[i].id, data.addedTokens[i].id);
    EXPECT_EQ(read->addedTokens[i].content, data.addedTokens[i].content);
    EXPECT_EQ(read->addedTokens[i].special, data.addedTokens[i].special);
    EXPECT_EQ(read->addedTokens[i].normalized,
              data.addedTokens[i].normalized);
  }
  EXPECT_EQ(read->preTokenizer, data.preTokenizer);
  EXPECT_EQ(read->addPrefixSpace, true);
  EXPECT_EQ(read->ignoreMerges, true);
  EXPECT_EQ(read->bosId, start);
  EXPECT_EQ(read->eosId, start + 1);
  EXPECT_EQ(read->addBos, true);
  EXPECT_EQ(read->chatTemplate, data.chatTemplate);
  EXPECT_EQ(read->chatFormat, ChatFormat::ChatML);
  EXPECT_EQ(read->defaultSystemPrompt, "Be nice.");

  Result<Tokenizer> tok = Tokenizer::fromWeightsFile(*file);
  ASSERT_TRUE(tok) << tok.error();
  Tokenizer direct = make(data);
  std::string text = "<|im_start|>hello <x> world<|im_end|>";
  EXPECT_EQ(tok->encode(text), direct.encode(text));
  // add_prefix_space puts a space before each plain-text segment.
  EXPECT_EQ(tok->decode(tok->encode(text)),
            "<|im_start|> hello <x> world<|im_end|>");
  // The tensor is still there, untouched.
  ASSERT_NE(file->findTensor("w"), nullptr);
}

TEST_F(TokenizerFileTest, FileWithoutTokenizerStillOpens) {
  WeightsFileWriter writer;
  float weight[1] = {1};
  ASSERT_TRUE(writer.addTensor("w", DType::F32, {1}, weight, sizeof(weight)));
  ASSERT_TRUE(writer.write(path));
  Result<WeightsFile> file = WeightsFile::open(path);
  ASSERT_TRUE(file) << file.error();
  Result<Tokenizer> tok = Tokenizer::fromWeightsFile(*file);
  ASSERT_FALSE(tok);
  EXPECT_NE(tok.error().find(path + ": has no tokenizer"), std::string::npos)
      << tok.error();
}

TEST_F(TokenizerFileTest, WriterRefusesBadTokenizer) {
  TokenizerData data = tinyData({});
  data.merges.push_back({"a", "b c"});
  WeightsFileWriter writer;
  Result<void> set = writer.setTokenizer(data);
  ASSERT_FALSE(set);
  EXPECT_NE(set.error().find("has a space"), std::string::npos) << set.error();
}
