//===- HttpServerTest.cpp - serve's HTTP layer: parsing, one round trip ---===//

#include "HttpServer.h"

#include "gtest/gtest.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

using namespace xf::http;

namespace {

HttpLimits testLimits() {
  HttpLimits limits;
  limits.maxLineBytes = 64;
  limits.maxHeaderCount = 4;
  limits.maxHeadBytes = 200;
  limits.maxBodyBytes = 16;
  return limits;
}

ParsedRequest parseOk(std::string_view data) {
  ParseResult result = parseHttpRequest(data, testLimits());
  if (auto *error = std::get_if<HttpError>(&result)) {
    ADD_FAILURE() << data << ": " << error->status << " " << error->message;
    return {};
  }
  if (std::holds_alternative<NeedMore>(result)) {
    ADD_FAILURE() << data << ": incomplete";
    return {};
  }
  return std::get<ParsedRequest>(result);
}

int errorStatus(std::string_view data) {
  ParseResult result = parseHttpRequest(data, testLimits());
  if (auto *error = std::get_if<HttpError>(&result)) {
    EXPECT_FALSE(error->message.empty());
    return error->status;
  }
  return 0;
}

bool needsMore(std::string_view data) {
  return std::holds_alternative<NeedMore>(parseHttpRequest(data, testLimits()));
}

TEST(HttpServerTest, ParsesARequestWithABody) {
  std::string data = "POST /v1/completions?x=1 HTTP/1.1\r\n"
                     "Host: a\r\ncontent-length:  5 \r\n"
                     "Authorization: Bearer k\r\n\r\nhelloEXTRA";
  ParsedRequest parsed = parseOk(data);
  EXPECT_EQ(parsed.request.method, "POST");
  EXPECT_EQ(parsed.request.path, "/v1/completions");
  EXPECT_EQ(parsed.request.query, "x=1");
  EXPECT_EQ(parsed.request.body, "hello");
  EXPECT_EQ(parsed.request.header("Content-Length"), "5");
  EXPECT_EQ(parsed.request.header("AUTHORIZATION"), "Bearer k");
  EXPECT_EQ(parsed.request.header("X-Missing"), "");
  EXPECT_EQ(parsed.consumed, data.size() - 5);
}

TEST(HttpServerTest, NoContentLengthIsAnEmptyBody) {
  ParsedRequest parsed = parseOk("GET /health HTTP/1.0\r\n\r\n");
  EXPECT_EQ(parsed.request.method, "GET");
  EXPECT_EQ(parsed.request.path, "/health");
  EXPECT_TRUE(parsed.request.body.empty());
  EXPECT_TRUE(parsed.request.headers.empty());
}

TEST(HttpServerTest, WaitsForTheWholeHeadAndBody) {
  EXPECT_TRUE(needsMore(""));
  EXPECT_TRUE(needsMore("GET / HTTP/1.1\r\nHost: a\r\n"));
  EXPECT_TRUE(needsMore("POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\nab"));
  // Every prefix of a good request is incomplete, never an error.
  std::string data = "POST /p HTTP/1.1\r\nA: b\r\nContent-Length: 3\r\n\r\nxyz";
  for (size_t n = 0; n < data.size(); ++n)
    EXPECT_TRUE(needsMore(data.substr(0, n))) << n;
  parseOk(data);
}

TEST(HttpServerTest, RejectsMalformedRequests) {
  EXPECT_EQ(errorStatus("\r\n\r\n"), 400);
  EXPECT_EQ(errorStatus("GET\r\n\r\n"), 400);
  EXPECT_EQ(errorStatus("GET /\r\n\r\n"), 400);
  EXPECT_EQ(errorStatus("GET  / HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(errorStatus("G(T / HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(errorStatus("GET http://a/ HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(errorStatus("GET /a\x01 HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(errorStatus("GET / HTTP/1\r\n\r\n"), 400);
  EXPECT_EQ(errorStatus("GET / HTTP/2.0\r\n\r\n"), 505);
  EXPECT_EQ(errorStatus("GET / HTTP/1.1\nHost: a\r\n\r\n"), 400);
  // Refused as soon as a bare LF or CR shows, not when the head ends.
  EXPECT_EQ(errorStatus("GET / HTTP/1.1\nHost: a\n\n"), 400);
  EXPECT_EQ(errorStatus("GET / HTTP/1.1\r\nHost: a\rb"), 400);
  EXPECT_TRUE(needsMore("GET / HTTP/1.1\r"));
  EXPECT_EQ(errorStatus("GET / HTTP/1.1\r\nHost a\r\n\r\n"), 400);
  EXPECT_EQ(errorStatus("GET / HTTP/1.1\r\nHost : a\r\n\r\n"), 400);
  EXPECT_EQ(errorStatus("GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n"), 400);
  EXPECT_EQ(errorStatus("GET / HTTP/1.1\r\nA: b\x7f\r\n\r\n"), 400);
  EXPECT_EQ(errorStatus("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"), 400);
  EXPECT_EQ(errorStatus("POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n"), 400);
  EXPECT_EQ(errorStatus("POST / HTTP/1.1\r\nContent-Length: 1\r\n"
                        "Content-Length: 2\r\n\r\nab"),
            400);
}

TEST(HttpServerTest, RefusesChunkedBodies) {
  EXPECT_EQ(errorStatus("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                        "5\r\nhello\r\n0\r\n\r\n"),
            411);
}

TEST(HttpServerTest, RefusesWhatIsTooLarge) {
  // A body over the limit is refused from its Content-Length alone.
  EXPECT_EQ(errorStatus("POST / HTTP/1.1\r\nContent-Length: 17\r\n\r\n"), 413);
  EXPECT_EQ(errorStatus("POST / HTTP/1.1\r\nContent-Length: "
                        "999999999999999999\r\n\r\n"),
            413);
  parseOk("POST / HTTP/1.1\r\nContent-Length: 16\r\n\r\n0123456789abcdef");
  // A long line, before its end arrives and after.
  std::string longLine = "GET / HTTP/1.1\r\nX: " + std::string(70, 'y');
  EXPECT_EQ(errorStatus(longLine), 431);
  EXPECT_EQ(errorStatus(longLine + "\r\n\r\n"), 431);
  EXPECT_EQ(errorStatus("GET /" + std::string(70, 'a') + " HTTP/1.1\r\n\r\n"),
            431);
  std::string many = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 5; ++i)
    many += "H" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(errorStatus(many + "\r\n"), 431);
  std::string big = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 4; ++i)
    big += "H" + std::to_string(i) + ": " + std::string(50, 'v') + "\r\n";
  EXPECT_EQ(errorStatus(big + "\r\n"), 431);
  EXPECT_EQ(errorStatus(big), 431);
}

/// One request over loopback: what the server sends back, until it closes.
std::string exchange(int port, const std::string &request) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(
      ::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof address), 0);
  EXPECT_EQ(::send(fd, request.data(), request.size(), 0),
            static_cast<ssize_t>(request.size()));
  std::string answer;
  char buffer[4096];
  for (ssize_t got; (got = ::recv(fd, buffer, sizeof buffer, 0)) > 0;)
    answer.append(buffer, static_cast<size_t>(got));
  ::close(fd);
  return answer;
}

TEST(HttpServerTest, ServesWholeAndStreamedResponses) {
  HttpServerOptions options;
  options.port = 0;
  options.workers = 2;
  options.timeout = std::chrono::milliseconds(2000);
  options.limits.maxBodyBytes = 8;
  std::vector<int> statuses;
  std::mutex statusMutex;
  HttpServer server(
      options,
      [](HttpExchange &exchange) {
        if (exchange.request().path == "/stream") {
          ASSERT_TRUE(exchange.startStream(200, "text/event-stream"));
          EXPECT_TRUE(exchange.write("data: 1\n\n"));
          EXPECT_TRUE(exchange.write("data: 2\n\n"));
          EXPECT_FALSE(exchange.clientGone());
          return;
        }
        exchange.respond(201, "text/plain", exchange.request().body,
                         {{"X-Path", exchange.request().path}});
      },
      nullptr,
      [&](const HttpRequest &, int status) {
        std::lock_guard<std::mutex> lock(statusMutex);
        statuses.push_back(status);
      });
  std::string error;
  ASSERT_TRUE(server.bind(error)) << error;
  ASSERT_GT(server.port(), 0);
  std::thread serving([&] { EXPECT_TRUE(server.run()); });

  std::string whole = exchange(
      server.port(), "POST /echo HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc");
  EXPECT_EQ(whole, "HTTP/1.1 201 \r\nContent-Type: text/plain\r\n"
                   "Content-Length: 3\r\nX-Path: /echo\r\n"
                   "Connection: close\r\n\r\nabc");
  std::string streamed =
      exchange(server.port(), "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(streamed, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                      "Connection: close\r\n\r\ndata: 1\n\ndata: 2\n\n");
  std::string refused = exchange(
      server.port(), "POST /echo HTTP/1.1\r\nContent-Length: 9\r\n\r\n");
  EXPECT_EQ(refused.rfind("HTTP/1.1 413 Content Too Large\r\n", 0), 0u)
      << refused;

  server.stop();
  serving.join();
  std::lock_guard<std::mutex> lock(statusMutex);
  EXPECT_EQ(statuses, (std::vector<int>{201, 200, 413}));
}

} // namespace
