//===- HttpServer.cpp - A small HTTP/1.1 server for `serve` ---------------===//

#include "HttpServer.h"

#include <arpa/inet.h>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace xf::http {

namespace {

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i) {
    unsigned char x = a[i], y = b[i];
    if (x != y && std::tolower(x) != std::tolower(y))
      return false;
  }
  return true;
}

/// RFC 9110's tchar: what a method or a header name is made of.
bool isTokenChar(unsigned char c) {
  return std::isalnum(c) || std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool isToken(std::string_view s) {
  if (s.empty())
    return false;
  for (unsigned char c : s)
    if (!isTokenChar(c))
      return false;
  return true;
}

/// A header value: visible characters, spaces, tabs and bytes >= 0x80
/// (obs-text); no other control characters.
bool isFieldValue(std::string_view s) {
  for (unsigned char c : s)
    if ((c < 0x20 && c != '\t') || c == 0x7f)
      return false;
  return true;
}

std::string_view trimWhitespace(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

HttpError badRequest(std::string message) { return {400, std::move(message)}; }

} // namespace

std::string_view HttpRequest::header(std::string_view name) const {
  for (const auto &[key, value] : headers)
    if (equalsIgnoreCase(key, name))
      return value;
  return {};
}

ParseResult parseHttpRequest(std::string_view data, const HttpLimits &limits) {
  size_t headEnd = data.find("\r\n\r\n");
  if (headEnd == std::string_view::npos) {
    // Refuse an overlong head or line as soon as it shows, not after the
    // client has sent all it likes.
    size_t lineStart = data.rfind("\r\n");
    lineStart = lineStart == std::string_view::npos ? 0 : lineStart + 2;
    size_t lineEnd = data.size();
    if (lineEnd > lineStart && data[lineEnd - 1] == '\r')
      --lineEnd; // the CR of a CRLF still to come
    if (data.size() > limits.maxHeadBytes ||
        lineEnd - lineStart > limits.maxLineBytes)
      return HttpError{431, "the request's header is too large"};
    // A head with lines ending in a bare LF would never be complete: say
    // so now rather than at the deadline.
    for (size_t at = data.find_first_of("\r\n"); at != std::string_view::npos;
         at = data.find_first_of("\r\n", at + 1))
      if (data[at] == '\r' ? at + 1 < data.size() && data[at + 1] != '\n'
                           : at == 0 || data[at - 1] != '\r')
        return badRequest("a line of the request does not end in CRLF");
    return NeedMore{};
  }
  if (headEnd + 4 > limits.maxHeadBytes)
    return HttpError{431, "the request's header is too large"};

  HttpRequest request;
  std::string_view head = data.substr(0, headEnd + 2);
  auto nextLine = [&](std::string_view &line) {
    size_t end = head.find("\r\n");
    line = head.substr(0, end);
    head.remove_prefix(end + 2);
  };
  auto hasBareCrOrLf = [](std::string_view line) {
    return line.find_first_of("\r\n") != std::string_view::npos;
  };

  std::string_view line;
  nextLine(line);
  if (line.size() > limits.maxLineBytes)
    return HttpError{431, "the request line is too long"};
  if (hasBareCrOrLf(line))
    return badRequest("a line of the request does not end in CRLF");
  // method SP request-target SP HTTP-version, single spaces.
  size_t firstSpace = line.find(' ');
  size_t lastSpace = line.rfind(' ');
  if (firstSpace == std::string_view::npos || firstSpace == lastSpace)
    return badRequest("malformed request line");
  std::string_view method = line.substr(0, firstSpace);
  std::string_view target =
      line.substr(firstSpace + 1, lastSpace - firstSpace - 1);
  std::string_view version = line.substr(lastSpace + 1);
  if (!isToken(method))
    return badRequest("malformed request method");
  if (target.empty() || target[0] != '/')
    return badRequest("the request target must be a path");
  for (unsigned char c : target)
    if (c <= 0x20 || c == 0x7f)
      return badRequest("malformed request target");
  if (version.size() != 8 || version.compare(0, 5, "HTTP/") != 0 ||
      !std::isdigit(static_cast<unsigned char>(version[5])) ||
      version[6] != '.' ||
      !std::isdigit(static_cast<unsigned char>(version[7])))
    return badRequest("malformed HTTP version");
  if (version != "HTTP/1.1" && version != "HTTP/1.0")
    return HttpError{505, "only HTTP/1.0 and HTTP/1.1 are served"};
  request.method = method;
  size_t question = target.find('?');
  request.path = target.substr(0, question);
  if (question != std::string_view::npos)
    request.query = target.substr(question + 1);

  std::optional<size_t> contentLength;
  while (!head.empty()) {
    nextLine(line);
    if (line.size() > limits.maxLineBytes)
      return HttpError{431, "a header line is too long"};
    if (request.headers.size() == limits.maxHeaderCount)
      return HttpError{431, "the request has too many headers"};
    if (hasBareCrOrLf(line))
      return badRequest("a line of the request does not end in CRLF");
    size_t colon = line.find(':');
    // A leading space or tab would be an obsolete folded line; whitespace
    // before the colon is forbidden (RFC 9112, 5.1): both are read
    // differently by different servers, so neither is accepted.
    if (colon == std::string_view::npos || !isToken(line.substr(0, colon)))
      return badRequest("malformed header line");
    std::string_view name = line.substr(0, colon);
    std::string_view value = trimWhitespace(line.substr(colon + 1));
    if (!isFieldValue(value))
      return badRequest("a header value holds control characters");
    if (equalsIgnoreCase(name, "Transfer-Encoding"))
      return HttpError{411, "request bodies must have a Content-Length "
                            "(Transfer-Encoding is not supported)"};
    if (equalsIgnoreCase(name, "Content-Length")) {
      if (value.empty() || value.size() > 18 ||
          value.find_first_not_of("0123456789") != std::string_view::npos)
        return badRequest("malformed Content-Length");
      size_t length = std::stoull(std::string(value));
      if (contentLength && *contentLength != length)
        return badRequest("conflicting Content-Length headers");
      contentLength = length;
    }
    request.headers.emplace_back(name, value);
  }

  size_t bodyLength = contentLength.value_or(0);
  if (bodyLength > limits.maxBodyBytes)
    return HttpError{413, "the request body is larger than " +
                              std::to_string(limits.maxBodyBytes) + " bytes"};
  size_t bodyStart = headEnd + 4;
  if (data.size() - bodyStart < bodyLength)
    return NeedMore{};
  request.body = data.substr(bodyStart, bodyLength);
  return ParsedRequest{std::move(request), bodyStart + bodyLength};
}

std::string_view reasonPhrase(int status) {
  switch (status) {
  case 200:
    return "OK";
  case 400:
    return "Bad Request";
  case 401:
    return "Unauthorized";
  case 403:
    return "Forbidden";
  case 404:
    return "Not Found";
  case 405:
    return "Method Not Allowed";
  case 408:
    return "Request Timeout";
  case 411:
    return "Length Required";
  case 413:
    return "Content Too Large";
  case 429:
    return "Too Many Requests";
  case 431:
    return "Request Header Fields Too Large";
  case 499:
    return "Client Closed Request";
  case 500:
    return "Internal Server Error";
  case 503:
    return "Service Unavailable";
  case 505:
    return "HTTP Version Not Supported";
  default:
    return "";
  }
}

//===----------------------------------------------------------------------===//
// Sockets
//===----------------------------------------------------------------------===//

namespace {

/// Sends all of `data`; false if the peer is gone or a send times out
/// (SO_SNDTIMEO). MSG_NOSIGNAL: a closed peer is EPIPE, not SIGPIPE.
bool sendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t sent = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR)
      continue;
    if (sent <= 0)
      return false;
    data.remove_prefix(static_cast<size_t>(sent));
  }
  return true;
}

std::string responseHead(int status, std::string_view contentType,
                         std::optional<size_t> contentLength,
                         const Headers &extra) {
  std::string head = "HTTP/1.1 " + std::to_string(status) + " ";
  head += reasonPhrase(status);
  head += "\r\n";
  if (!contentType.empty()) {
    head += "Content-Type: ";
    head += contentType;
    head += "\r\n";
  }
  if (contentLength)
    head += "Content-Length: " + std::to_string(*contentLength) + "\r\n";
  for (const auto &[name, value] : extra)
    head += name + ": " + value + "\r\n";
  head += "Connection: close\r\n\r\n";
  return head;
}

/// Closes after an error answer, when the client may still be sending
/// (a body we refused): closing with unread input makes the kernel send a
/// reset, which can destroy the answer before the client reads it. So
/// stop writing, then read and drop what comes for a short while.
void lingeringClose(int fd) {
  ::shutdown(fd, SHUT_WR);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  char scratch[16384];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    pollfd p{fd, POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0)
      break;
    if (::recv(fd, scratch, sizeof scratch, 0) <= 0)
      break;
  }
  ::close(fd);
}

} // namespace

void HttpExchange::respond(int status, std::string_view contentType,
                           std::string_view body, const Headers &extra) {
  if (answered())
    return;
  sentStatus = status;
  std::string out = responseHead(status, contentType, body.size(), extra);
  out += body;
  if (!sendAll(fd, out))
    broken = true;
}

bool HttpExchange::startStream(int status, std::string_view contentType,
                               const Headers &extra) {
  if (answered())
    return false;
  sentStatus = status;
  if (!sendAll(fd, responseHead(status, contentType, std::nullopt, extra)))
    broken = true;
  return !broken;
}

bool HttpExchange::write(std::string_view data) {
  if (broken || !answered())
    return false;
  if (!sendAll(fd, data))
    broken = true;
  return !broken;
}

bool HttpExchange::clientGone() {
  if (broken)
    return true;
  // Readable with nothing to read is end of input: the client closed (or
  // half-closed) its side. The one request has been read, so any bytes
  // that are there (a pipelined request we will not serve) mean it is
  // still there.
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 0) <= 0)
    return false;
  if (p.revents & (POLLERR | POLLHUP | POLLNVAL))
    return broken = true;
  char byte;
  ssize_t got = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (got == 0 ||
      (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
    broken = true;
  return broken;
}

//===----------------------------------------------------------------------===//
// The server
//===----------------------------------------------------------------------===//

HttpServer::HttpServer(HttpServerOptions options, Handler handler,
                       ErrorBody errorBody, Logger logger)
    : options(std::move(options)), handler(std::move(handler)),
      errorBody(std::move(errorBody)), logger(std::move(logger)) {}

HttpServer::~HttpServer() {
  if (listenFd >= 0)
    ::close(listenFd);
  for (int fd : wakePipe)
    if (fd >= 0)
      ::close(fd);
}

bool HttpServer::bind(std::string &error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo *addresses = nullptr;
  std::string port = std::to_string(options.port);
  if (int rc = ::getaddrinfo(options.host.c_str(), port.c_str(), &hints,
                             &addresses)) {
    error = ::gai_strerror(rc);
    return false;
  }
  error = "no address";
  for (addrinfo *a = addresses; a; a = a->ai_next) {
    int fd =
        ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0)
      continue;
    int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    // The backlog bounds connections the kernel holds before accept(); the
    // accept loop then bounds those waiting for a worker.
    if (::bind(fd, a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd, 128) == 0) {
      listenFd = fd;
      break;
    }
    error = std::strerror(errno);
    ::close(fd);
  }
  ::freeaddrinfo(addresses);
  if (listenFd < 0)
    return false;
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  ::getsockname(listenFd, reinterpret_cast<sockaddr *>(&address), &length);
  boundPort = ntohs(address.ss_family == AF_INET6
                        ? reinterpret_cast<sockaddr_in6 &>(address).sin6_port
                        : reinterpret_cast<sockaddr_in &>(address).sin_port);
  if (::pipe2(wakePipe, O_CLOEXEC) != 0) {
    error = std::strerror(errno);
    return false;
  }
  return true;
}

bool HttpServer::run() {
  std::vector<std::thread> workers;
  for (size_t i = 0; i < options.workers; ++i)
    workers.emplace_back([this] { workerLoop(); });
  bool stopped = acceptLoop();
  {
    std::lock_guard<std::mutex> lock(mutex);
    for (int fd : pending)
      refuse(fd, {503, "the server is shutting down"}, /*linger=*/false);
    pending.clear();
  }
  queued.notify_all();
  for (std::thread &worker : workers)
    worker.join();
  return stopped;
}

void HttpServer::stop() {
  if (stopping.exchange(true))
    return;
  char byte = 0;
  // Only to wake poll(); a full pipe would already wake it.
  [[maybe_unused]] ssize_t ignored = ::write(wakePipe[1], &byte, 1);
  queued.notify_all();
}

bool HttpServer::acceptLoop() {
  bool failed = false;
  while (!stopping) {
    pollfd fds[2] = {{listenFd, POLLIN, 0}, {wakePipe[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0 && errno != EINTR) {
      failed = true;
      stopping = true;
      break;
    }
    if (stopping)
      break;
    if (!(fds[0].revents & POLLIN))
      continue;
    int fd = ::accept4(listenFd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0)
      continue; // EMFILE, a connection reset before accept(), ...
    std::unique_lock<std::mutex> lock(mutex);
    if (pending.size() >= options.maxQueued) {
      lock.unlock();
      // Too many requests at once: 429, as for a server at capacity, so
      // that clients back off and retry the same way.
      refuse(fd, {429, "too many connections at once; retry later"},
             /*linger=*/false, {{"Retry-After", "1"}});
      continue;
    }
    pending.push_back(fd);
    lock.unlock();
    queued.notify_one();
  }
  ::close(listenFd);
  listenFd = -1;
  return !failed;
}

void HttpServer::workerLoop() {
  for (;;) {
    int fd;
    {
      std::unique_lock<std::mutex> lock(mutex);
      queued.wait(lock, [&] { return stopping || !pending.empty(); });
      if (pending.empty())
        return;
      fd = pending.front();
      pending.pop_front();
    }
    serve(fd);
  }
}

void HttpServer::refuse(int fd, const HttpError &error, bool linger,
                        const Headers &extra) {
  if (logger)
    logger(HttpRequest{}, error.status);
  auto [body, type] = errorBody ? errorBody(error)
                                : std::make_pair(error.message + "\n",
                                                 std::string("text/plain"));
  // Best effort: a refused client gets at most the timeout's wait.
  timeval timeout{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  sendAll(fd, responseHead(error.status, type, body.size(), extra) + body);
  if (linger)
    lingeringClose(fd);
  else
    ::close(fd);
}

void HttpServer::serve(int fd) {
  using Clock = std::chrono::steady_clock;
  // Writes: each send() waits at most the timeout for a client that does not
  // read. Reads: the whole request must arrive by the deadline, so a client
  // trickling a byte at a time cannot hold the worker either.
  auto ms = options.timeout.count();
  timeval sendTimeout{static_cast<time_t>(ms / 1000),
                      static_cast<suseconds_t>(ms % 1000 * 1000)};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &sendTimeout, sizeof sendTimeout);
  int yes = 1;
  // Stream events go out as they are written, not after Nagle's delay.
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
  auto deadline = Clock::now() + options.timeout;

  std::string received;
  char buffer[16384];
  for (;;) {
    ParseResult parsed = parseHttpRequest(received, options.limits);
    if (auto *error = std::get_if<HttpError>(&parsed)) {
      return refuse(fd, *error, /*linger=*/true);
    }
    if (auto *done = std::get_if<ParsedRequest>(&parsed)) {
      HttpExchange exchange(fd, done->request);
      try {
        handler(exchange);
        if (!exchange.answered())
          exchange.respond(500, "text/plain", "no answer\n");
      } catch (...) {
        if (!exchange.answered()) {
          auto [body, type] =
              errorBody ? errorBody({500, "internal error"})
                        : std::make_pair(std::string("internal error\n"),
                                         std::string("text/plain"));
          exchange.respond(500, type, body);
        }
      }
      if (logger)
        logger(done->request, exchange.status());
      ::close(fd);
      return;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - Clock::now())
                    .count();
    pollfd p{fd, POLLIN, 0};
    int ready = left > 0 ? ::poll(&p, 1, static_cast<int>(left)) : 0;
    if (ready < 0 && errno == EINTR)
      continue;
    if (ready <= 0 || stopping) {
      // Too slow (or shutting down before the request was whole): the
      // connection is dropped without an answer.
      ::close(fd);
      return;
    }
    ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0) {
      ::close(fd);
      return;
    }
    received.append(buffer, static_cast<size_t>(got));
  }
}

} // namespace xf::http
