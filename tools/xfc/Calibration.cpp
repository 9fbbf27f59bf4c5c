//===- Calibration.cpp - xfc --calibration: activation statistics ---------===//
//
// The statistics come from the program xfc itself makes of the fp32 model,
// so they are the activations the quantized program will see (fusion, KV
// cache and all) without any other engine.
//
//===----------------------------------------------------------------------===//

#include "tools/xfc/Calibration.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>

using namespace llvm;

std::optional<std::string>
xf::computeCalibrationStatistics(const CalibrationOptions &options,
                                 ScratchFolder &scratch,
                                 std::string &statisticsPath) {
  auto start = std::chrono::steady_clock::now();
  auto step = [&](const Twine &what) {
    double seconds = std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - start)
                         .count();
    errs() << format("[calibration %7.1fs] ", seconds) << what << "\n";
  };
  if (auto error = scratch.create(options.outputPath + ".calibration"))
    return error;
  // The fp32 program: the user's command without what quantizes, what
  // reports and -o (--emit is exe: --calibration refuses the others).
  static constexpr StringRef dropped[] = {
      "o",           "quantize",          "group-size",
      "head-bits",   "asymmetric",        "symmetric",
      "keep-fp32",   "int8-weights",      "calibration",
      "calibration-stats", "calibration-ctx", "calibration-chunks",
      "eval-text",   "eval-ctx",          "eval-chunks",
      "min-quality", "quality-fallback",  "write-quantization-errors"};
  std::vector<std::string> args =
      selectArguments(splitArguments(options.arguments), [](StringRef name) {
        return !llvm::is_contained(dropped, name);
      });
  std::string program = scratch.file("fp32");
  llvm::append_range(args, std::vector<std::string>{
                               "-o", program, "--expose-linear-input-grams"});
  step("compiling the fp32 model with its linear inputs' Gram matrices as "
       "outputs (" + program + ")");
  if (auto error = runProgram(options.xfcPath, args))
    return "the calibration program did not compile: " + *error;
  statisticsPath = scratch.file("statistics.xfw");
  step(formatv("running it on {0} chunks of {1} tokens of {2}",
               options.chunks ? std::to_string(options.chunks) : "all",
               options.context, options.textPath)
           .str());
  // Its per-matrix summary lines stay in the scratch folder.
  if (auto error = runProgram(
          program,
          {"calibrate", "--file", options.textPath, "--ctx",
           std::to_string(options.context), "--chunks",
           std::to_string(options.chunks), "--out", statisticsPath},
          StringRef(scratch.file("summary.jsonl"))))
    return *error;
  step("statistics in " + statisticsPath);
  return std::nullopt;
}
