//===- Engine.cpp - the runtime engine: scheduling, sampling, streaming ---===//

#include "xf/Engine.h"
#include "xf/Speculative.h"

#include <algorithm>
#include <cstdio>

using namespace xf;

std::vector<float> LogitsView::row(int64_t row, int64_t vocab) const {
  std::vector<float> out(vocab);
  for (int64_t v = 0; v < vocab; ++v)
    out[v] = at(row, v);
  return out;
}

ModelStep::~ModelStep() = default;

Engine::Engine(ModelStep &model, EngineOptions options)
    : model(model), options(std::move(options)) {}

Result<RequestId> Engine::submit(GenerationRequest request) {
  RequestId id = nextId;
  // Requests are named as the program's prompts are: from 1.
  std::string name = "prompt " + std::to_string(id + 1);
  if (request.prompt.empty())
    return ErrorMessage{name + " is empty"};
  if (static_cast<int64_t>(request.prompt.size()) >= model.maxContext())
    return ErrorMessage{name + " has " + std::to_string(request.prompt.size()) +
                        " tokens; this program was compiled for at most " +
                        std::to_string(model.maxContext())};
  auto sampler = Sampler::create(request.sampling, request.seed);
  if (!sampler)
    return ErrorMessage{sampler.error()};
  ++nextId;
  requests.emplace(id, Request{std::move(request), std::move(*sampler), {},
                               std::nullopt, std::nullopt, false});
  waiting.push_back(id);
  ++counters.requests;
  return id;
}

bool Engine::advance(RequestId id, const LogitsView &logits, int64_t row) {
  Request &r = requests.at(id);
  std::vector<float> values = logits.row(row, model.vocabSize());
  return accept(id, r.sampler.sample(values.data(), values.size()));
}

bool Engine::accept(RequestId id, int32_t token) {
  Request &r = requests.at(id);
  ++counters.generatedTokens;
  const std::vector<int32_t> &stops = r.params.stopIds;
  bool stop = std::find(stops.begin(), stops.end(), token) != stops.end();
  if (!stop) {
    r.generated.push_back(token);
    if (r.params.onToken && !r.cancelRequested)
      r.params.onToken(id, token);
  }
  std::optional<FinishReason> reason;
  if (stop)
    reason = FinishReason::Stop;
  else if (static_cast<int64_t>(r.generated.size()) >= r.params.maxTokens)
    reason = FinishReason::MaxTokens;
  else if (static_cast<int64_t>(r.params.prompt.size() + r.generated.size()) >=
           model.maxContext())
    reason = FinishReason::MaxContext;
  if (reason)
    finish(id, *reason);
  return reason.has_value();
}

void Engine::freeSequence(Request &r) {
  if (!r.seq)
    return;
  // A draft model's own sequence for it goes too.
  if (options.speculative)
    options.speculative->forget(*r.seq);
  model.cache().freeSequence(*r.seq);
  r.seq.reset();
}

void Engine::finish(RequestId id, FinishReason reason) {
  Request &r = requests.at(id);
  freeSequence(r);
  // Cancelled inside a step that also finished it: cancel() said true.
  r.finished = r.cancelRequested ? FinishReason::Cancelled : reason;
  if (r.params.onFinish)
    r.params.onFinish(id, *r.finished);
}

void Engine::noteUsage() {
  KVCacheStats s = model.cache().stats();
  counters.peakUsedBlocks = std::max(counters.peakUsedBlocks, s.usedBlocks);
  counters.peakSharedBlocks =
      std::max(counters.peakSharedBlocks, s.sharedBlocks);
}

Result<void> Engine::admit() {
  KVCache &kv = model.cache();
  while (!waiting.empty() &&
         static_cast<int64_t>(running.size()) < options.maxBatch) {
    RequestId id = waiting.front();
    Request &r = requests.at(id);
    // A preempted request resumes from everything it has so far.
    std::vector<int32_t> tokens = r.params.prompt;
    tokens.insert(tokens.end(), r.generated.begin(), r.generated.end());
    auto created = kv.createSequence(tokens);
    if (!created) {
      if (running.empty())
        return ErrorMessage{"prompt " + std::to_string(id + 1) +
                            " does not fit in the KV cache even alone: " +
                            created.error() + " (raise --kv-memory)"};
      return {}; // wait for running requests to finish
    }
    waiting.pop_front();
    r.seq = created->id;
    counters.reusedTokens += created->cachedTokens;
    counters.prefillTokens += tokens.size() - created->cachedTokens;
    noteUsage();
    auto logits = model.run({created->id}, /*allRows=*/false);
    if (!logits)
      return ErrorMessage{logits.error()};
    if (!advance(id, *logits, logits->rows - 1))
      running.push_back(id);
  }
  return {};
}

Result<void> Engine::reserveNextTokens() {
  KVCache &kv = model.cache();
  for (size_t i = 0; i < running.size();) {
    Request &r = requests.at(running[i]);
    if (kv.appendTokens(*r.seq, &r.generated.back(), 1)) {
      ++i;
      continue;
    }
    // Preempt the newest sequence: the least work to recompute.
    auto newest = std::max_element(
        running.begin(), running.end(), [&](RequestId a, RequestId b) {
          return *requests.at(a).seq < *requests.at(b).seq;
        });
    if (running.size() == 1)
      return ErrorMessage{"the KV cache cannot hold the next token of prompt " +
                          std::to_string(*newest + 1) + " (raise --kv-memory)"};
    if (options.onPreempt)
      options.onPreempt(*newest);
    ++counters.preemptions;
    // Tokens reserved for it this step are released with it.
    freeSequence(requests.at(*newest));
    waiting.push_front(*newest);
    size_t removed = newest - running.begin();
    running.erase(newest);
    if (removed < i)
      --i;
  }
  return {};
}

Result<void> Engine::decode() {
  noteUsage();
  counters.peakBatch =
      std::max<int64_t>(counters.peakBatch, running.size());
  std::vector<KVCache::SequenceId> seqs;
  for (RequestId id : running)
    seqs.push_back(*requests.at(id).seq);
  auto logits = model.run(seqs, /*allRows=*/false);
  if (!logits)
    return ErrorMessage{logits.error()};
  ++counters.steps;
  std::vector<RequestId> still;
  for (size_t b = 0; b < running.size(); ++b)
    if (!advance(running[b], *logits, b))
      still.push_back(running[b]);
  running = std::move(still);
  return {};
}

Result<void> Engine::decodeSpeculatively() {
  noteUsage();
  counters.peakBatch = std::max<int64_t>(counters.peakBatch, 1);
  RequestId id = running.front();
  Request &r = requests.at(id);
  auto tokens = options.speculative->step(*r.seq, r.generated.back(),
                                          r.sampler);
  if (!tokens)
    return ErrorMessage{tokens.error()};
  ++counters.steps;
  for (int32_t token : *tokens)
    if (accept(id, token)) {
      running.clear();
      break;
    }
  return {};
}

Result<bool> Engine::step() {
  inStep = true;
  Result<void> done = admit();
  if (done && running.size() == 1 && options.speculative) {
    done = decodeSpeculatively();
  } else if (done && !running.empty()) {
    done = reserveNextTokens();
    if (done)
      done = decode();
  }
  inStep = false;
  applyCancels();
  if (!done)
    return ErrorMessage{done.error()};
  return !idle();
}

Result<void> Engine::runToCompletion() {
  for (;;) {
    auto more = step();
    if (!more)
      return ErrorMessage{more.error()};
    if (!*more)
      return {};
  }
}

bool Engine::cancel(RequestId id) {
  auto found = requests.find(id);
  if (found == requests.end() || found->second.finished ||
      found->second.cancelRequested)
    return false;
  found->second.cancelRequested = true;
  pendingCancels.push_back(id);
  // Inside step() the running list is being walked: cancel after it.
  if (!inStep)
    applyCancels();
  return true;
}

void Engine::applyCancels() {
  std::vector<RequestId> cancels = std::move(pendingCancels);
  pendingCancels.clear();
  for (RequestId id : cancels) {
    if (requests.at(id).finished)
      continue; // it finished in the step that cancelled it
    waiting.erase(std::remove(waiting.begin(), waiting.end(), id),
                  waiting.end());
    running.erase(std::remove(running.begin(), running.end(), id),
                  running.end());
    finish(id, FinishReason::Cancelled);
  }
}

std::optional<FinishReason> Engine::finishReason(RequestId id) const {
  auto found = requests.find(id);
  if (found == requests.end())
    return std::nullopt;
  return found->second.finished;
}

const std::vector<int32_t> &Engine::generated(RequestId id) const {
  return requests.at(id).generated;
}

void Engine::release(RequestId id) {
  auto found = requests.find(id);
  if (found != requests.end() && found->second.finished)
    requests.erase(found);
}

std::string Engine::statsLine(double seconds) const {
  const KVCache &kv = model.cache();
  const EngineStats &s = counters;
  char line[512];
  std::snprintf(
      line, sizeof line,
      "[%zu prompts: %lld tokens generated in %.2f s (%.1f tokens/s), %lld "
      "decode steps, batch up to %lld; %lld prompt tokens computed, %lld "
      "reused from the prefix cache; KV cache: peak %lld of %lld blocks "
      "(%.1f of %.1f MiB, %lld tokens per block), peak %lld blocks shared, "
      "%lld preemptions]\n",
      static_cast<size_t>(s.requests),
      static_cast<long long>(s.generatedTokens), seconds,
      s.generatedTokens / std::max(seconds, 1e-9),
      static_cast<long long>(s.steps), static_cast<long long>(s.peakBatch),
      static_cast<long long>(s.prefillTokens),
      static_cast<long long>(s.reusedTokens),
      static_cast<long long>(s.peakUsedBlocks),
      static_cast<long long>(kv.totalBlocks()),
      s.peakUsedBlocks * kv.bytesPerBlock() / 1048576.0,
      kv.totalBlocks() * kv.bytesPerBlock() / 1048576.0,
      static_cast<long long>(kv.config().blockTokens),
      static_cast<long long>(s.peakSharedBlocks),
      static_cast<long long>(s.preemptions));
  return line;
}
