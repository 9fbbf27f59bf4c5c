//===- ImportDiagnostics.cpp - user-facing error messages -----------------===//

#include "importer/ImportDiagnostics.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Location.h"

using namespace mlir;

namespace xf {

static void printLocation(Location loc, llvm::raw_ostream &os) {
  if (auto name = dyn_cast<NameLoc>(loc)) {
    printLocation(name.getChildLoc(), os);
    os << "node '" << name.getName().getValue() << "': ";
  } else if (auto file = dyn_cast<FileLineColLoc>(loc)) {
    os << file.getFilename().getValue();
    if (file.getLine() != 0)
      os << ":" << file.getLine() << ":" << file.getColumn();
    os << ": ";
  } else if (auto fused = dyn_cast<FusedLoc>(loc)) {
    if (!fused.getLocations().empty())
      printLocation(fused.getLocations().front(), os);
  }
}

ImportDiagnosticHandler::ImportDiagnosticHandler(MLIRContext *context,
                                                 llvm::raw_ostream &os)
    : ScopedDiagnosticHandler(context) {
  setHandler([this, &os](Diagnostic &diag) {
    printLocation(diag.getLocation(), os);
    switch (diag.getSeverity()) {
    case DiagnosticSeverity::Error:
      ++errors;
      os << "error: ";
      break;
    case DiagnosticSeverity::Warning:
      os << "warning: ";
      break;
    default:
      os << "note: ";
      break;
    }
    os << diag.str() << "\n";
    for (const Diagnostic &note : diag.getNotes())
      os << "  note: " << note.str() << "\n";
    os.flush();
    return success();
  });
}

} // namespace xf
