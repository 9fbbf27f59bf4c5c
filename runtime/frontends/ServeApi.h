//===- ServeApi.h - the OpenAI API of `serve`: the pure part --*- C++ -*-===//
//
// What `OUT serve` (Serve.cpp) does with bytes, apart from the network and
// the model: a request body becomes a validated ApiRequest or an OpenAI-style
// error (status, type, message, param, code), generated text is cut at stop
// strings without ever sending text a later token could turn into a stop,
// and responses and stream chunks are built. No I/O, no model, no threads:
// the unit tests (test/unit/runtime/ServeApiTest.cpp) and the libFuzzer
// target (test/fuzz/ServeRequestFuzzer.cpp) call it directly.
//
//===----------------------------------------------------------------------===//

#ifndef XF_RUNTIME_FRONTENDS_SERVEAPI_H
#define XF_RUNTIME_FRONTENDS_SERVEAPI_H

#include "xf/ChatTemplate.h"
#include "xf/Sampler.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace xf::serve {

enum class Endpoint { ChatCompletions, Completions };

/// An error as OpenAI's API reports it: HTTP `status`, and the body
/// {"error": {"message", "type", "param", "code"}}.
struct ApiError {
  int status = 400;
  std::string type = "invalid_request_error";
  std::string message;
  std::optional<std::string> param;
  std::optional<std::string> code;
};
std::string errorBody(const ApiError &error);

/// What a request may ask for; anything beyond is a 400.
struct RequestLimits {
  /// The one model id the server answers to (GET /v1/models lists it).
  std::string modelId;
  /// The model's context: max_tokens may not exceed it.
  int64_t maxContext = 2048;
  size_t maxBodyBytes = 1 << 20;
  /// JSON nesting, checked before parsing.
  int maxDepth = 32;
  size_t maxMessages = 256;
  size_t maxStops = 4;
  size_t maxStopBytes = 256;
};

/// A validated request. Sampling defaults are OpenAI's: temperature 1,
/// top_p 1; top_k (an extension, as in vLLM and llama.cpp) 0 = all.
struct ApiRequest {
  Endpoint endpoint = Endpoint::ChatCompletions;
  std::string model;
  std::vector<ChatMessage> messages; ///< chat
  std::string prompt;                ///< completions
  /// Absent: completions 16 (OpenAI's default), chat until the context.
  std::optional<int64_t> maxTokens;
  SamplingParams sampling;
  /// Absent: a fresh seed per request.
  std::optional<uint64_t> seed;
  std::vector<std::string> stop;
  bool stream = false;
  /// stream_options.include_usage: a last chunk with usage.
  bool streamUsage = false;
};

/// Parses and validates `body` for `endpoint`. Never throws; every refusal
/// names the offending field (`param`).
std::variant<ApiRequest, ApiError> parseRequest(Endpoint endpoint,
                                                std::string_view body,
                                                const RequestLimits &limits);

/// Whether `text` is well-formed UTF-8 (no overlongs, surrogates or code
/// points above U+10FFFF).
bool isValidUtf8(std::string_view text);

/// Compares two secrets in time that depends on their lengths only.
bool constantTimeEquals(std::string_view a, std::string_view b);

/// Streams generated text while holding back what might still become a
/// stop string: push() returns only text no later text can turn into (the
/// start of) a match. Once a stop string appears, the text before it is
/// returned, stopped() is true, and the rest is dropped.
class StopStringFilter {
public:
  explicit StopStringFilter(std::vector<std::string> stops);
  std::string push(std::string_view text);
  /// What is held back, at the end of the generation.
  std::string finish();
  bool stopped() const { return hasStopped; }

private:
  std::vector<std::string> stops;
  std::string pending;
  bool hasStopped = false;
};

/// OpenAI's finish_reason.
enum class Finish { Stop, Length };
const char *finishName(Finish finish);

struct Usage {
  int64_t promptTokens = 0;
  int64_t completionTokens = 0;
};

/// The identity of one response, shared by its chunks.
struct ResponseHeader {
  Endpoint endpoint = Endpoint::ChatCompletions;
  std::string id;      ///< "chatcmpl-..." / "cmpl-..."
  int64_t created = 0; ///< Unix seconds
  std::string model;
};

/// The whole (non-streamed) response.
std::string responseBody(const ResponseHeader &header, const std::string &text,
                         Finish finish, const Usage &usage);
/// One server-sent event, "data: {...}\n\n", carrying `text` (the chat
/// stream's first chunk, `first`, also carries the assistant role) and the
/// finish reason on the last.
std::string streamChunk(const ResponseHeader &header, const std::string &text,
                        bool first, std::optional<Finish> finish);
/// The stream's usage chunk (stream_options.include_usage).
std::string streamUsageChunk(const ResponseHeader &header, const Usage &usage);
/// GET /v1/models.
std::string modelsBody(const std::string &modelId, int64_t created);

} // namespace xf::serve

#endif // XF_RUNTIME_FRONTENDS_SERVEAPI_H
