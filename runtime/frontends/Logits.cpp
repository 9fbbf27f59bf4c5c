//===- Logits.cpp - logits: every position's logits over a text -----------===//
//
// The chunks ppl scores, their logits to --logits FILE and their ids to
// stdout, for a comparison of two programs on the same text (xfc
// --eval-text).
//
//===----------------------------------------------------------------------===//

#include "Frontends.h"

#include <cstdio>
#include <fstream>
#include <iostream>

using namespace xf;
using namespace xf::frontends;

int xf::frontends::runLogits(CompiledModel &model, const Options &options) {
  auto read = readChunks(model, options);
  if (!read)
    return fail(read.error());
  int64_t chunks = read->size();
  const std::string &logitsPath = options.logitsPath;
  std::ofstream out(logitsPath, std::ios::binary | std::ios::trunc);
  if (!out)
    return fail("cannot write " + logitsPath);
  for (int64_t c = 0; c < chunks; ++c) {
    const std::vector<int64_t> &chunk = (*read)[c];
    model.reset();
    auto logits = model.append(chunk);
    if (!logits)
      return fail(logits.error());
    for (int64_t r = 0; r < logits->rows; ++r) {
      std::vector<float> row = logits->row(r, model.vocabSize());
      out.write(reinterpret_cast<const char *>(row.data()),
                row.size() * sizeof(float));
    }
    for (size_t i = 0; i < chunk.size(); ++i)
      std::cout << (i ? "," : "") << chunk[i];
    std::cout << "\n";
    std::fprintf(stderr, "[chunk %lld/%lld]\n", static_cast<long long>(c + 1),
                 static_cast<long long>(chunks));
  }
  if (!out.flush())
    return fail("cannot write " + logitsPath);
  return 0;
}
