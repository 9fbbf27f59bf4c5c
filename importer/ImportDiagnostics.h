//===- ImportDiagnostics.h - user-facing error messages -------*- C++ -*-===//

#ifndef XF_IMPORTER_IMPORTDIAGNOSTICS_H
#define XF_IMPORTER_IMPORTDIAGNOSTICS_H

#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/raw_ostream.h"

namespace xf {

/// Prints diagnostics as `FILE: node 'NAME': error: MESSAGE` (the node part
/// only where the location names one), the form the tools show users.
class ImportDiagnosticHandler : public mlir::ScopedDiagnosticHandler {
public:
  ImportDiagnosticHandler(mlir::MLIRContext *context, llvm::raw_ostream &os);
  unsigned numErrors() const { return errors; }

private:
  unsigned errors = 0;
};

} // namespace xf

#endif // XF_IMPORTER_IMPORTDIAGNOSTICS_H
