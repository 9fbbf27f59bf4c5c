//===- QualityReport.cpp - xfc --eval-text: quantized vs fp32 quality -----===//
//
// The compiles are runs of xfc itself (one per variant), so a report costs
// exactly the builds it names and the ordinary compile path stays one
// straight function. The two programs' logits go to files in the scratch
// folder and are compared one row at a time: memory stays at two rows of
// the vocabulary, not chunks x ctx x vocab floats.
//
//===----------------------------------------------------------------------===//

#include "tools/xfc/QualityReport.h"
#include "tools/xfc/SelfInvocation.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>
#include <fstream>
#include <map>

using namespace llvm;
using namespace xf;

namespace {

namespace json = llvm::json;

class Progress {
public:
  void step(const Twine &what) {
    double seconds = std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - start)
                         .count();
    errs() << format("[quality %7.1fs] ", seconds) << what << "\n";
  }

private:
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
};

struct Metrics {
  double fp32Perplexity = 0, perplexity = 0, meanKL = 0, maxKL = 0, top1 = 0;
  int64_t scored = 0;

  double pplIncreasePercent() const {
    return 100.0 * (perplexity / fp32Perplexity - 1.0);
  }
};

/// The token ids of each chunk, as `PROGRAM logits` prints them.
std::optional<std::string> readChunkIds(StringRef path,
                                        std::vector<std::vector<int64_t>> &ids) {
  auto buffer = MemoryBuffer::getFile(path);
  if (!buffer)
    return "cannot read " + path.str();
  SmallVector<StringRef> lines;
  (*buffer)->getBuffer().split(lines, '\n', -1, /*KeepEmpty=*/false);
  for (StringRef line : lines) {
    std::vector<int64_t> chunk;
    SmallVector<StringRef> fields;
    line.split(fields, ',');
    for (StringRef field : fields) {
      int64_t id;
      if (field.trim().getAsInteger(10, id))
        return path.str() + ": expected comma-separated token ids";
      chunk.push_back(id);
    }
    ids.push_back(std::move(chunk));
  }
  if (ids.empty())
    return path.str() + ": no chunks";
  return std::nullopt;
}

/// log softmax of one row, in double.
void logSoftmax(const std::vector<float> &row, std::vector<double> &out) {
  double maxLogit = *std::max_element(row.begin(), row.end());
  double sum = 0;
  for (float v : row)
    sum += std::exp(v - maxLogit);
  double logSum = maxLogit + std::log(sum);
  out.resize(row.size());
  for (size_t v = 0; v < row.size(); ++v)
    out[v] = row[v] - logSum;
}

/// Compares the two programs' logits row by row. Every position of a chunk
/// but the last is scored (as `PROGRAM ppl`): its next token's negative log
/// likelihood under each model, KL(fp32 || quantized) of the next-token
/// distributions, and whether the argmaxes agree.
std::optional<std::string>
compareLogits(StringRef fp32Path, StringRef quantizedPath,
              const std::vector<std::vector<int64_t>> &ids, Metrics &metrics) {
  int64_t rows = 0;
  for (const auto &chunk : ids)
    rows += chunk.size();
  uint64_t bytes = 0, otherBytes = 0;
  if (sys::fs::file_size(fp32Path, bytes) ||
      sys::fs::file_size(quantizedPath, otherBytes))
    return "cannot read the logits files";
  if (bytes != otherBytes || rows == 0 || bytes % (rows * sizeof(float)))
    return "the logits files do not hold one row per token (" +
           std::to_string(bytes) + " and " + std::to_string(otherBytes) +
           " bytes for " + std::to_string(rows) + " tokens)";
  int64_t vocab = bytes / (rows * sizeof(float));
  std::ifstream fp32(fp32Path.str(), std::ios::binary),
      quantized(quantizedPath.str(), std::ios::binary);
  std::vector<float> p(vocab), q(vocab);
  std::vector<double> logP, logQ;
  double nllP = 0, nllQ = 0, kl = 0;
  int64_t agree = 0;
  for (const auto &chunk : ids) {
    for (size_t i = 0; i < chunk.size(); ++i) {
      fp32.read(reinterpret_cast<char *>(p.data()), vocab * sizeof(float));
      quantized.read(reinterpret_cast<char *>(q.data()), vocab * sizeof(float));
      if (!fp32 || !quantized)
        return "short read from the logits files";
      if (i + 1 == chunk.size())
        continue;
      logSoftmax(p, logP);
      logSoftmax(q, logQ);
      int64_t next = chunk[i + 1];
      if (next < 0 || next >= vocab)
        return "token id " + std::to_string(next) + " outside the vocabulary";
      nllP -= logP[next];
      nllQ -= logQ[next];
      double rowKL = 0;
      for (int64_t v = 0; v < vocab; ++v)
        rowKL += std::exp(logP[v]) * (logP[v] - logQ[v]);
      kl += rowKL;
      metrics.maxKL = std::max(metrics.maxKL, rowKL);
      agree += std::max_element(p.begin(), p.end()) - p.begin() ==
               std::max_element(q.begin(), q.end()) - q.begin();
      ++metrics.scored;
    }
  }
  if (metrics.scored == 0)
    return "no scored positions (chunks of one token)";
  metrics.fp32Perplexity = std::exp(nllP / metrics.scored);
  metrics.perplexity = std::exp(nllQ / metrics.scored);
  metrics.meanKL = kl / metrics.scored;
  metrics.top1 = double(agree) / metrics.scored;
  return std::nullopt;
}

/// Four significant digits, whatever the magnitude (KL can be 1e-7).
std::string number(double value) {
  return formatv("{0}", format("%.4g", value)).str();
}

/// A signed percentage: "+0.18%", "-0.01%".
std::string signedPercent(double value) {
  return formatv("{0}", format("%+.2f%%", value)).str();
}

/// Which bounds `metrics` misses, described; empty when all hold.
std::vector<std::string> missedBounds(const xf::QualityBounds &bounds,
                                      const Metrics &metrics) {
  std::vector<std::string> missed;
  if (bounds.maxPplIncreasePercent &&
      !(metrics.pplIncreasePercent() <= *bounds.maxPplIncreasePercent))
    missed.push_back(formatv("perplexity {0} > +{1}%",
                             signedPercent(metrics.pplIncreasePercent()),
                             number(*bounds.maxPplIncreasePercent)));
  if (bounds.maxMeanKL && !(metrics.meanKL <= *bounds.maxMeanKL))
    missed.push_back(formatv("mean KL {0} > {1}", number(metrics.meanKL),
                             number(*bounds.maxMeanKL)));
  if (bounds.minTop1 && !(metrics.top1 >= *bounds.minTop1))
    missed.push_back(formatv("top-1 agreement {0} < {1}", number(metrics.top1),
                             number(*bounds.minTop1)));
  return missed;
}

/// A quantized layer as xf-quantize-weights described it.
struct LayerError {
  std::string weight;
  int64_t bits = 0, groupSize = 0;
  double relRmsError = 0;
  /// With calibration (GPTQ): the relative output error on the calibration
  /// inputs, of the packing and of rounding to nearest; whether GPTQ's
  /// packing was kept.
  std::optional<double> relOutputError, relOutputErrorRtn;
  std::optional<bool> gptq;
  std::optional<int64_t> gptqRows;

  /// What layers are ranked by: the output error when measured, else the
  /// weight error.
  double rankError() const { return relOutputError.value_or(relRmsError); }
};

std::optional<std::string> readLayerErrors(StringRef path,
                                           std::vector<LayerError> &layers) {
  auto buffer = MemoryBuffer::getFile(path);
  if (!buffer)
    return "cannot read " + path.str();
  SmallVector<StringRef> lines;
  (*buffer)->getBuffer().split(lines, '\n', -1, /*KeepEmpty=*/false);
  std::map<std::string, LayerError> byWeight;
  for (StringRef line : lines) {
    auto value = json::parse(line);
    if (!value)
      return path.str() + ": " + toString(value.takeError());
    const json::Object *object = value->getAsObject();
    LayerError layer;
    auto weight = object ? object->getString("weight") : std::nullopt;
    auto bits = object ? object->getInteger("bits") : std::nullopt;
    auto group = object ? object->getInteger("group_size") : std::nullopt;
    auto error = object ? object->getNumber("rel_rms_error") : std::nullopt;
    if (!weight || !bits || !group || !error)
      return path.str() + ": malformed line " + line.str();
    LayerError &entry = byWeight[weight->str()];
    entry.weight = weight->str();
    entry.bits = *bits;
    entry.groupSize = *group;
    entry.relRmsError = *error;
    entry.relOutputError = object->getNumber("rel_output_error");
    entry.relOutputErrorRtn = object->getNumber("rel_output_error_rtn");
    entry.gptq = object->getBoolean("gptq");
    entry.gptqRows = object->getInteger("gptq_rows");
  }
  for (auto &[name, layer] : byWeight)
    layers.push_back(layer);
  // By output error only when every layer has one (else the two measures
  // would be mixed).
  bool byOutput = llvm::all_of(layers, [](const LayerError &layer) {
    return layer.relOutputError.has_value();
  });
  if (!byOutput)
    for (LayerError &layer : layers)
      layer.relOutputError.reset();
  // Largest error first; ties by name, so the ranking is deterministic.
  llvm::sort(layers, [](const LayerError &a, const LayerError &b) {
    return a.rankError() != b.rankError() ? a.rankError() > b.rankError()
                                          : a.weight < b.weight;
  });
  return std::nullopt;
}

struct Attempt {
  std::vector<std::string> int8Weights; // kept at int8 by the fallback
  Metrics metrics;
  std::vector<std::string> missed;
};

json::Object metricsJson(const Metrics &m) {
  return json::Object{{"perplexity", m.perplexity},
                      {"perplexity_increase_percent", m.pplIncreasePercent()},
                      {"mean_kl", m.meanKL},
                      {"max_kl", m.maxKL},
                      {"top1_agreement", m.top1}};
}

std::optional<std::string> writeFileAtomically(const std::string &path,
                                               const std::string &text) {
  std::string partial = path + ".partial";
  {
    std::error_code ec;
    raw_fd_ostream os(partial, ec);
    if (ec)
      return "cannot write " + partial + ": " + ec.message();
    os << text;
    os.close();
    if (os.has_error()) {
      os.clear_error();
      sys::fs::remove(partial);
      return "cannot write " + partial;
    }
  }
  if (auto ec = sys::fs::rename(partial, path))
    return "cannot write " + path + ": " + ec.message();
  return std::nullopt;
}

int fail(const Twine &message) {
  WithColor::error(errs(), "xfc") << message << "\n";
  return 1;
}

} // namespace

std::optional<std::string> xf::parseQualityBounds(StringRef text,
                                                  QualityBounds &bounds) {
  bounds.text = text.str();
  SmallVector<StringRef> items;
  text.split(items, ',', -1, /*KeepEmpty=*/false);
  if (items.empty())
    return std::string("expected ppl:P%, kl:K or top1:A (comma-separated)");
  for (StringRef item : items) {
    auto [metric, value] = item.trim().split(':');
    bool percent = value.consume_back("%");
    double number;
    if (value.empty() || value.getAsDouble(number) || !(number >= 0))
      return "'" + item.str() + "': expected a non-negative number after ':'";
    if (metric == "ppl") {
      if (!percent)
        return "'" + item.str() +
               "': the perplexity bound is a percent above fp32's, as ppl:3%";
      bounds.maxPplIncreasePercent = number;
    } else if (metric == "kl") {
      if (percent)
        return "'" + item.str() + "': the KL bound is in nats, as kl:0.05";
      bounds.maxMeanKL = number;
    } else if (metric == "top1") {
      double fraction = percent ? number / 100 : number;
      if (fraction > 1)
        return "'" + item.str() +
               "': top-1 agreement is a fraction (0.9) or a percent (90%)";
      bounds.minTop1 = fraction;
    } else {
      return "'" + item.str() + "': unknown metric '" + metric.str() +
             "' (ppl, kl, top1)";
    }
  }
  return std::nullopt;
}

std::optional<std::string>
xf::writeQuantizationErrors(mlir::ModuleOp module, StringRef path) {
  std::error_code ec;
  raw_fd_ostream os(path, ec);
  if (ec)
    return "cannot write " + path.str() + ": " + ec.message();
  module.walk([&](mlir::Operation *op) {
    auto info = op->getAttrOfType<mlir::DictionaryAttr>("xf.quantization");
    auto bits = op->getAttrOfType<mlir::IntegerAttr>("bits");
    auto group = op->getAttrOfType<mlir::IntegerAttr>("group_size");
    if (!info || !bits || !group)
      return;
    auto weight = info.getAs<mlir::StringAttr>("weight");
    auto error = info.getAs<mlir::FloatAttr>("rel_rms_error");
    if (!weight || !error)
      return;
    json::Object line{{"weight", weight.getValue()},
                      {"bits", bits.getInt()},
                      {"group_size", group.getInt()},
                      {"rel_rms_error", error.getValueAsDouble()}};
    if (auto output = info.getAs<mlir::FloatAttr>("rel_output_error")) {
      line["rel_output_error"] = output.getValueAsDouble();
      if (auto rtn = info.getAs<mlir::FloatAttr>("rel_output_error_rtn"))
        line["rel_output_error_rtn"] = rtn.getValueAsDouble();
      if (auto gptq = info.getAs<mlir::BoolAttr>("gptq"))
        line["gptq"] = gptq.getValue();
      if (auto rows = info.getAs<mlir::IntegerAttr>("gptq_rows"))
        line["gptq_rows"] = rows.getInt();
    }
    os << json::Value(std::move(line)) << "\n";
  });
  os.close();
  if (os.has_error()) {
    os.clear_error();
    return "cannot write " + path.str();
  }
  return std::nullopt;
}

namespace {

/// --quality-fallback's candidates, in decreasing order of error: the int4
/// layers whose error exceeds every int8 layer's (and not already int8).
std::vector<std::string>
fallbackCandidates(const std::vector<LayerError> &layers,
                   const std::vector<std::string> &int8Weights) {
  double int8Error = 0;
  for (const LayerError &layer : layers)
    if (layer.bits == 8)
      int8Error = std::max(int8Error, layer.rankError());
  std::vector<std::string> candidates;
  for (const LayerError &layer : layers)
    if (layer.bits == 4 && layer.rankError() > int8Error &&
        !llvm::is_contained(int8Weights, layer.weight))
      candidates.push_back(layer.weight);
  return candidates;
}

/// The report OUT.quality.json holds: the metrics of the last attempt,
/// every attempt, the ranked layer errors and the bounds' verdict.
json::Object reportJson(const QualityReportOptions &options,
                        const std::vector<LayerError> &layers,
                        const std::vector<Attempt> &attempts, size_t chunks) {
  const Attempt &final = attempts.back();
  const Metrics &m = final.metrics;
  bool passed = final.missed.empty();
  bool byOutput = !layers.empty() && layers.front().relOutputError;
  json::Array layerArray;
  for (const LayerError &layer : layers) {
    json::Object entry{
        {"weight", layer.weight},
        {"bits", layer.bits},
        {"group_size", layer.groupSize},
        {"rel_rms_error", layer.relRmsError},
        {"kept_int8_by_fallback",
         llvm::is_contained(final.int8Weights, layer.weight)}};
    if (layer.relOutputError) {
      entry["rel_output_error"] = *layer.relOutputError;
      if (layer.relOutputErrorRtn)
        entry["rel_output_error_rtn"] = *layer.relOutputErrorRtn;
      if (layer.gptq)
        entry["gptq"] = *layer.gptq;
      if (layer.gptqRows)
        entry["gptq_rows"] = *layer.gptqRows;
    }
    layerArray.push_back(std::move(entry));
  }
  std::string measure =
      byOutput
          ? "measured on the calibration text (--calibration): "
            "rel_output_error = sqrt(tr(dW H dW^T) / tr(W H W^T)) with H the "
            "mean Gram matrix of the layer's inputs, the relative RMS error "
            "of the layer's output there, for the packing built "
            "(rel_output_error_rtn: for rounding to nearest; gptq_rows: the "
            "output rows that kept GPTQ's packing, having the lower error); "
            "layers in "
            "decreasing order of rel_output_error. rel_rms_error = ||W - "
            "dequant(quant(W))||_F / ||W||_F. --quality-fallback's "
            "candidates: the int4 layers whose rel_output_error exceeds "
            "every int8 layer's, in this order. Embedding lookups are not "
            "listed"
          : "proxy, not measured on the text: rel_rms_error = ||W - "
            "dequant(quant(W))||_F / ||W||_F of each quantized linear "
            "layer's weight as xf-quantize-weights packed it in the first "
            "build; layers in decreasing order. --quality-fallback's "
            "candidates: the int4 layers whose rel_rms_error exceeds every "
            "int8 layer's, in this order. Embedding lookups are not listed";
  json::Array attemptArray;
  for (const Attempt &attempt : attempts) {
    json::Object entry = metricsJson(attempt.metrics);
    entry["int8_weights"] = json::Array(attempt.int8Weights);
    entry["missed"] = json::Array(attempt.missed);
    attemptArray.push_back(std::move(entry));
  }
  json::Object quantized = metricsJson(m);
  quantized["scheme"] = options.quantize;
  quantized["int8_weights"] = json::Array(final.int8Weights);
  json::Object report{
      {"model", options.modelPath},
      {"program", options.outputPath},
      {"eval",
       json::Object{{"text", options.textPath},
                    {"ctx", options.context},
                    {"chunks", int64_t(chunks)},
                    {"scored_tokens", m.scored},
                    {"scoring",
                     "every position of a chunk but the last predicts the "
                     "next token; each chunk from an empty context (as "
                     "PROGRAM ppl)"}}},
      {"fp32", json::Object{{"perplexity", m.fp32Perplexity}}},
      {"quantized", std::move(quantized)},
      {"kl",
       "mean_kl and max_kl: KL(fp32 || quantized) of the next-token "
       "distributions, in nats, mean and largest over the scored positions"},
      {"layers",
       json::Object{{"measure", measure},
                    {"ranked", std::move(layerArray)}}},
      {"attempts", std::move(attemptArray)},
  };
  if (options.bounds)
    report["min_quality"] = json::Object{
        {"bounds", options.bounds->text},
        {"passed", passed},
        {"fallback", options.fallback},
        {"result", passed ? (attempts.size() > 1 ? "passed after fallback"
                                                 : "passed")
                          : "refused: no program written"}};
  return report;
}

/// The summary xfc prints: metrics, the largest layer errors, the fallback.
void printSummary(const QualityReportOptions &options, StringRef evalNote,
                  const std::vector<LayerError> &layers, const Attempt &final,
                  size_t candidates, StringRef reportPath) {
  const Metrics &m = final.metrics;
  bool byOutput = !layers.empty() && layers.front().relOutputError;
  outs() << formatv("quality of --quantize={0} on {1} ({2} tokens scored):\n",
                    options.quantize, evalNote, m.scored);
  outs() << formatv("  perplexity        fp32 {0:f4}, quantized {1:f4} "
                    "({2})\n",
                    m.fp32Perplexity, m.perplexity,
                    signedPercent(m.pplIncreasePercent()));
  outs() << formatv("  KL(fp32 || quant) mean {0} nats, max {1}\n",
                    number(m.meanKL), number(m.maxKL));
  outs() << formatv("  top-1 agreement   {0:f2}%\n", 100 * m.top1);
  outs() << (byOutput ? "  largest output error (on the calibration text, "
                        "rel. RMS):"
                      : "  largest weight error (proxy, rel. RMS):");
  for (size_t i = 0; i < std::min<size_t>(3, layers.size()); ++i)
    outs() << formatv(" {0} (int{1}) {2:f4}{3}", layers[i].weight,
                      layers[i].bits, layers[i].rankError(),
                      i + 1 < std::min<size_t>(3, layers.size()) ? "," : "");
  if (byOutput) {
    size_t gptq = llvm::count_if(layers, [](const LayerError &layer) {
      return layer.gptq.value_or(false);
    });
    double rtn = 0, built = 0;
    for (const LayerError &layer : layers) {
      built += *layer.relOutputError;
      rtn += layer.relOutputErrorRtn.value_or(*layer.relOutputError);
    }
    outs() << formatv("\n  GPTQ kept on (some rows of) {0} of {1} layers; "
                      "mean output error "
                      "{2:f4} (rounding to nearest: {3:f4})",
                      gptq, layers.size(), built / layers.size(),
                      rtn / layers.size());
  }
  outs() << "\n";
  if (!final.int8Weights.empty())
    outs() << formatv("  fallback: {0} of {1} candidate int4 layers kept at "
                      "int8\n",
                      final.int8Weights.size(), candidates);
  outs() << "  report: " << reportPath << "\n";
  outs().flush();
}

/// The xfc commands of the two builds, from the user's: the quantized one
/// without -o, the report's own options and --int8-weights (given again,
/// merged with the fallback's); the fp32 reference without quantization
/// either.
std::pair<std::vector<std::string>, std::vector<std::string>>
buildArguments(const QualityReportOptions &options) {
  std::vector<Argument> items = splitArguments(options.arguments);
  static constexpr StringRef reportOptions[] = {
      "o",           "eval-text",        "eval-ctx",     "eval-chunks",
      "min-quality", "quality-fallback", "int8-weights", "write-quantization-errors"};
  std::vector<std::string> quantizedArgs =
      selectArguments(items, [](StringRef name) {
        return !llvm::is_contained(reportOptions, name);
      });
  // The reference: the same command without quantization. (Dropping what
  // quantizes rather than keeping what shapes the program: an option kept
  // by mistake fails loudly, one dropped by mistake would not.)
  static constexpr StringRef quantizationOptions[] = {
      "quantize",    "group-size",        "head-bits",
      "asymmetric",  "symmetric",         "keep-fp32",
      "calibration", "calibration-stats", "calibration-ctx",
      "calibration-chunks"};
  std::vector<std::string> referenceArgs =
      selectArguments(items, [](StringRef name) {
        return !llvm::is_contained(reportOptions, name) &&
               !llvm::is_contained(quantizationOptions, name);
      });

  return {quantizedArgs, referenceArgs};
}

} // namespace

int xf::runQualityReport(const QualityReportOptions &options) {
  Progress progress;
  auto [quantizedArgs, referenceArgs] = buildArguments(options);
  // Next to OUT (a relative prefix would put it in the system's temporary
  // folder), so that the program and weights are moved, not copied.
  ScratchFolder scratch;
  if (auto error = scratch.create(options.outputPath + ".quality"))
    return fail(*error);
  auto inScratch = [&](StringRef name) { return scratch.file(name); };
  std::string fp32Program = inScratch("fp32");
  std::string quantizedProgram = inScratch("quantized");
  std::string errorsPath = inScratch("layers.jsonl");
  auto evalArgs = [&](const std::string &program) {
    return std::vector<std::string>{
        "logits",      "--file",   options.textPath,
        "--ctx",       std::to_string(options.context),
        "--chunks",    std::to_string(options.chunks),
        "--logits",    program + ".logits"};
  };
  std::string evalNote =
      formatv("{0} chunks of {1} tokens of {2}",
              options.chunks ? std::to_string(options.chunks) : "all",
              options.context, options.textPath)
          .str();

  progress.step("compiling the fp32 reference (" + fp32Program + ")");
  std::vector<std::string> args = referenceArgs;
  llvm::append_range(args, std::vector<std::string>{"-o", fp32Program});
  if (auto error = runProgram(options.xfcPath, args))
    return fail("the fp32 reference did not compile: " + *error);
  progress.step("running the fp32 reference on " + evalNote);
  if (auto error = runProgram(fp32Program, evalArgs(fp32Program),
                              StringRef(fp32Program + ".ids")))
    return fail(*error);
  std::vector<std::vector<int64_t>> ids;
  if (auto error = readChunkIds(fp32Program + ".ids", ids))
    return fail(*error);

  std::vector<LayerError> layers;
  std::vector<Attempt> attempts;
  // Fallback steps: the int4 layers of largest weight error kept at int8,
  // 1/8 of them, then 1/4, 1/2, all; at most five builds in all.
  std::vector<std::string> candidates;
  static constexpr int kFallbackShares[] = {8, 4, 2, 1};
  size_t nextShare = 0;
  std::vector<std::string> extraInt8;
  while (true) {
    std::vector<std::string> int8Weights = options.int8Weights;
    llvm::append_range(int8Weights, extraInt8);
    progress.step(
        formatv("compiling --quantize={0}{1}", options.quantize,
                extraInt8.empty()
                    ? std::string()
                    : formatv(" with {0} more layers at int8", extraInt8.size())
                          .str())
            .str());
    args = quantizedArgs;
    llvm::append_range(args, std::vector<std::string>{
                                 "-o", quantizedProgram,
                                 "--write-quantization-errors=" + errorsPath});
    if (!int8Weights.empty())
      args.push_back("--int8-weights=" + llvm::join(int8Weights, ","));
    if (auto error = runProgram(options.xfcPath, args))
      return fail("the quantized program did not compile: " + *error);
    if (layers.empty()) {
      if (auto error = readLayerErrors(errorsPath, layers))
        return fail(*error);
      // Only int4 layers whose error exceeds every int8 layer's: at 8 bits
      // a layer's error drops about 16-fold, so below that line (weights
      // already on the int4 grid, as a Q4_1-converted model's) the int4
      // layers are not what costs quality.
      candidates = fallbackCandidates(layers, options.int8Weights);
    }
    progress.step("running the quantized program on " + evalNote);
    if (auto error = runProgram(quantizedProgram, evalArgs(quantizedProgram),
                                StringRef(quantizedProgram + ".ids")))
      return fail(*error);
    std::vector<std::vector<int64_t>> quantizedIds;
    if (auto error = readChunkIds(quantizedProgram + ".ids", quantizedIds))
      return fail(*error);
    if (quantizedIds != ids)
      return fail("the fp32 and quantized programs tokenized " +
                  options.textPath + " differently");
    Attempt attempt;
    attempt.int8Weights = extraInt8;
    if (auto error = compareLogits(fp32Program + ".logits",
                                   quantizedProgram + ".logits", ids,
                                   attempt.metrics))
      return fail(*error);
    sys::fs::remove(quantizedProgram + ".logits");
    if (options.bounds)
      attempt.missed = missedBounds(*options.bounds, attempt.metrics);
    const Metrics &m = attempt.metrics;
    progress.step(formatv("{0}: perplexity {1:f4} (fp32 {2:f4}, {3}), "
                          "mean KL {4}, top-1 agreement {5:f4}{6}",
                          options.quantize, m.perplexity, m.fp32Perplexity,
                          signedPercent(m.pplIncreasePercent()),
                          number(m.meanKL), m.top1,
                          attempt.missed.empty()
                              ? std::string()
                              : "; missed: " + llvm::join(attempt.missed, ", "))
                      .str());
    bool missed = !attempt.missed.empty();
    attempts.push_back(std::move(attempt));
    if (!missed || !options.fallback)
      break;
    size_t count = 0;
    for (; nextShare < std::size(kFallbackShares) && count <= extraInt8.size();
         ++nextShare)
      count = (candidates.size() + kFallbackShares[nextShare] - 1) /
              kFallbackShares[nextShare];
    if (count <= extraInt8.size())
      break; // nothing more to keep at int8
    extraInt8.assign(candidates.begin(), candidates.begin() + count);
  }

  const Attempt &final = attempts.back();
  bool passed = final.missed.empty();
  json::Object report = reportJson(options, layers, attempts, ids.size());
  std::string reportPath = options.outputPath + ".quality.json";
  if (auto error = writeFileAtomically(
          reportPath, formatv("{0:2}\n", json::Value(std::move(report))).str()))
    return fail(*error);

  printSummary(options, evalNote, layers, final, candidates.size(),
               reportPath);

  if (!passed) {
    // OUT and OUT.xfw must never sit next to a report they do not match.
    sys::fs::remove(options.outputPath);
    sys::fs::remove(options.outputPath + ".xfw");
    WithColor::error(errs(), "xfc")
        << "--min-quality=" << options.bounds->text << " missed ("
        << llvm::join(final.missed, ", ")
        << (options.fallback
                ? formatv(", with {0} of {1} candidate int4 layers kept at "
                          "int8",
                          final.int8Weights.size(), candidates.size())
                      .str()
                : std::string(", no --quality-fallback"))
        << "): no program written (" << options.outputPath << " and "
        << options.outputPath << ".xfw are absent); see " << reportPath
        << "\n";
    return 3;
  }
  for (StringRef suffix : {"", ".xfw"})
    if (auto ec = sys::fs::rename(quantizedProgram + suffix.str(),
                                  options.outputPath + suffix.str()))
      return fail("cannot write " + options.outputPath + suffix + ": " +
                  ec.message());
  return 0;
}
