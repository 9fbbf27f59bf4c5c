//===- Calibrate.cpp - calibrate: input Gram matrices for GPTQ ------------===//
//
// The model's xf.gram.* outputs (xf-expose-linear-input-grams: X^T X of the
// inputs of its linear layers) summed over the chunks of the text, written
// as the mean Gram matrix E[x x^T] per input to a weights file that xfc
// --calibration reads.
//
//===----------------------------------------------------------------------===//

#include "Frontends.h"

#include <cmath>
#include <cstdio>

using namespace xf;
using namespace xf::frontends;

namespace {

/// The running sums of one Gram output.
struct Gram {
  size_t output;
  int64_t k = 0;
  std::vector<double> sum;
};

/// Adds the last call's value of each Gram output to its sum.
Result<void> accumulate(const CompiledModel &model, std::vector<Gram> &grams) {
  for (Gram &gram : grams) {
    const OutputView &view = model.lastOutput(gram.output);
    if (view.sizes.size() != 2 || view.sizes[0] != view.sizes[1])
      return ErrorMessage{model.metadata().outputs[gram.output].name +
                          " is not a square matrix"};
    int64_t k = view.sizes[0];
    if (gram.sum.empty()) {
      gram.sum.assign(k * k, 0.0);
      gram.k = k;
    }
    const float *data = static_cast<const float *>(view.aligned) + view.offset;
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < k; ++j)
        gram.sum[i * k + j] += data[i * view.strides[0] + j * view.strides[1]];
  }
  return {};
}

/// Writes the means to `outPath`, with a JSON summary line per matrix on
/// stdout: its trace (the mean squared norm of an input row) and Frobenius
/// norm.
Result<void> writeMeans(const CompiledModel &model,
                        const std::vector<Gram> &grams, int64_t tokens,
                        const Options &options) {
  WeightsFileWriter writer;
  writer.addMetadata("xf.calibration.text", options.textPath);
  writer.addMetadata("xf.calibration.tokens", std::to_string(tokens));
  std::vector<std::vector<float>> means(grams.size());
  for (size_t g = 0; g < grams.size(); ++g) {
    const Gram &gram = grams[g];
    const std::string &name = model.metadata().outputs[gram.output].name;
    means[g].resize(gram.sum.size());
    for (size_t i = 0; i < gram.sum.size(); ++i)
      means[g][i] = float(gram.sum[i] / double(tokens));
    std::string weights = "[]";
    auto recorded = model.metadata().gramWeights.find(name);
    if (recorded != model.metadata().gramWeights.end())
      weights = recorded->second;
    writer.addMetadata(name + ".weights", weights);
    double trace = 0, frobenius = 0;
    for (int64_t i = 0; i < gram.k; ++i)
      trace += means[g][i * gram.k + i];
    for (float v : means[g])
      frobenius += double(v) * v;
    std::printf("{\"name\": %s, \"weights\": %s, \"k\": %lld, \"tokens\": "
                "%lld, \"trace\": %.9g, \"frobenius\": %.9g}\n",
                jsonString(name).c_str(), weights.c_str(),
                static_cast<long long>(gram.k), static_cast<long long>(tokens),
                trace, std::sqrt(frobenius));
    if (auto added = writer.addTensor(name, DType::F32, {gram.k, gram.k},
                                      means[g].data(),
                                      means[g].size() * sizeof(float));
        !added)
      return ErrorMessage{added.error()};
  }
  return writer.write(options.outPath);
}

} // namespace

int xf::frontends::runCalibrate(CompiledModel &model, const Options &options) {
  std::vector<Gram> grams;
  const std::vector<ModelOutput> &outputs = model.metadata().outputs;
  for (size_t o = 0; o < outputs.size(); ++o)
    if (outputs[o].name.rfind("xf.gram.", 0) == 0)
      grams.push_back({o, 0, {}});
  if (grams.empty())
    return fail("this program has no xf.gram.* outputs: compile it with "
                "xfc's calibration (xfc --calibration TEXT does)");
  auto read = readChunks(model, options);
  if (!read)
    return fail(read.error());
  int64_t tokens = 0;
  auto start = Clock::now();
  for (size_t c = 0; c < read->size(); ++c) {
    model.reset();
    auto logits = model.append((*read)[c]);
    if (!logits)
      return fail(logits.error());
    tokens += (*read)[c].size();
    if (auto added = accumulate(model, grams); !added)
      return fail(added.error());
    std::fprintf(stderr, "[chunk %zu/%zu]\n", c + 1, read->size());
  }
  if (auto written = writeMeans(model, grams, tokens, options); !written)
    return fail(written.error());
  std::fprintf(stderr,
               "calibration: %zu input Gram matrices over %lld tokens (%.1f "
               "s) -> %s\n",
               grams.size(), static_cast<long long>(tokens),
               secondsSince(start), options.outPath.c_str());
  return 0;
}
