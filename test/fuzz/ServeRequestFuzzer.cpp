//===- ServeRequestFuzzer.cpp - libFuzzer target for serve's requests -----===//
//
// Feeds arbitrary bytes to `serve`'s request parser and validator (request
// bodies come from the network: untrusted input), the first byte choosing
// the endpoint. A request that validates is then put through what the
// server does next without the model: its text through a StopStringFilter
// with its stop strings, in pieces, and the response and stream chunks
// built from the result. Any crash, sanitizer report, leak, timeout or
// uncaught exception is a bug; a refusal must carry a 4xx status and a
// message.
//
//===----------------------------------------------------------------------===//

#include "ServeApi.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

using namespace xf::serve;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  Endpoint endpoint =
      data[0] & 1 ? Endpoint::Completions : Endpoint::ChatCompletions;
  std::string_view body(reinterpret_cast<const char *>(data + 1), size - 1);
  RequestLimits limits;
  limits.modelId = "m";
  limits.maxBodyBytes = 64 * 1024;
  auto parsed = parseRequest(endpoint, body, limits);
  if (auto *error = std::get_if<ApiError>(&parsed)) {
    if (error->status < 400 || error->status >= 500 || error->message.empty())
      std::abort();
    (void)errorBody(*error);
    return 0;
  }
  const ApiRequest &request = std::get<ApiRequest>(parsed);
  std::string text = request.prompt;
  for (const auto &message : request.messages)
    text += message.content;
  StopStringFilter filter(request.stop);
  std::string out;
  // Pieces of 1, 2, 3, ... bytes, as a decoder might hand them over.
  for (size_t at = 0, n = 1; at < text.size(); at += n, ++n)
    out += filter.push(std::string_view(text).substr(at, n));
  out += filter.finish();
  if (out.size() > text.size())
    std::abort();
  ResponseHeader header{endpoint, "id", 0, request.model};
  (void)responseBody(header, out,
                     filter.stopped() ? Finish::Stop : Finish::Length, {1, 1});
  (void)streamChunk(header, out, true, std::nullopt);
  return 0;
}
