//===- Perplexity.cpp - ppl: perplexity over a text -----------------------===//

#include "Frontends.h"

#include <cmath>
#include <cstdio>

using namespace xf;
using namespace xf::frontends;

namespace {

/// -log p(target) of logits row `row`: a max-shifted log-sum-exp in double.
double negativeLogLikelihood(const LogitsView &logits, int64_t row,
                             int64_t vocab, int64_t target) {
  double maxLogit = logits.at(row, 0);
  for (int64_t v = 1; v < vocab; ++v)
    maxLogit = std::max<double>(maxLogit, logits.at(row, v));
  double sum = 0;
  for (int64_t v = 0; v < vocab; ++v)
    sum += std::exp(logits.at(row, v) - maxLogit);
  return maxLogit + std::log(sum) - logits.at(row, target);
}

} // namespace

int xf::frontends::runPerplexity(CompiledModel &model, const Options &options) {
  auto read = readChunks(model, options);
  if (!read)
    return fail(read.error());
  int64_t chunks = read->size(), context = options.context;
  double nll = 0;
  int64_t scored = 0;
  auto start = Clock::now();
  for (int64_t c = 0; c < chunks; ++c) {
    const std::vector<int64_t> &chunk = (*read)[c];
    model.reset();
    auto logits = model.append(chunk);
    if (!logits)
      return fail(logits.error());
    for (int64_t i = 0; i + 1 < context; ++i) {
      nll += negativeLogLikelihood(*logits, i, model.vocabSize(), chunk[i + 1]);
      ++scored;
    }
    std::fprintf(stderr, "[chunk %lld/%lld] perplexity so far %.4f\n",
                 static_cast<long long>(c + 1), static_cast<long long>(chunks),
                 std::exp(nll / scored));
  }
  std::printf("perplexity: %.4f over %lld tokens (%lld chunks of %lld, %.1f "
              "s)\n",
              std::exp(nll / scored), static_cast<long long>(scored),
              static_cast<long long>(chunks), static_cast<long long>(context),
              secondsSince(start));
  return 0;
}
