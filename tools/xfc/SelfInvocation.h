//===- SelfInvocation.h - xfc running itself and its programs ---*- C++ -*-===//
//
// --eval-text and --calibration compile variants of the model by running
// xfc again with an edited command line, and run the programs they make.
//
//===----------------------------------------------------------------------===//

#ifndef XF_TOOLS_XFC_SELFINVOCATION_H
#define XF_TOOLS_XFC_SELFINVOCATION_H

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>
#include <vector>

namespace xf {

/// One command-line item: an option with its value(s), or a positional.
struct Argument {
  std::string name; // empty for a positional argument
  std::vector<std::string> tokens;
};

/// Splits xfc's arguments into items, asking the option registry which
/// options take their value from the next argument.
std::vector<Argument> splitArguments(const std::vector<std::string> &args);

/// The options of `items` for which `keep(name)` holds, and every
/// positional.
std::vector<std::string>
selectArguments(const std::vector<Argument> &items,
                llvm::function_ref<bool(llvm::StringRef)> keep);

/// Runs `program` with `args`; stdout to `stdoutPath` when given. Returns
/// an error message, or nothing on exit status 0.
std::optional<std::string>
runProgram(llvm::StringRef program, llvm::ArrayRef<std::string> args,
           std::optional<llvm::StringRef> stdoutPath = {});

/// A folder removed with everything in it when this goes out of scope, or
/// when xfc is interrupted (SIGINT, SIGTERM, SIGHUP: xfc then exits 130).
struct ScratchFolder {
  llvm::SmallString<256> path;
  ScratchFolder() = default;
  ScratchFolder(const ScratchFolder &) = delete;
  ScratchFolder &operator=(const ScratchFolder &) = delete;
  ~ScratchFolder();
  /// Creates a unique folder named after `prefix` (made absolute); returns
  /// an error message on failure.
  std::optional<std::string> create(llvm::StringRef prefix);
  std::string file(llvm::StringRef name) const;
};

} // namespace xf

#endif // XF_TOOLS_XFC_SELFINVOCATION_H
