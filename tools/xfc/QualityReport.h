//===- QualityReport.h - xfc --eval-text: quantized vs fp32 quality -------===//
//
// `xfc --quantize=... --eval-text TEXT` compiles the quantized program and
// an fp32 reference (in a scratch folder next to OUT, removed afterwards),
// runs both on the same token chunks of TEXT (`PROGRAM logits`), and writes
// OUT.quality.json: both perplexities, the mean KL divergence of the
// quantized next-token distribution from fp32's, top-1 agreement, and the
// quantized layers ranked by their calibration output error (--calibration)
// or else a weight-error proxy. `--min-quality` bounds
// the result; with `--quality-fallback`, the highest-ranked int4 layers are
// kept at int8 until the bounds hold.
//
//===----------------------------------------------------------------------===//

#ifndef XF_TOOLS_XFC_QUALITYREPORT_H
#define XF_TOOLS_XFC_QUALITYREPORT_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>
#include <vector>

namespace xf {

/// Bounds on the quantized model's quality, all of which must hold:
/// `ppl:3%` (perplexity at most 3% above fp32's), `kl:0.05` (mean KL in
/// nats at most 0.05), `top1:0.9` or `top1:90%` (top-1 agreement at least
/// 0.9), comma-separated.
struct QualityBounds {
  std::optional<double> maxPplIncreasePercent, maxMeanKL, minTop1;
  std::string text;
};

/// Parses --min-quality's value; on failure returns a message.
std::optional<std::string> parseQualityBounds(llvm::StringRef text,
                                              QualityBounds &bounds);

struct QualityReportOptions {
  std::string xfcPath;                  // this executable, for the compiles
  std::vector<std::string> arguments;   // xfc's command line, argv[1..]
  std::string modelPath, outputPath, textPath;
  std::string quantize;                 // "int8" or "int4"
  std::vector<std::string> int8Weights; // given by the user
  int64_t context = 512, chunks = 8;
  std::optional<QualityBounds> bounds;
  bool fallback = false;
};

/// Runs the whole report (the compiles included). Returns xfc's exit code:
/// 0 (OUT, OUT.xfw and OUT.quality.json written), 1 (a compile or a run
/// failed: nothing written), 3 (a bound missed: OUT.quality.json only).
int runQualityReport(const QualityReportOptions &options);

/// Writes one JSON object per line for each op carrying xf-quantize-weights'
/// `xf.quantization` attribute: weight, bits, group_size, rel_rms_error and,
/// with calibration, rel_output_error, rel_output_error_rtn and gptq.
std::optional<std::string> writeQuantizationErrors(mlir::ModuleOp module,
                                                   llvm::StringRef path);

} // namespace xf

#endif // XF_TOOLS_XFC_QUALITYREPORT_H
