//===- Main.cpp - the emitted program's main ------------------------------===//
//
// Every program xfc emits is this main linked with the compiled model
// (libxfrt_main.a, then libxfrt.a). It parses the command line and hands it
// to one front end (Frontends.h); the engine does the rest.
//
//===----------------------------------------------------------------------===//

#include "Frontends.h"

#include "xf/CommandLine.h"
#include "xf/ThreadPool.h"

#include <iostream>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

using namespace xf;
using namespace xf::frontends;

namespace {

const char *kUsage = R"(usage:
  PROGRAM --prompt TEXT [--chat] [--system TEXT] [--max-tokens N] [sampling]
  PROGRAM --tokens 1,2,3 [--max-tokens N] [--logits FILE] [sampling]
  PROGRAM --prompts-file FILE [--max-batch N] [--max-tokens N] [sampling]
  PROGRAM --tokens-file FILE [--max-batch N] [--max-tokens N] [sampling]
  PROGRAM bench --prompt-len P --gen-len G [--batch N] [--speculate]
  PROGRAM ppl --file TEXT [--ctx N] [--chunks C]
  PROGRAM logits --file TEXT [--ctx N] [--chunks C] --logits FILE
  PROGRAM calibrate --file TEXT [--ctx N] [--chunks C] --out FILE
  PROGRAM serve [--host 127.0.0.1] [--port 8080] [--api-key KEY]
        [--max-batch N] [--max-queue N] [--kv-memory BYTES] [--threads N]
  PROGRAM --help

--prompt encodes TEXT with the model's tokenizer and streams the generated
text to stdout until an end-of-sequence token or --max-tokens; speed goes to
stderr. --chat wraps TEXT in the model's chat template (a user turn, with
--system or the template's default system prompt).

--tokens takes prompt ids and prints the generated ids (not the prompt) as one
comma-separated line, exactly --max-tokens of them (end-of-sequence does not
stop it). Greedy unless --temperature is above 0. --logits FILE writes
float32 little-endian logits, one row of vocab floats per forward position:
the prompt's positions first, then one per generated token but the last.

--prompts-file generates for every line of FILE (one prompt each) together:
all running sequences decode in one call per step, and a prompt joins as soon
as there is room (continuous batching, up to --max-batch sequences, default
16). Each result is printed as one JSON line, in the order of the prompts:
{"index": I, "prompt": "...", "completion": "..."}. --tokens-file does the
same with a line of comma-separated ids per prompt and prints a line of
generated ids per prompt. KV-cache use goes to stderr. Both need a model
compiled with the paged KV cache.

bench prints prefill and decode tokens per second for a prompt of P random
ids followed by G generated tokens; with --batch N (paged models), N such
sequences decode together and the decode figure is their aggregate. With
--speculate it also times generation with the draft (--draft, default
ngram) from a prompt whose second half repeats its first, beside the same
generation without it.

ppl prints the perplexity of the model on the text in FILE: the text is split
into consecutive chunks of N tokens (default 512), each evaluated from an
empty context, and every token of a chunk but the first is scored. --chunks C
stops after C chunks.

logits runs the chunks ppl scores and writes every position's logits to
FILE (as --logits: float32 rows of vocab floats, chunk after chunk); it
prints each chunk's token ids as one comma-separated line. xfc --eval-text
compares two programs with it.

calibrate runs the same chunks through a program compiled for calibration
(xfc --calibration makes one) and writes the mean Gram matrix E[x x^T] of
the inputs of each linear layer to FILE, for GPTQ; it prints one JSON line
per matrix: name, weights (the layers that read those inputs), k, tokens,
trace and frobenius (its norm).

serve answers OpenAI-style HTTP requests (paged models):
  POST /v1/chat/completions  {"model": M, "messages": [...]} (the model's
                             chat template)
  POST /v1/completions       {"model": M, "prompt": "..."}
  GET  /v1/models            M is the program's name (its .xfw without .xfw)
  GET  /health, GET /metrics (Prometheus text)
Both POSTs take max_tokens, temperature (default 1), top_p, top_k, seed,
stop (up to 4 strings), stream (server-sent events ending in data: [DONE])
and stream_options.include_usage; any other field or value (n > 1, logprobs,
tools, ...) is refused with a 400 and an OpenAI error object. Requests join
the running batch as they arrive (up to --max-batch, default 16); up to
--max-queue more wait (default 64), and beyond that the answer is 429 with
Retry-After. Shared prompt prefixes are computed once; a client that
disconnects has its generation cancelled. It listens on --host (default
127.0.0.1, loopback only) and --port (default 8080; 0 picks a free port,
printed on stderr). With --api-key KEY every endpoint but /health needs
"Authorization: Bearer KEY". Bodies are limited to 1 MiB and prompts to the
context. SIGTERM or SIGINT stops taking requests, lets those in flight
finish (up to 30 s, then cancels them) and exits 0.

Options:
  --max-tokens N     tokens to generate (default 32 for --tokens, 256 for
                     --prompt)
  --temperature T    0 = greedy (default 0)
  --top-k K          keep the K most likely tokens (0 = all)
  --top-p P          keep the smallest set with probability >= P (default 1)
  --seed S           sampling seed (default 0); same seed, same tokens
  --threads N        threads for the kernels (default: XF_NUM_THREADS, else
                     one per hardware thread)
  --weights FILE     the weights file (default: PROGRAM.xfw)
  --kv-memory BYTES  size of the paged KV pool (suffixes K, M, G; default:
                     what xfc --kv-memory recorded, else 512M)
  --recompute        no KV cache reuse: every step recomputes the whole
                     sequence (to check cached decoding against)
  --verify-weights   check every tensor's checksum before running (reads the
                     whole file once)

Speculative decoding (paged models; --prompt, --tokens, a batch while one
sequence runs, bench --speculate): a draft proposes tokens, the model checks
them all in one call, and the output is what decoding without it gives
(greedy: the same tokens; sampling: the same distribution). A stats line
goes to stderr.
  --draft D          ngram[:N] (prompt lookup of the last N tokens, default
                     3), self:layers (the draft xfc --draft=self:layers=N
                     compiled in), model (the draft model xfc
                     --draft=self:int4|self:int8|draft.onnx compiled in) or
                     none; default: what xfc --draft chose
  --spec-k K         most tokens drafted per step (default 8, at most 15);
                     the step adapts below it to what is accepted
  --no-speculate     decode one token per step
)";

/// --tokens 1,2,3.
bool parseIds(const std::string &value, std::vector<int64_t> &ids) {
  for (const std::string &id : splitList(value, ',')) {
    int64_t number = 0;
    if (!parseInt(id, number) || number < 0)
      return false;
    ids.push_back(number);
  }
  return true;
}

/// One option that takes a value; false if `arg` is unknown or `value` bad.
bool parseValue(const std::string &arg, const std::string &value,
                Options &o) {
  int64_t number = 0;
  bool isInt = parseInt(value, number);
  if (arg == "--prompt") o.promptText = value;
  else if (arg == "--system") o.systemText = value;
  else if (arg == "--file") o.textPath = value;
  else if (arg == "--prompts-file") o.promptsPath = value;
  else if (arg == "--tokens-file") o.tokensPath = value;
  else if (arg == "--logits") o.logitsPath = value;
  else if (arg == "--out") o.outPath = value;
  else if (arg == "--weights") o.weightsPath = value;
  else if (arg == "--max-tokens" && isInt && number >= 0) o.maxTokens = number;
  else if (arg == "--prompt-len" && isInt && number > 0) o.promptLength = number;
  else if (arg == "--gen-len" && isInt && number >= 0) o.generateLength = number;
  else if (arg == "--ctx" && isInt && number >= 2) o.context = number;
  else if (arg == "--chunks" && isInt && number >= 0) o.maxChunks = number;
  else if (arg == "--threads" && isInt && number > 0) o.threads = number;
  else if (arg == "--max-batch" && isInt && number > 0) o.maxBatch = number;
  else if (arg == "--batch" && isInt && number > 0) o.batch = number;
  else if (arg == "--top-k" && isInt && number >= 0) o.sampling.topK = number;
  else if (arg == "--seed" && isInt) o.seed = number;
  else if (arg == "--draft") o.draft = value;
  else if (arg == "--host") o.host = value;
  else if (arg == "--api-key") o.apiKey = value, o.apiKeyGiven = true;
  else if (arg == "--port" && isInt && number >= 0 && number <= 65535)
    o.port = number;
  else if (arg == "--max-queue" && isInt && number >= 0) o.maxQueue = number;
  else if (arg == "--spec-k" && isInt && number >= 1 && number <= 15)
    o.specK = number;
  else if (arg == "--kv-memory") return parseBytes(value, o.kvMemory);
  else if (arg == "--temperature")
    return parseFloat(value, o.sampling.temperature);
  else if (arg == "--top-p") return parseFloat(value, o.sampling.topP);
  else return false;
  return true;
}

/// The mode's required options and the prompt sources; 0 if they agree.
int checkOptions(const Options &o) {
  if (o.mode == Mode::Bench && (o.promptLength < 0 || o.generateLength < 0))
    return usageError("bench needs --prompt-len and --gen-len");
  if (o.mode == Mode::Perplexity && o.textPath.empty())
    return usageError("ppl needs --file");
  if (o.mode == Mode::Logits && (o.textPath.empty() || o.logitsPath.empty()))
    return usageError("logits needs --file and --logits");
  if (o.mode == Mode::Calibrate && (o.textPath.empty() || o.outPath.empty()))
    return usageError("calibrate needs --file and --out");
  // Each admitted request holds a server thread while it runs or waits.
  if (o.mode == Mode::Serve && o.apiKeyGiven && o.apiKey.empty())
    return usageError("--api-key needs a non-empty key");
  if (o.mode == Mode::Serve && o.maxBatch + o.maxQueue > 4096)
    return usageError("serve takes at most 4096 requests at once "
                      "(--max-batch + --max-queue)");
  if (o.mode == Mode::Generate) {
    int given = !o.prompt.empty() + !!o.promptText + !o.promptsPath.empty() +
                !o.tokensPath.empty();
    if (given != 1)
      return usageError("give the prompt with exactly one of --prompt, "
                        "--tokens, --prompts-file, --tokens-file");
    if (o.chat && !o.promptText && o.promptsPath.empty())
      return usageError("--chat needs --prompt or --prompts-file");
  }
  return 0;
}

/// Fills `o` from the command line. Returns -1 to go on, else the exit code
/// (0 after --help).
int parseCommandLine(int argc, char **argv, Options &o) {
  std::vector<std::string> args(argv + 1, argv + argc);
  o.weightsPath = std::string(argv[0]) + ".xfw";
  const std::pair<const char *, Mode> subcommands[] = {
      {"bench", Mode::Bench},
      {"ppl", Mode::Perplexity},
      {"logits", Mode::Logits},
      {"calibrate", Mode::Calibrate},
      {"serve", Mode::Serve}};
  for (const auto &[name, mode] : subcommands)
    if (!args.empty() && args[0] == name)
      o.mode = mode;
  for (size_t i = o.mode == Mode::Generate ? 0 : 1; i < args.size(); ++i) {
    const std::string &arg = args[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (arg == "--verify-weights" || arg == "--chat" || arg == "--recompute" ||
        arg == "--no-speculate" || arg == "--speculate") {
      (arg == "--chat"           ? o.chat
       : arg == "--recompute"    ? o.recompute
       : arg == "--no-speculate" ? o.noSpeculate
       : arg == "--speculate"    ? o.benchSpeculate
                                 : o.verifyWeights) = true;
      continue;
    }
    if (i + 1 >= args.size())
      return usageError("'" + arg + "' needs a value or is unknown");
    const std::string &value = args[++i];
    if (arg == "--tokens") {
      if (!parseIds(value, o.prompt))
        return usageError("--tokens takes comma-separated ids, got '" + value +
                          "'");
    } else if (!parseValue(arg, value, o)) {
      return usageError("bad option or value: " + arg + " " + value);
    }
  }
  if (int status = checkOptions(o))
    return status;
  return -1;
}

int dispatch(CompiledModel &model, Options &o) {
  if (o.mode == Mode::Bench)
    return runBench(model, o);
  if (o.mode == Mode::Serve)
    return runServe(model, o);
  // Perplexity and --logits want every position's logits: nothing may come
  // from the prefix cache.
  model.setReusePrefix(false);
  if (o.mode == Mode::Perplexity)
    return runPerplexity(model, o);
  if (o.mode == Mode::Calibrate)
    return runCalibrate(model, o);
  model.setReusePrefix(o.logitsPath.empty());
  if (!o.promptsPath.empty() || !o.tokensPath.empty())
    return runBatch(model, o);
  if (o.mode == Mode::Logits)
    return runLogits(model, o);
  return runGenerate(model, o);
}

} // namespace

int main(int argc, char **argv) {
#if defined(__GLIBC__)
  // The model mallocs and frees its activations on every call (a 512-token
  // chunk's logits alone are 100 MB). glibc would mmap each large one and
  // unmap it on free, so every call paid for zeroing fresh pages; from the
  // heap, and kept there, the same memory is reused.
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
  Options options;
  if (int status = parseCommandLine(argc, argv, options); status >= 0)
    return status;
  if (options.threads > 0)
    setNumThreads(static_cast<int>(options.threads));
  // Before any weight page or KV block is touched.
  if (int status = checkResidentMemory(options))
    return status;
  auto loaded = CompiledModel::load(options.weightsPath, options.kvMemory);
  if (!loaded)
    return fail(loaded.error());
  CompiledModel &model = **loaded;
  if (options.verifyWeights)
    if (auto verified = model.weightsFile().verifyChecksums(); !verified)
      return fail(verified.error());
  return dispatch(model, options);
}
