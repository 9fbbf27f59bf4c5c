//===- Microkernels.cpp - declarations of the runtime's entry points ------===//

#include "codegen/Transforms/Microkernels.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "llvm/ADT/STLExtras.h"

#include <cstdint>

using namespace mlir;

namespace {
/// The MLIR type of each C type in the table's vocabulary. Others have no
/// specialization, so a table entry that uses one does not compile.
template <typename T> struct AbiType {
  static_assert(sizeof(T) == 0, "not in xf/Microkernels.def's vocabulary");
};
template <> struct AbiType<int64_t> {
  static Type get(MLIRContext *context) {
    return IntegerType::get(context, 64);
  }
};
template <> struct AbiType<int32_t> {
  static Type get(MLIRContext *context) {
    return IntegerType::get(context, 32);
  }
};
template <> struct AbiType<float> {
  static Type get(MLIRContext *context) { return Float32Type::get(context); }
};
template <> struct AbiType<void *> {
  static Type get(MLIRContext *context) {
    return LLVM::LLVMPointerType::get(context);
  }
};

/// The func type of a C function type.
template <typename Signature> struct AbiFunctionType;
template <typename... Parameters> struct AbiFunctionType<void(Parameters...)> {
  static FunctionType get(MLIRContext *context) {
    SmallVector<Type> inputs = {AbiType<Parameters>::get(context)...};
    return FunctionType::get(context, inputs, {});
  }
};

/// A callback parameter is a func type: its operand is a func.constant,
/// which the LLVM conversion turns into a function pointer.
template <typename... Parameters> struct AbiType<void (*)(Parameters...)> {
  static Type get(MLIRContext *context) {
    return AbiFunctionType<void(Parameters...)>::get(context);
  }
};

struct Entry {
  xf::Microkernel kernel;
  const char *name;
  const char *doc;
  FunctionType (*type)(MLIRContext *);
};

const Entry kEntries[] = {
#define XF_MICROKERNEL(Id, Symbol, Attributes, Result, Parameters, Doc)        \
  {xf::Microkernel::Id, #Symbol, Doc, &AbiFunctionType<Result Parameters>::get},
#include "xf/Microkernels.def"
};

const Entry &entry(xf::Microkernel kernel) {
  const Entry &result = kEntries[static_cast<size_t>(kernel)];
  assert(result.kernel == kernel && "table out of order");
  return result;
}
} // namespace

llvm::ArrayRef<xf::Microkernel> xf::allMicrokernels() {
  static const Microkernel kernels[] = {
#define XF_MICROKERNEL(Id, Symbol, Attributes, Result, Parameters, Doc)        \
  Microkernel::Id,
#include "xf/Microkernels.def"
  };
  return kernels;
}

StringRef xf::microkernelName(Microkernel kernel) { return entry(kernel).name; }

StringRef xf::microkernelDoc(Microkernel kernel) { return entry(kernel).doc; }

std::optional<xf::Microkernel> xf::lookupMicrokernel(StringRef name) {
  for (const Entry &e : kEntries)
    if (name == e.name)
      return e.kernel;
  return std::nullopt;
}

FunctionType xf::microkernelType(MLIRContext *context, Microkernel kernel) {
  return entry(kernel).type(context);
}

func::FuncOp xf::getOrInsertMicrokernel(OpBuilder &builder, ModuleOp module,
                                        Microkernel kernel) {
  StringRef name = microkernelName(kernel);
  if (auto existing = module.lookupSymbol<func::FuncOp>(name))
    return existing;
  auto function =
      func::FuncOp::create(builder, module.getLoc(), name,
                           microkernelType(module.getContext(), kernel));
  function.setPrivate();
  return function;
}

func::FuncOp xf::getOrInsertMicrokernel(ModuleOp module, Microkernel kernel) {
  OpBuilder builder = OpBuilder::atBlockBegin(module.getBody());
  return getOrInsertMicrokernel(builder, module, kernel);
}
