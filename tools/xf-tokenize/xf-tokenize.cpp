//===- xf-tokenize.cpp - the runtime tokenizer from the command line ------===//
//
// Encodes, decodes and applies the chat template with the runtime's
// Tokenizer, loaded the way a compiled program loads it: tokenizer.json
// (+ tokenizer_config.json) is imported into TokenizerData, written into an
// .xfw file, the file is opened and the Tokenizer read back from it. So the
// serialized form is exercised by every use. (--xfw reads a compiled
// model's .xfw directly.)
//
// Exit codes: 0 done; 1 the tokenizer or an input could not be read (a
// message says why); 2 bad command line.
//
//===----------------------------------------------------------------------===//

#include "importer/TokenizerImport.h"
#include "xf/Tokenizer.h"
#include "xf/WeightsFile.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <unistd.h>

using namespace xf;

namespace {

constexpr const char *kUsage = R"(usage: xf-tokenize SOURCE [OPTIONS] COMMAND [ARGS]

The runtime tokenizer (Hugging Face tokenizer.json: byte-level BPE,
SentencePiece-style BPE, Unigram) from the command line.

SOURCE (one of):
  --tokenizer FILE     a Hugging Face tokenizer.json
  --config FILE        with --tokenizer: its tokenizer_config.json (chat
                       template, bos/eos tokens)
  --xfw FILE           the tokenizer stored in a compiled model's .xfw

OPTIONS:
  --save-xfw FILE      keep the .xfw file the tokenizer went through (with
                       --tokenizer it is otherwise a temporary file)
  --no-special         encode special tokens' text as plain text
  --skip-special       decode: leave special tokens out
  --time               encode: print the time taken to stderr
  --help               this text

COMMANDS:
  encode FILE...       print the ids of each file's text (- is stdin),
                       comma-separated, one line per file
  decode [FILE]        read ids (separated by commas, spaces or newlines)
                       from FILE or stdin and print their text
  decode-lines FILE    decode each line of ids in FILE; print each text as
                       a JSON string on a line of its own
  stream-decode-lines FILE
                       the same through StreamDecoder (push each id, then
                       finish), the pieces joined; fails if a piece is not
                       valid UTF-8
  chat TEXT [--system TEXT]
                       print the chat prompt for one user message
  info                 print the vocab size, model, pre-tokenizer, bos/eos,
                       chat form and stop ids
)";

int usageError(const std::string &message) {
  std::cerr << "xf-tokenize: " << message << "\n(see xf-tokenize --help)\n";
  return 2;
}

int fail(const std::string &message) {
  std::cerr << "xf-tokenize: " << message << "\n";
  return 1;
}

Result<std::string> readFile(const std::string &path) {
  if (path == "-")
    return std::string(std::istreambuf_iterator<char>(std::cin), {});
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return ErrorMessage{path + ": cannot read"};
  return std::string(std::istreambuf_iterator<char>(in), {});
}

Result<std::vector<int32_t>> parseIds(const std::string &text,
                                      const std::string &where) {
  std::vector<int32_t> ids;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == ',' || c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < text.size() && text[j] >= '0' && text[j] <= '9')
      ++j;
    if (j == i || j - i > 10)
      return ErrorMessage{where + ": expected token ids, found '" +
                          text.substr(i, 20) + "'"};
    long long id = std::stoll(text.substr(i, j - i));
    if (id > INT32_MAX)
      return ErrorMessage{where + ": id " + text.substr(i, j - i) +
                          " is out of range"};
    ids.push_back(static_cast<int32_t>(id));
    i = j;
  }
  return ids;
}

/// Imports tokenizer.json, writes it to an .xfw file and reads it back.
Result<Tokenizer> loadThroughXfw(const std::string &tokenizerPath,
                                 const std::optional<std::string> &configPath,
                                 const std::string &savePath) {
  Result<TokenizerData> data = importHFTokenizer(tokenizerPath, configPath);
  if (!data)
    return ErrorMessage{data.error()};
  std::string path = savePath;
  std::string directory;
  if (path.empty()) {
    const char *tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") +
                          "/xf-tokenize-XXXXXX";
    if (!::mkdtemp(pattern.data()))
      return ErrorMessage{"cannot create a temporary directory in " +
                          pattern};
    directory = pattern;
    path = directory + "/tokenizer.xfw";
  }
  auto cleanup = [&] {
    if (!directory.empty()) {
      ::unlink(path.c_str());
      ::rmdir(directory.c_str());
    }
  };
  WeightsFileWriter writer;
  writer.addMetadata("producer", "xf-tokenize");
  if (Result<void> set = writer.setTokenizer(*data); !set) {
    cleanup();
    return ErrorMessage{tokenizerPath + ": " + set.error()};
  }
  if (Result<void> written = writer.write(path); !written) {
    cleanup();
    return ErrorMessage{written.error()};
  }
  Result<WeightsFile> file = WeightsFile::open(path);
  if (!file) {
    cleanup();
    return ErrorMessage{file.error()};
  }
  Result<Tokenizer> tokenizer = Tokenizer::fromWeightsFile(*file);
  cleanup();
  return tokenizer;
}

struct Options {
  std::string tokenizerPath, xfwPath, savePath, systemPrompt;
  std::optional<std::string> configPath;
  bool parseSpecial = true, skipSpecial = false, timing = false,
       haveSystem = false;
  /// The command and its arguments.
  std::vector<std::string> positional;
};

/// Reads the command line into `options`; an exit status if the program
/// ends here (--help, a usage error), else -1.
int parseOptions(int argc, char **argv, Options &options) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](std::string &out) {
      if (i + 1 >= argc)
        return false;
      out = argv[++i];
      return true;
    };
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (arg == "--tokenizer") {
      if (!value(options.tokenizerPath))
        return usageError("--tokenizer needs a file");
    } else if (arg == "--config") {
      std::string path;
      if (!value(path))
        return usageError("--config needs a file");
      options.configPath = path;
    } else if (arg == "--xfw") {
      if (!value(options.xfwPath))
        return usageError("--xfw needs a file");
    } else if (arg == "--save-xfw") {
      if (!value(options.savePath))
        return usageError("--save-xfw needs a file");
    } else if (arg == "--system") {
      if (!value(options.systemPrompt))
        return usageError("--system needs a text");
      options.haveSystem = true;
    } else if (arg == "--no-special") {
      options.parseSpecial = false;
    } else if (arg == "--skip-special") {
      options.skipSpecial = true;
    } else if (arg == "--time") {
      options.timing = true;
    } else if (arg.size() > 1 && arg[0] == '-' && arg != "-") {
      return usageError("unknown option " + arg);
    } else {
      options.positional.push_back(arg);
    }
  }
  if (options.tokenizerPath.empty() == options.xfwPath.empty())
    return usageError("give one of --tokenizer FILE and --xfw FILE");
  if (options.configPath && options.tokenizerPath.empty())
    return usageError("--config goes with --tokenizer");
  if (options.positional.empty())
    return usageError("missing command (encode, decode, decode-lines, "
                      "stream-decode-lines, chat, info)");
  return -1;
}

/// `encode`: Prints the ids of each FILE, one line per file.
int runEncode(const Tokenizer &tokenizer,
              const std::vector<std::string> &args,
              const Options &options) {
  if (args.empty())
    return usageError("encode needs a FILE (- for stdin)");
  std::string line;
  for (const std::string &path : args) {
    Result<std::string> text = readFile(path);
    if (!text)
      return fail(text.error());
    auto start = std::chrono::steady_clock::now();
    std::vector<int32_t> ids = tokenizer.encode(*text, options.parseSpecial);
    auto seconds = std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - start)
                       .count();
    if (options.timing)
      std::fprintf(stderr,
                   "%s: %zu bytes -> %zu tokens in %.2f ms (%.1f MB/s)\n",
                   path.c_str(), text->size(), ids.size(), seconds * 1e3,
                   text->size() / seconds / 1e6);
    line.clear();
    for (size_t i = 0; i < ids.size(); ++i)
      line += (i ? "," : "") + std::to_string(ids[i]);
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), stdout);
  }
  return 0;
}

/// `decode`: Prints the text of the comma-separated ids in FILE.
int runDecode(const Tokenizer &tokenizer,
              const std::vector<std::string> &args,
              const Options &options) {
  if (args.size() > 1)
    return usageError("decode takes at most one FILE");
  std::string path = args.empty() ? "-" : args[0];
  Result<std::string> text = readFile(path);
  if (!text)
    return fail(text.error());
  Result<std::vector<int32_t>> ids = parseIds(*text, path);
  if (!ids)
    return fail(ids.error());
  for (int32_t id : *ids)
    if (static_cast<size_t>(id) >= tokenizer.vocabSize())
      return fail(path + ": id " + std::to_string(id) +
                  " is out of range (vocab size " +
                  std::to_string(tokenizer.vocabSize()) + ")");
  std::string out = tokenizer.decode(*ids, options.skipSpecial);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

/// The text of `ids` through the streaming decoder, checked to come out as
/// valid UTF-8 piece by piece.
Result<std::string> streamDecode(const Tokenizer &tokenizer,
                                 const std::vector<int32_t> &ids,
                                 bool skipSpecial, const std::string &where) {
  Tokenizer::StreamDecoder stream(tokenizer, skipSpecial);
  std::string whole;
  for (size_t i = 0; i <= ids.size(); ++i) {
    std::string piece = i < ids.size() ? stream.push(ids[i]) : stream.finish();
    if (!llvm::json::isUTF8(piece))
      return ErrorMessage{where + ": the stream gave invalid UTF-8 after " +
                          std::to_string(i) + " ids"};
    whole += piece;
  }
  return whole;
}

/// `decode-lines` / `stream-decode-lines`: prints the decoded text of each
/// line of ids as a JSON string, with decode() or through the streaming
/// decoder.
int runDecodeLines(const Tokenizer &tokenizer,
                   const std::vector<std::string> &args,
                   const Options &options, bool streaming) {
  if (args.size() != 1)
    return usageError(std::string(streaming ? "stream-decode-lines"
                                            : "decode-lines") +
                      " takes one FILE");
  Result<std::string> text = readFile(args[0]);
  if (!text)
    return fail(text.error());
  std::istringstream lines(*text);
  std::string line;
  llvm::raw_fd_ostream &out = llvm::outs();
  for (size_t number = 1; std::getline(lines, line); ++number) {
    std::string where = args[0] + ":" + std::to_string(number);
    Result<std::vector<int32_t>> ids = parseIds(line, where);
    if (!ids)
      return fail(ids.error());
    Result<std::string> decoded =
        streaming ? streamDecode(tokenizer, *ids, options.skipSpecial, where)
                  : Result<std::string>(
                        tokenizer.decode(*ids, options.skipSpecial));
    if (!decoded)
      return fail(decoded.error());
    out << llvm::json::Value(*decoded) << "\n";
  }
  return 0;
}

/// `chat`: Prints the chat template rendered for one user TEXT.
int runChat(const Tokenizer &tokenizer,
            const std::vector<std::string> &args,
            const Options &options) {
  if (args.size() != 1)
    return usageError("chat takes one TEXT (the user message)");
  Result<std::string> prompt = tokenizer.applyChatTemplate(
      args[0], options.haveSystem ? std::optional<std::string_view>(options.systemPrompt)
                          : std::nullopt);
  if (!prompt)
    return fail(prompt.error());
  std::fwrite(prompt->data(), 1, prompt->size(), stdout);
  return 0;
}

/// `info`: Prints what the tokenizer is made of.
int runInfo(const Tokenizer &tokenizer,
            const std::vector<std::string> &args,
            const Options &options) {
  auto name = [&](std::optional<int32_t> id) {
    return id ? std::to_string(*id) + " " +
                    std::string(tokenizer.tokenString(*id))
              : std::string("none");
  };
  std::cout << "vocab size: " << tokenizer.vocabSize() << "\n"
            << "model: " << modelKindName(tokenizer.model()) << "\n"
            << "merges: " << tokenizer.data().merges.size() << "\n"
            << "added tokens: " << tokenizer.data().addedTokens.size()
            << "\n"
            << "pre-tokenizer: "
            << preTokenizerName(tokenizer.preTokenizer()) << "\n"
            << "bos: " << name(tokenizer.bosId())
            << (tokenizer.addBos() ? " (added before prompts)" : "")
            << "\n"
            << "eos: " << name(tokenizer.eosId()) << "\n"
            << "chat format: " << chatFormatName(tokenizer.chatFormat())
            << "\n"
            << "default system prompt: "
            << tokenizer.data().defaultSystemPrompt << "\n"
            << "stop ids:";
  for (int32_t id : tokenizer.stopIds())
    std::cout << " " << id;
  std::cout << "\n";
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  Options options;
  if (int status = parseOptions(argc, argv, options); status >= 0)
    return status;
  std::string command = options.positional[0];
  std::vector<std::string> args(options.positional.begin() + 1,
                                options.positional.end());

  std::optional<Tokenizer> tokenizer;
  if (!options.xfwPath.empty()) {
    Result<WeightsFile> file = WeightsFile::open(options.xfwPath);
    if (!file)
      return fail(file.error());
    Result<Tokenizer> loaded = Tokenizer::fromWeightsFile(*file);
    if (!loaded)
      return fail(loaded.error());
    tokenizer.emplace(std::move(*loaded));
  } else {
    Result<Tokenizer> loaded =
        loadThroughXfw(options.tokenizerPath, options.configPath, options.savePath);
    if (!loaded)
      return fail(loaded.error());
    tokenizer.emplace(std::move(*loaded));
  }

  if (command == "encode")
    return runEncode(*tokenizer, args, options);
  if (command == "decode")
    return runDecode(*tokenizer, args, options);
  if (command == "decode-lines")
    return runDecodeLines(*tokenizer, args, options, /*streaming=*/false);
  if (command == "stream-decode-lines")
    return runDecodeLines(*tokenizer, args, options, /*streaming=*/true);
  if (command == "chat")
    return runChat(*tokenizer, args, options);
  if (command == "info")
    return runInfo(*tokenizer, args, options);
  return usageError("unknown command '" + command + "'");
}
