//===- Calibration.h - xfc --calibration: activation statistics -*- C++ -*-===//
//
// `xfc --quantize=... --calibration TEXT` first compiles the fp32 model with
// xf-expose-linear-input-grams (in a scratch folder next to OUT), runs that
// program on TEXT (`PROGRAM calibrate`) and hands the statistics it writes
// (each linear input's mean Gram matrix) to xf-quantize-weights, which
// quantizes those layers with GPTQ.
//
//===----------------------------------------------------------------------===//

#ifndef XF_TOOLS_XFC_CALIBRATION_H
#define XF_TOOLS_XFC_CALIBRATION_H

#include "tools/xfc/SelfInvocation.h"

#include <optional>
#include <string>
#include <vector>

namespace xf {

struct CalibrationOptions {
  std::string xfcPath;                // this executable
  std::vector<std::string> arguments; // xfc's command line, argv[1..]
  std::string outputPath, textPath;
  int64_t context = 64, chunks = 64;
};

/// Writes the statistics into `scratch` (created next to OUT) and sets
/// `statisticsPath`; on failure returns a message.
std::optional<std::string>
computeCalibrationStatistics(const CalibrationOptions &options,
                             ScratchFolder &scratch,
                             std::string &statisticsPath);

} // namespace xf

#endif // XF_TOOLS_XFC_CALIBRATION_H
