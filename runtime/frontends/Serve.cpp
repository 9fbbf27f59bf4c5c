//===- Serve.cpp - `serve`: an OpenAI-compatible HTTP server --------------===//
//
// POST /v1/chat/completions and /v1/completions (streamed as server-sent
// events or not), GET /v1/models, /health and /metrics (Prometheus text).
//
// Threads: the HTTP layer's workers (HttpServer.h) run the handlers, one
// connection each; one
// engine thread owns the Engine (it is single-threaded) and the model. A
// handler parses and validates its request (ServeApi.h), tokenizes the
// prompt (Tokenizer::encode may be called from several threads), and queues
// a Job; the engine thread submits queued jobs between steps, so requests
// join the running batch as they arrive, and hands every sampled token to
// the job's Channel. The handler turns tokens into text (a StreamDecoder
// and a StopStringFilter per request) and writes it out; when the client
// has gone (the stream's sink is no longer writable, or the connection of a
// waiting non-streamed request is closed) it asks the engine thread to
// cancel, which frees the request's KV blocks.
//
// Admission: at most --max-batch running plus --max-queue waiting requests;
// beyond that a request is answered 429 with Retry-After. SIGTERM (or
// SIGINT): new requests get 503, requests in flight finish (for up to 30
// seconds, then they are cancelled), and the program exits 0.
//
//===----------------------------------------------------------------------===//

#include "Frontends.h"
#include "HttpServer.h"
#include "ServeApi.h"

#include "xf/CommandLine.h"
#include "xf/Engine.h"
#include "xf/Tokenizer.h"

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <utility>

using namespace xf;
using namespace xf::frontends;
using namespace xf::serve;
using namespace xf::http;

namespace {

/// How long requests in flight may take to finish after SIGTERM.
constexpr auto kDrainDeadline = std::chrono::seconds(30);
/// How often a waiting handler looks at its connection.
constexpr auto kPollInterval = std::chrono::milliseconds(50);

//===----------------------------------------------------------------------===//
// Metrics
//===----------------------------------------------------------------------===//

class Histogram {
public:
  explicit Histogram(std::vector<double> bounds)
      : bounds(std::move(bounds)), counts(this->bounds.size() + 1) {}

  void observe(double value) {
    size_t bucket =
        std::lower_bound(bounds.begin(), bounds.end(), value) - bounds.begin();
    ++counts[bucket];
    sum += value;
  }

  void render(std::string &out, const std::string &name,
              const std::string &help) const {
    out += "# HELP " + name + " " + help + "\n# TYPE " + name + " histogram\n";
    int64_t cumulative = 0;
    char line[256];
    for (size_t i = 0; i <= bounds.size(); ++i) {
      cumulative += counts[i];
      if (i < bounds.size())
        std::snprintf(line, sizeof line, "%s_bucket{le=\"%g\"} %lld\n",
                      name.c_str(), bounds[i],
                      static_cast<long long>(cumulative));
      else
        std::snprintf(line, sizeof line, "%s_bucket{le=\"+Inf\"} %lld\n",
                      name.c_str(), static_cast<long long>(cumulative));
      out += line;
    }
    std::snprintf(line, sizeof line, "%s_sum %.6f\n%s_count %lld\n",
                  name.c_str(), sum, name.c_str(),
                  static_cast<long long>(cumulative));
    out += line;
  }

private:
  std::vector<double> bounds;
  std::vector<int64_t> counts;
  double sum = 0;
};

/// What /metrics shows. The counters are written by handlers and the
/// engine thread; the gauges are the engine thread's snapshot after each
/// step.
struct Metrics {
  std::mutex mutex;
  std::map<int, int64_t> requestsByStatus;
  int64_t promptTokens = 0, generatedTokens = 0;
  Histogram timeToFirstToken{
      {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}};
  Histogram interTokenLatency{
      {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}};
  int64_t queueDepth = 0, runningSequences = 0;
  int64_t kvUsed = 0, kvCached = 0, kvFree = 0, kvTotal = 0;
  int64_t prefixHitTokens = 0, prefillTokens = 0, preemptions = 0;

  std::string render() {
    std::lock_guard<std::mutex> lock(mutex);
    std::string out;
    auto metric = [&](const char *name, const char *type, const char *help,
                      int64_t value) {
      out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name +
             " " + type + "\n" + name + " " + std::to_string(value) + "\n";
    };
    out += "# HELP xf_requests_total HTTP requests answered, by status "
           "code.\n# TYPE xf_requests_total counter\n";
    for (const auto &[status, count] : requestsByStatus)
      out += "xf_requests_total{code=\"" + std::to_string(status) + "\"} " +
             std::to_string(count) + "\n";
    metric("xf_prompt_tokens_total", "counter",
           "Prompt tokens of accepted generation requests.", promptTokens);
    metric("xf_generation_tokens_total", "counter", "Tokens generated.",
           generatedTokens);
    metric("xf_queue_depth", "gauge", "Requests accepted and not running yet.",
           queueDepth);
    metric("xf_running_sequences", "gauge", "Sequences in the running batch.",
           runningSequences);
    metric("xf_kv_blocks_used", "gauge", "KV-cache blocks held by sequences.",
           kvUsed);
    metric("xf_kv_blocks_cached", "gauge",
           "KV-cache blocks held by none, kept for prefix reuse (evictable).",
           kvCached);
    metric("xf_kv_blocks_free", "gauge", "KV-cache blocks free.", kvFree);
    metric("xf_kv_blocks_total", "gauge", "KV-cache blocks in the pool.",
           kvTotal);
    metric("xf_prefix_cache_hit_tokens_total", "counter",
           "Prompt tokens found in the prefix cache instead of computed.",
           prefixHitTokens);
    metric("xf_prefill_tokens_total", "counter",
           "Prompt tokens computed (including recomputation after "
           "preemption).",
           prefillTokens);
    metric("xf_preemptions_total", "counter",
           "Sequences preempted because the KV cache was full (recomputed "
           "when they rejoin).",
           preemptions);
    timeToFirstToken.render(out, "xf_time_to_first_token_seconds",
                            "From the request's arrival to its first token.");
    interTokenLatency.render(out, "xf_inter_token_latency_seconds",
                             "Between consecutive tokens of a request.");
    return out;
  }
};

//===----------------------------------------------------------------------===//
// The engine thread
//===----------------------------------------------------------------------===//

/// One request's results, from the engine thread to its handler.
struct Channel {
  std::mutex mutex;
  std::condition_variable ready;
  std::vector<int32_t> tokens; ///< sampled, not taken by the handler yet
  std::optional<FinishReason> finished;
  std::optional<std::string> error;

  /// Set by the handler; the engine thread then cancels the request.
  std::atomic<bool> cancelled{false};
  Clock::time_point arrived = Clock::now();

  // The engine thread's own.
  std::optional<RequestId> id;
  std::optional<Clock::time_point> lastToken;
};

class EngineThread {
public:
  EngineThread(CompiledModel &model, EngineOptions options, Metrics &metrics)
      : model(model), engine(model, std::move(options)), metrics(metrics) {
    snapshot();
    thread = std::thread([this] { run(); });
  }
  ~EngineThread() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stopping = true;
    }
    wake.notify_one();
    thread.join();
  }

  void submit(GenerationRequest request, std::shared_ptr<Channel> channel) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      incoming.push_back({std::move(request), std::move(channel)});
    }
    wake.notify_one();
  }

  void cancel(const std::shared_ptr<Channel> &channel) {
    if (channel->cancelled.exchange(true))
      return;
    {
      std::lock_guard<std::mutex> lock(mutex);
      cancels.push_back(channel);
    }
    wake.notify_one();
  }

  /// Cancels every request (the end of the SIGTERM deadline).
  void cancelAll() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      cancelEverything = true;
    }
    wake.notify_one();
  }

private:
  struct Job {
    GenerationRequest request;
    std::shared_ptr<Channel> channel;
  };

  static void post(Channel &channel, const std::function<void(Channel &)> &f) {
    {
      std::lock_guard<std::mutex> lock(channel.mutex);
      f(channel);
    }
    channel.ready.notify_all();
  }

  void run() {
    for (;;) {
      std::deque<Job> jobs;
      std::vector<std::shared_ptr<Channel>> toCancel;
      bool cancelAllNow = false, stop = false;
      {
        std::unique_lock<std::mutex> lock(mutex);
        wake.wait(lock, [&] {
          return stopping || cancelEverything || !incoming.empty() ||
                 !cancels.empty() || !engine.idle();
        });
        jobs.swap(incoming);
        toCancel.swap(cancels);
        cancelAllNow = std::exchange(cancelEverything, false);
        stop = stopping;
      }
      for (Job &job : jobs)
        start(std::move(job));
      for (const auto &channel : toCancel)
        if (channel->id)
          engine.cancel(*channel->id);
      if (cancelAllNow || stop)
        for (const auto &[id, channel] : live)
          engine.cancel(id);
      if (!engine.idle()) {
        if (auto more = engine.step(); !more)
          failAll("the engine failed: " + more.error());
      }
      for (RequestId id : finishedIds) {
        engine.release(id);
        live.erase(id);
      }
      finishedIds.clear();
      snapshot();
      if (stop && engine.idle())
        return;
    }
  }

  void start(Job job) {
    std::shared_ptr<Channel> channel = job.channel;
    if (channel->cancelled) {
      post(*channel, [](Channel &c) { c.finished = FinishReason::Cancelled; });
      return;
    }
    GenerationRequest &request = job.request;
    request.onToken = [this, channel](RequestId, int32_t token) {
      auto now = Clock::now();
      {
        std::lock_guard<std::mutex> lock(metrics.mutex);
        ++metrics.generatedTokens;
        if (channel->lastToken)
          metrics.interTokenLatency.observe(
              std::chrono::duration<double>(now - *channel->lastToken).count());
        else
          metrics.timeToFirstToken.observe(
              std::chrono::duration<double>(now - channel->arrived).count());
      }
      channel->lastToken = now;
      post(*channel, [token](Channel &c) { c.tokens.push_back(token); });
    };
    request.onFinish = [this, channel](RequestId id, FinishReason reason) {
      finishedIds.push_back(id);
      post(*channel, [reason](Channel &c) { c.finished = reason; });
    };
    auto id = engine.submit(std::move(request));
    if (!id) {
      std::string message = id.error();
      post(*channel, [&](Channel &c) { c.error = message; });
      return;
    }
    channel->id = *id;
    live[*id] = channel;
  }

  /// After a failed step: every request ends with the error, and the engine
  /// is emptied so that later requests start from a clean state.
  void failAll(const std::string &message) {
    std::fprintf(stderr, "error: %s\n", message.c_str());
    for (const auto &[id, channel] : live) {
      post(*channel, [&](Channel &c) { c.error = message; });
      engine.cancel(id);
    }
  }

  void snapshot() {
    KVCacheStats kv = model.cache().stats();
    const EngineStats &stats = engine.stats();
    size_t queued;
    {
      std::lock_guard<std::mutex> lock(mutex);
      queued = incoming.size();
    }
    std::lock_guard<std::mutex> lock(metrics.mutex);
    metrics.queueDepth = static_cast<int64_t>(queued + engine.waitingCount());
    metrics.runningSequences = static_cast<int64_t>(engine.runningCount());
    metrics.kvUsed = kv.usedBlocks;
    metrics.kvCached = kv.cachedBlocks;
    metrics.kvFree = kv.freeBlocks;
    metrics.kvTotal = kv.totalBlocks;
    metrics.prefixHitTokens = stats.reusedTokens;
    metrics.prefillTokens = stats.prefillTokens;
    metrics.preemptions = stats.preemptions;
  }

  CompiledModel &model;
  Engine engine;
  Metrics &metrics;
  std::map<RequestId, std::shared_ptr<Channel>> live;
  std::vector<RequestId> finishedIds;

  std::mutex mutex;
  std::condition_variable wake;
  std::deque<Job> incoming;
  std::vector<std::shared_ptr<Channel>> cancels;
  bool cancelEverything = false, stopping = false;
  std::thread thread;
};

//===----------------------------------------------------------------------===//
// One generation, on its handler's thread
//===----------------------------------------------------------------------===//

/// Turns a Channel's tokens into text: decoded incrementally, cut at stop
/// strings. Text that might still change (an incomplete character, the
/// start of a stop string) is held back until it cannot.
class Generation {
public:
  Generation(const Tokenizer &tokenizer, std::vector<std::string> stops,
             std::shared_ptr<Channel> channel, EngineThread &engine)
      : decoder(tokenizer, /*skipSpecial=*/true), filter(std::move(stops)),
        channel(std::move(channel)), engine(engine) {}
  ~Generation() {
    if (!done)
      engine.cancel(channel);
  }

  /// Waits up to `timeout` for tokens; returns the text they add. Sets
  /// done (with finish or error) at the end.
  std::string poll(std::chrono::milliseconds timeout) {
    std::vector<int32_t> tokens;
    std::optional<FinishReason> finished;
    {
      std::unique_lock<std::mutex> lock(channel->mutex);
      channel->ready.wait_for(lock, timeout, [&] {
        return !channel->tokens.empty() || channel->finished || channel->error;
      });
      tokens.swap(channel->tokens);
      finished = channel->finished;
      error = channel->error;
    }
    std::string text;
    for (int32_t token : tokens) {
      ++completionTokens;
      text += filter.push(decoder.push(token));
      if (filter.stopped()) {
        // A stop string: the engine may stop generating.
        finish = Finish::Stop;
        done = true;
        engine.cancel(channel);
        return text;
      }
    }
    if (error) {
      done = true;
      return text;
    }
    if (finished) {
      done = true;
      text += filter.push(decoder.finish());
      if (filter.stopped()) {
        finish = Finish::Stop;
        return text;
      }
      text += filter.finish();
      if (*finished == FinishReason::Cancelled)
        error = "the request was cancelled: the server is shutting down";
      finish = *finished == FinishReason::Stop ? Finish::Stop : Finish::Length;
    }
    return text;
  }

  void cancel() {
    done = true;
    engine.cancel(channel);
  }

  bool done = false;
  Finish finish = Finish::Length;
  std::optional<std::string> error;
  int64_t completionTokens = 0;

private:
  Tokenizer::StreamDecoder decoder;
  StopStringFilter filter;
  std::shared_ptr<Channel> channel;
  EngineThread &engine;
};

//===----------------------------------------------------------------------===//
// The server
//===----------------------------------------------------------------------===//

/// The model's name: the weights file's, without .xfw.
std::string modelIdOf(const std::string &weightsPath) {
  std::string name = weightsPath.substr(weightsPath.find_last_of('/') + 1);
  if (name.size() > 4 && name.compare(name.size() - 4, 4, ".xfw") == 0)
    name.resize(name.size() - 4);
  return name;
}

int64_t unixSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class Server {
public:
  Server(CompiledModel &model, const Tokenizer &tokenizer,
         const Options &options, EngineOptions engineOptions)
      : model(model), tokenizer(tokenizer), options(options),
        engine(model, std::move(engineOptions), metrics),
        seeds(std::random_device{}()) {
    limits.modelId = modelIdOf(options.weightsPath);
    // A sequence must fit in the KV pool alone (the engine preempts others
    // for it, but cannot split it).
    KVCache &kv = model.cache();
    contextLimit = std::min<int64_t>(model.maxContext(),
                                     kv.totalBlocks() * kv.blockTokens());
    limits.maxContext = contextLimit;
    capacity = options.maxBatch + options.maxQueue;
    started = unixSeconds();
    stopIds = tokenizer.stopIds();
  }

  int run();

private:
  void handle(HttpExchange &exchange);
  bool authorized(const HttpRequest &req) const;
  void generate(Endpoint endpoint, HttpExchange &exchange);
  void reply(HttpExchange &exchange, const ApiError &error,
             const Headers &extra = {}) const;
  Result<std::vector<int32_t>> promptIds(const ApiRequest &request) const;
  void watchSignals();

  CompiledModel &model;
  const Tokenizer &tokenizer;
  const Options &options;
  Metrics metrics;
  EngineThread engine;
  RequestLimits limits;
  int64_t contextLimit = 0, capacity = 0, started = 0;
  /// Set while run() serves, for watchSignals to stop.
  HttpServer *http = nullptr;

  std::mutex seedMutex;
  std::mt19937_64 seeds;
  std::atomic<int64_t> nextResponse{0};
  /// Generation requests accepted and not answered yet.
  std::atomic<int64_t> inFlight{0};
  std::atomic<bool> draining{false}, finished{false};
  std::vector<int32_t> stopIds;
};

/// Holds one of the server's `capacity` places for as long as it lives.
class Admission {
public:
  explicit Admission(std::atomic<int64_t> &inFlight) : inFlight(inFlight) {}
  ~Admission() { --inFlight; }

private:
  std::atomic<int64_t> &inFlight;
};

void Server::reply(HttpExchange &exchange, const ApiError &error,
                   const Headers &extra) const {
  exchange.respond(error.status, "application/json", errorBody(error), extra);
}

bool Server::authorized(const HttpRequest &req) const {
  if (options.apiKey.empty())
    return true;
  std::string_view header = req.header("Authorization");
  const std::string bearer = "Bearer ";
  if (header.compare(0, bearer.size(), bearer) != 0)
    return false;
  return constantTimeEquals(header.substr(bearer.size()), options.apiKey);
}

Result<std::vector<int32_t>>
Server::promptIds(const ApiRequest &request) const {
  if (request.endpoint == Endpoint::Completions)
    return buildPrompt(tokenizer, request.prompt, /*chat=*/false, {});
  // The template writes its own BOS and special tokens, as --chat; the
  // messages' text is ordinary text, so a message that spells
  // `<|im_end|>` cannot close its turn and forge the next.
  return tokenizer.encodeChat(request.messages,
                              /*addGenerationPrompt=*/true);
}

void Server::generate(Endpoint endpoint, HttpExchange &exchange) {
  auto parsed = parseRequest(endpoint, exchange.request().body, limits);
  if (auto *error = std::get_if<ApiError>(&parsed))
    return reply(exchange, *error);
  ApiRequest &request = std::get<ApiRequest>(parsed);
  auto prompt = promptIds(request);
  if (!prompt)
    return reply(
        exchange,
        {400, "invalid_request_error", prompt.error(),
         request.endpoint == Endpoint::Completions ? "prompt" : "messages",
         std::nullopt});
  int64_t promptTokens = static_cast<int64_t>(prompt->size());
  if (promptTokens == 0)
    return reply(exchange, {400, "invalid_request_error", "the prompt is empty",
                            "prompt", std::nullopt});
  if (promptTokens >= contextLimit)
    return reply(
        exchange,
        {400, "invalid_request_error",
         "the prompt has " + std::to_string(promptTokens) +
             " tokens; this model's context is " +
             std::to_string(contextLimit) + " tokens, and one more must fit",
         request.endpoint == Endpoint::Completions ? "prompt" : "messages",
         std::string("context_length_exceeded")});

  if (++inFlight > capacity) {
    --inFlight;
    return reply(exchange,
                 {429, "rate_limit_exceeded",
                  "the server is at capacity (" +
                      std::to_string(options.maxBatch) + " running, " +
                      std::to_string(options.maxQueue) +
                      " queued); retry later",
                  std::nullopt, std::string("rate_limit_exceeded")},
                 {{"Retry-After", "1"}});
  }
  // Freed however this returns: answered, failed or cut off.
  Admission admission(inFlight);

  GenerationRequest generation;
  generation.prompt = std::move(*prompt);
  generation.sampling = request.sampling;
  if (request.seed) {
    generation.seed = *request.seed;
  } else {
    std::lock_guard<std::mutex> lock(seedMutex);
    generation.seed = seeds();
  }
  int64_t room = contextLimit - promptTokens;
  int64_t wanted =
      request.maxTokens.value_or(endpoint == Endpoint::Completions ? 16 : room);
  generation.maxTokens = std::min(wanted, room);
  generation.stopIds = stopIds;
  {
    std::lock_guard<std::mutex> lock(metrics.mutex);
    metrics.promptTokens += promptTokens;
  }

  auto channel = std::make_shared<Channel>();
  engine.submit(std::move(generation), channel);
  // Its destructor cancels whatever is unfinished when this returns.
  Generation state(tokenizer, request.stop, channel, engine);
  ResponseHeader header;
  header.endpoint = endpoint;
  char id[32];
  std::snprintf(id, sizeof id, "%016llx%08llx",
                static_cast<unsigned long long>(started),
                static_cast<unsigned long long>(nextResponse++));
  header.id = (endpoint == Endpoint::Completions ? "cmpl-" : "chatcmpl-") +
              std::string(id);
  header.created = unixSeconds();
  header.model = request.model;

  if (!request.stream) {
    std::string text;
    while (!state.done) {
      text += state.poll(kPollInterval);
      if (!state.done && exchange.clientGone()) {
        // Nobody to answer: free the sequence now.
        state.cancel();
        return reply(exchange, {499, "invalid_request_error",
                                "the client closed the connection",
                                std::nullopt, std::nullopt});
      }
    }
    if (state.error)
      return reply(exchange, {503, "server_error", *state.error, std::nullopt,
                              std::nullopt});
    exchange.respond(200, "application/json",
                     responseBody(header, text, state.finish,
                                  {promptTokens, state.completionTokens}));
    return;
  }

  if (!exchange.startStream(200, "text/event-stream",
                            {{"Cache-Control", "no-cache"}}))
    return state.cancel();
  for (bool first = true; !state.done; first = false) {
    // Between tokens too: a client that left while nothing was written
    // must not keep its sequence running.
    if (exchange.clientGone())
      return state.cancel();
    std::string out;
    if (first && header.endpoint == Endpoint::ChatCompletions)
      out += streamChunk(header, "", /*first=*/true, std::nullopt);
    std::string text = state.poll(kPollInterval);
    if (!text.empty())
      out += streamChunk(header, text, false, std::nullopt);
    if (state.done) {
      if (state.error) {
        ApiError error{503, "server_error", *state.error, std::nullopt,
                       std::nullopt};
        out += "data: " + errorBody(error) + "\n\n";
      } else {
        out += streamChunk(header, "", false, state.finish);
        if (request.streamUsage)
          out +=
              streamUsageChunk(header, {promptTokens, state.completionTokens});
      }
      out += "data: [DONE]\n\n";
    }
    if (!out.empty() && !exchange.write(out))
      return state.cancel();
  }
}

void Server::handle(HttpExchange &exchange) {
  const HttpRequest &req = exchange.request();
  if (req.path != "/health" && !authorized(req))
    return reply(exchange,
                 {401, "invalid_request_error",
                  "a valid API key is required (Authorization: Bearer KEY)",
                  std::nullopt, std::string("invalid_api_key")},
                 {{"WWW-Authenticate", "Bearer"}});
  if (draining && req.method == "POST")
    return reply(exchange, {503, "server_error", "the server is shutting down",
                            std::nullopt, std::nullopt});
  if (req.method == "POST" && req.path == "/v1/chat/completions")
    return generate(Endpoint::ChatCompletions, exchange);
  if (req.method == "POST" && req.path == "/v1/completions")
    return generate(Endpoint::Completions, exchange);
  if (req.method == "GET" && req.path == "/v1/models")
    return exchange.respond(200, "application/json",
                            modelsBody(limits.modelId, started));
  if (req.method == "GET" && req.path == "/health") {
    if (draining)
      return exchange.respond(503, "application/json",
                              "{\"status\": \"shutting down\"}");
    return exchange.respond(200, "application/json", "{\"status\": \"ok\"}");
  }
  if (req.method == "GET" && req.path == "/metrics")
    return exchange.respond(200, "text/plain; version=0.0.4", metrics.render());
  reply(exchange, {404, "invalid_request_error",
                   "no such endpoint: " + req.method + " " + req.path,
                   std::nullopt, std::nullopt});
}

/// Set by the SIGTERM / SIGINT handler (whichever thread the signal lands
/// on: the kernels' thread pool predates the server).
std::atomic<bool> stopRequested{false};
static_assert(std::atomic<bool>::is_always_lock_free,
              "the signal handler may only touch a lock-free atomic");

void onStopSignal(int) { stopRequested = true; }

/// After SIGTERM: stop taking requests, let those in flight finish, stop.
void Server::watchSignals() {
  while (!finished && !stopRequested)
    std::this_thread::sleep_for(kPollInterval);
  if (finished)
    return;
  std::fprintf(stderr, "[serve: stopping: %lld requests in flight]\n",
               static_cast<long long>(inFlight.load()));
  draining = true;
  auto deadline = Clock::now() + kDrainDeadline;
  while (inFlight > 0 && Clock::now() < deadline)
    std::this_thread::sleep_for(kPollInterval);
  if (inFlight > 0) {
    std::fprintf(stderr, "[serve: cancelling %lld requests after %lld s]\n",
                 static_cast<long long>(inFlight.load()),
                 static_cast<long long>(kDrainDeadline.count()));
    engine.cancelAll();
    auto grace = Clock::now() + std::chrono::seconds(5);
    while (inFlight > 0 && Clock::now() < grace)
      std::this_thread::sleep_for(kPollInterval);
  }
  http->stop();
}

int Server::run() {
  HttpServerOptions httpOptions;
  httpOptions.host = options.host;
  httpOptions.port = static_cast<int>(options.port);
  // A worker per connection: enough for every admitted request to wait on
  // its generation and for more to be told 429 (or read /metrics); beyond
  // those, connections wait in a bounded queue, then are answered 429.
  httpOptions.workers = static_cast<size_t>(capacity) + 32;
  httpOptions.maxQueued = 64;
  // Past this a client is cut off rather than holding a worker.
  httpOptions.timeout = std::chrono::seconds(10);
  httpOptions.limits.maxBodyBytes = limits.maxBodyBytes;
  auto errorAnswer = [](const HttpError &error) {
    ApiError api{error.status,
                 error.status >= 500 ? "server_error" : "invalid_request_error",
                 error.message, std::nullopt, std::nullopt};
    if (error.status == 429) {
      api.type = "rate_limit_exceeded";
      api.code = "rate_limit_exceeded";
    }
    return std::make_pair(errorBody(api), std::string("application/json"));
  };
  auto countStatus = [this](const HttpRequest &, int status) {
    std::lock_guard<std::mutex> lock(metrics.mutex);
    ++metrics.requestsByStatus[status];
  };
  HttpServer server(
      httpOptions, [this](HttpExchange &exchange) { handle(exchange); },
      errorAnswer, countStatus);
  std::string error;
  if (!server.bind(error))
    return fail("cannot listen on " + options.host + ":" +
                std::to_string(options.port) + ": " + error);
  int port = server.port();
  std::fprintf(stderr,
               "[serve: model %s on http://%s:%d (context %lld, batch %lld, "
               "queue %lld, %lld KV blocks of %lld tokens)%s]\n",
               limits.modelId.c_str(), options.host.c_str(), port,
               static_cast<long long>(contextLimit),
               static_cast<long long>(options.maxBatch),
               static_cast<long long>(options.maxQueue),
               static_cast<long long>(model.cache().totalBlocks()),
               static_cast<long long>(model.cache().blockTokens()),
               options.apiKey.empty() ? "" : ", API key required");
  bool loopback = options.host == "127.0.0.1" || options.host == "::1" ||
                  options.host == "localhost";
  if (!loopback && options.apiKey.empty())
    std::fprintf(stderr,
                 "[serve: warning: listening on %s without --api-key: "
                 "anyone who can reach it can use it]\n",
                 options.host.c_str());
  http = &server;
  std::thread signalThread([this] { watchSignals(); });
  bool listened = server.run();
  finished = true;
  signalThread.join();
  std::fprintf(stderr, "[serve: stopped]\n");
  return listened || draining ? 0 : fail("the server stopped unexpectedly");
}

} // namespace

int xf::frontends::runServe(CompiledModel &model, const Options &options) {
  if (!model.isPaged())
    return fail("serve needs a model compiled with the paged KV cache (xfc "
                "pages it when every attention fuses)");
  auto tokenizer = Tokenizer::fromWeightsFile(model.weightsFile());
  if (!tokenizer)
    return fail(tokenizer.error());
  struct sigaction action {};
  action.sa_handler = onStopSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  // A client that closes its connection must not end the process.
  std::signal(SIGPIPE, SIG_IGN);

  model.setReusePrefix(true);
  EngineOptions engineOptions;
  engineOptions.maxBatch = options.maxBatch;
  auto drafter = makeDrafter(model, options);
  if (!drafter)
    return usageError(drafter.error());
  std::optional<SpeculativeDecoder> speculative;
  if (*drafter) {
    speculative.emplace(model, **drafter, SpeculationOptions{options.specK});
    engineOptions.speculative = &*speculative;
  }
  Server server(model, *tokenizer, options, std::move(engineOptions));
  return server.run();
}
