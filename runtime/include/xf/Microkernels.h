//===- Microkernels.h - prototypes of generated code's callees -*- C++ -*-====//
//
// Declares every entry point of xf/Microkernels.def. The definitions in
// runtime/lib include this header, so one whose signature has drifted from
// the table is a compile error ("conflicting types"), and codegen declares
// the same functions from the same table.
//
//===----------------------------------------------------------------------===//

#ifndef XF_RUNTIME_INCLUDE_XF_MICROKERNELS_H
#define XF_RUNTIME_INCLUDE_XF_MICROKERNELS_H

#include <cstdint>

#define XF_MICROKERNEL(Id, Symbol, Attributes, Result, Parameters, Doc)        \
  extern "C" Attributes Result Symbol Parameters;
#include "xf/Microkernels.def"

#endif // XF_RUNTIME_INCLUDE_XF_MICROKERNELS_H
