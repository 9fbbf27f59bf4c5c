//===- HttpServer.h - A small HTTP/1.1 server for `serve` ------*- C++ -*-===//
//
// Just what `OUT serve` needs, on POSIX sockets and std::thread: requests
// with Content-Length bodies, one request per connection (every answer says
// `Connection: close`), whole responses or a stream of writes (server-sent
// events), a fixed pool of workers behind a bounded queue of accepted
// connections, and deadlines so that a slow or silent client only ever
// costs its own connection. No TLS: meant for loopback or behind a proxy.
//
// parseHttpRequest is the whole of the request parsing, a pure function of
// the bytes received so far, so that the unit tests and a libFuzzer target
// can drive it without sockets.
//
//===----------------------------------------------------------------------===//

#ifndef XF_RUNTIME_FRONTENDS_HTTPSERVER_H
#define XF_RUNTIME_FRONTENDS_HTTPSERVER_H

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

namespace xf::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpLimits {
  /// The request line and each header line, without its CRLF.
  size_t maxLineBytes = 8 * 1024;
  size_t maxHeaderCount = 100;
  /// Everything before the body, CRLFs included.
  size_t maxHeadBytes = 16 * 1024;
  size_t maxBodyBytes = 1 << 20;
};

struct HttpRequest {
  std::string method;
  /// The target up to `?`; `query` is the rest (without the `?`).
  std::string path, query;
  Headers headers;
  std::string body;

  /// The first header of that name (names compare case-insensitively), or
  /// "" when there is none.
  std::string_view header(std::string_view name) const;
};

/// A request the server refuses before any handler sees it.
struct HttpError {
  int status;
  std::string message;
};

/// parseHttpRequest's answer when the bytes so far are a correct beginning
/// of a request but not all of it.
struct NeedMore {};

struct ParsedRequest {
  HttpRequest request;
  /// Bytes of the input the request took (head and body).
  size_t consumed;
};

using ParseResult = std::variant<NeedMore, HttpError, ParsedRequest>;

/// Parses the request at the start of `data` (RFC 9112, the subset below).
/// Strict where leniency lets requests be read two ways: lines end in CRLF,
/// no whitespace before a header's colon, no folded lines, one
/// Content-Length of digits only, no Transfer-Encoding (411: bodies must
/// have a length). Too long a line or head is 431, too large a body 413
/// (both known before the bytes arrive), HTTP other than 1.0 and 1.1 505,
/// anything else malformed 400.
ParseResult parseHttpRequest(std::string_view data, const HttpLimits &limits);

/// The reason phrase of a status code ("OK", "Not Found"; "" if unknown).
std::string_view reasonPhrase(int status);

/// One request and its answer, on the worker that serves its connection.
/// The handler either calls respond() once, or startStream() and then
/// write() for each piece; a handler that does neither is answered 500.
class HttpExchange {
public:
  const HttpRequest &request() const { return req; }

  void respond(int status, std::string_view contentType, std::string_view body,
               const Headers &extra = {});

  /// Sends the status line and headers of a response whose body is written
  /// in pieces and ends when the connection closes (no Content-Length:
  /// `Connection: close` delimits it). False if the client is gone.
  bool startStream(int status, std::string_view contentType,
                   const Headers &extra = {});
  /// Sends one piece of a stream; false once the client is gone (the write
  /// failed, or timed out), after which nothing more is sent.
  bool write(std::string_view data);

  /// Whether the client has closed its side (or the connection broke):
  /// its answer would go nowhere. Does not block.
  bool clientGone();

  int status() const { return sentStatus; }
  bool answered() const { return sentStatus != 0; }

private:
  friend class HttpServer;
  HttpExchange(int fd, const HttpRequest &req) : fd(fd), req(req) {}

  int fd;
  const HttpRequest &req;
  int sentStatus = 0;
  bool broken = false;
};

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  /// 0: whichever port is free (port() says which after bind()).
  int port = 8080;
  /// Connections served at once, one per worker.
  size_t workers = 16;
  /// Accepted connections waiting for a worker; beyond these a new
  /// connection is answered 429 (with Retry-After) and closed.
  size_t maxQueued = 64;
  /// The whole request must arrive within this; each write of the answer
  /// must complete within it.
  std::chrono::milliseconds timeout{10000};
  HttpLimits limits;
};

class HttpServer {
public:
  using Handler = std::function<void(HttpExchange &)>;
  /// The body and content type of an error the server answers itself (a
  /// malformed request, a full queue); by default plain text.
  using ErrorBody =
      std::function<std::pair<std::string, std::string>(const HttpError &)>;
  /// Called once per answer with its status (for metrics), also for the
  /// server's own refusals (with an empty request); from any thread.
  using Logger = std::function<void(const HttpRequest &, int status)>;

  HttpServer(HttpServerOptions options, Handler handler,
             ErrorBody errorBody = nullptr, Logger logger = nullptr);
  ~HttpServer();
  HttpServer(const HttpServer &) = delete;
  HttpServer &operator=(const HttpServer &) = delete;

  /// Opens the listening socket; false (with `error` set) if it cannot.
  bool bind(std::string &error);
  int port() const { return boundPort; }

  /// Accepts and serves connections until stop(); returns once every worker
  /// has finished the connection it was serving: true, or false if
  /// accepting failed.
  bool run();

  /// Stops accepting (the listening socket closes) and makes run() return
  /// once the connections being served are done; queued ones are answered
  /// 503. May be called from any thread.
  void stop();

private:
  bool acceptLoop();
  void workerLoop();
  void serve(int fd);
  void refuse(int fd, const HttpError &error, bool linger,
              const Headers &extra = {});

  HttpServerOptions options;
  Handler handler;
  ErrorBody errorBody;
  Logger logger;

  int listenFd = -1;
  int boundPort = 0;
  /// stop() writes to it to wake the accept loop's poll().
  int wakePipe[2] = {-1, -1};
  std::atomic<bool> stopping{false};

  std::mutex mutex;
  std::condition_variable queued;
  std::deque<int> pending;
};

} // namespace xf::http

#endif // XF_RUNTIME_FRONTENDS_HTTPSERVER_H
