//===- HttpRequestFuzzer.cpp - libFuzzer target for serve's HTTP parser ---===//
//
// Feeds arbitrary bytes to parseHttpRequest (they come straight off the
// network), whole and as every prefix a server could have received so far.
// Besides crashes, sanitizer reports and leaks, these are bugs: an error
// without a 4xx/5xx status or a message; a parsed request that took more
// bytes than it was given, has a body over the limit or a body other than
// Content-Length says; a prefix of a request that parses refused (the server
// would have turned away a good request while it was still arriving), or
// parsed differently.
//
//===----------------------------------------------------------------------===//

#include "HttpServer.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

using namespace xf::http;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view input(reinterpret_cast<const char *>(data), size);
  // Small limits, so that the fuzzer reaches them.
  HttpLimits limits;
  limits.maxLineBytes = 256;
  limits.maxHeaderCount = 8;
  limits.maxHeadBytes = 1024;
  limits.maxBodyBytes = 512;
  ParseResult whole = parseHttpRequest(input, limits);
  if (auto *error = std::get_if<HttpError>(&whole)) {
    if (error->status < 400 || error->status > 599 || error->message.empty())
      std::abort();
    return 0;
  }
  auto *parsed = std::get_if<ParsedRequest>(&whole);
  if (!parsed)
    return 0;
  const HttpRequest &request = parsed->request;
  if (parsed->consumed > size || request.body.size() > limits.maxBodyBytes ||
      request.method.empty() || request.path.empty() ||
      request.path[0] != '/' || request.headers.size() > limits.maxHeaderCount)
    std::abort();
  std::string_view length = request.header("Content-Length");
  if (request.body.size() !=
      (length.empty() ? 0 : std::stoull(std::string(length))))
    std::abort();
  for (size_t n = 0; n < parsed->consumed; ++n)
    if (!std::holds_alternative<NeedMore>(
            parseHttpRequest(input.substr(0, n), limits)))
      std::abort();
  // Bytes after the request do not change it.
  ParseResult exact =
      parseHttpRequest(input.substr(0, parsed->consumed), limits);
  auto *again = std::get_if<ParsedRequest>(&exact);
  if (!again || again->request.body != request.body ||
      again->request.headers != request.headers ||
      again->request.path != request.path ||
      again->request.query != request.query)
    std::abort();
  return 0;
}
