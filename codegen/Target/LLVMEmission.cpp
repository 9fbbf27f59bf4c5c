//===- LLVMEmission.cpp - LLVM dialect -> object code ---------------------===//

#include "codegen/Target/LLVMEmission.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Transforms/Instrumentation/AddressSanitizer.h"

#include <cstdlib>
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"

using namespace mlir;

LogicalResult xf::addPackedEntryPoint(ModuleOp module, llvm::StringRef function,
                                      llvm::StringRef entryPoint) {
  std::string cifaceName = ("_mlir_ciface_" + function).str();
  auto ciface = module.lookupSymbol<LLVM::LLVMFuncOp>(cifaceName);
  if (!ciface)
    return module.emitError() << "no C interface function '" << cifaceName
                              << "' (was @" << function
                              << " lowered with llvm.emit_c_interface?)";
  auto ptrType = LLVM::LLVMPointerType::get(module.getContext());
  for (Type param : ciface.getFunctionType().getParams())
    if (param != ptrType)
      return ciface.emitError()
             << "has a parameter of type " << param
             << "; the packed entry point passes only pointers";

  OpBuilder builder(module.getBodyRegion());
  builder.setInsertionPointToEnd(module.getBody());
  Location loc = module.getLoc();
  auto voidType = LLVM::LLVMVoidType::get(module.getContext());
  auto packed = LLVM::LLVMFuncOp::create(
      builder, loc, entryPoint,
      LLVM::LLVMFunctionType::get(voidType, {ptrType}));
  Block *entry = packed.addEntryBlock(builder);
  builder.setInsertionPointToStart(entry);
  SmallVector<Value> args;
  for (unsigned i = 0, e = ciface.getNumArguments(); i < e; ++i) {
    Value slot = LLVM::GEPOp::create(builder, loc, ptrType, ptrType,
                                     entry->getArgument(0),
                                     ArrayRef<LLVM::GEPArg>{int32_t(i)});
    args.push_back(LLVM::LoadOp::create(builder, loc, ptrType, slot));
  }
  LLVM::CallOp::create(builder, loc, ciface, args);
  LLVM::ReturnOp::create(builder, loc, ValueRange());
  return success();
}

namespace {
/// An optimized LLVM module and the target machine it was optimized for.
struct OptimizedModule {
  std::unique_ptr<llvm::LLVMContext> context;
  std::unique_ptr<llvm::TargetMachine> machine;
  std::unique_ptr<llvm::Module> module;
};

/// Runs AddressSanitizer over `module`, after the optimizations (as clang
/// does at its optimizer's last extension point), so that only the accesses
/// that remain are checked.
void instrumentWithAddressSanitizer(llvm::Module &module,
                                    llvm::TargetMachine *machine) {
  for (llvm::Function &function : module)
    if (!function.isDeclaration())
      function.addFnAttr(llvm::Attribute::SanitizeAddress);
  llvm::LoopAnalysisManager loops;
  llvm::FunctionAnalysisManager functions;
  llvm::CGSCCAnalysisManager sccs;
  llvm::ModuleAnalysisManager modules;
  llvm::PassBuilder builder(machine);
  builder.registerModuleAnalyses(modules);
  builder.registerCGSCCAnalyses(sccs);
  builder.registerFunctionAnalyses(functions);
  builder.registerLoopAnalyses(loops);
  builder.crossRegisterProxies(loops, functions, sccs, modules);
  llvm::ModulePassManager passes;
  passes.addPass(llvm::AddressSanitizerPass(llvm::AddressSanitizerOptions()));
  passes.run(module, modules);
}

FailureOr<OptimizedModule>
translateAndOptimize(ModuleOp module, llvm::StringRef cpu,
                     const xf::EmissionOptions &emission) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  DialectRegistry registry;
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  // The cuda target's gpu.binary: its image embedded as a global, loaded by
  // a constructor through the runtime's mgpuModuleLoad.
  registerGPUDialectTranslation(registry);
  gpu::registerOffloadingLLVMTranslationInterfaceExternalModels(registry);
  module->getContext()->appendDialectRegistry(registry);

  OptimizedModule result;
  result.context = std::make_unique<llvm::LLVMContext>();
  result.module = translateModuleToLLVMIR(module, *result.context);
  if (!result.module)
    return module.emitError() << "cannot translate the module to LLVM IR";

  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  std::string error;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return module.emitError() << "no LLVM target for " << triple.str() << ": "
                              << error;
  std::string cpuName =
      cpu == "native" ? llvm::sys::getHostCPUName().str() : cpu.str();
  std::string features;
  if (cpu == "native") {
    llvm::SubtargetFeatures subtarget;
    for (const auto &[feature, enabled] : llvm::sys::getHostCPUFeatures())
      subtarget.AddFeature(feature, enabled);
    features = subtarget.getString();
  }
  std::unique_ptr<llvm::MCSubtargetInfo> subtargetInfo(
      target->createMCSubtargetInfo(triple, cpuName, ""));
  if (!subtargetInfo || !subtargetInfo->isCPUStringValid(cpuName))
    return module.emitError() << "unknown CPU '" << cpuName
                              << "' (llc-22 -mcpu=help lists the known ones)";
  llvm::TargetOptions options;
  result.machine.reset(target->createTargetMachine(
      triple, cpuName, features, options, llvm::Reloc::PIC_));
  if (!result.machine)
    return module.emitError() << "cannot create a target machine for CPU '"
                              << cpuName << "'";
  result.module->setTargetTriple(triple);
  result.module->setDataLayout(result.machine->createDataLayout());
  // As clang does: the functions say what they were compiled for, so the
  // IR (--emit=llvm) and any later LLVM step agree with the target machine.
  for (llvm::Function &function : *result.module) {
    if (function.isDeclaration())
      continue;
    function.addFnAttr("target-cpu", cpuName);
    if (!features.empty())
      function.addFnAttr("target-features", features);
  }

  // -O2: the model's hot loops are the runtime's kernels (built -O3); the
  // generated code runs as fast at -O2 (1B f16 prefill and decode, AMD
  // EPYC), and -O3 took 1.6x as long on the one large model function.
  auto optimize = makeOptimizingTransformer(2, 0, result.machine.get());
  if (llvm::Error err = optimize(result.module.get()))
    return module.emitError() << "LLVM optimization failed: "
                              << llvm::toString(std::move(err));
  if (emission.addressSanitizer)
    instrumentWithAddressSanitizer(*result.module, result.machine.get());
  return result;
}

LogicalResult
runClang(llvm::ArrayRef<std::string> arguments, std::string &errorMessage,
         std::optional<llvm::StringRef> stdoutFile = std::nullopt) {
  auto clang = llvm::sys::findProgramByName("clang++-22");
  if (!clang) {
    errorMessage = "clang++-22 (the linker driver) is not on PATH";
    return failure();
  }
  SmallVector<llvm::StringRef> args = {*clang};
  args.append(arguments.begin(), arguments.end());
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, stdoutFile,
                                                std::nullopt};
  int rc = llvm::sys::ExecuteAndWait(
      *clang, args, std::nullopt,
      stdoutFile ? ArrayRef(redirects) : ArrayRef<std::optional<StringRef>>(),
      0, 0, &errorMessage);
  if (rc != 0) {
    if (errorMessage.empty())
      errorMessage = "the link failed (clang++-22 exited with " +
                     std::to_string(rc) + ")";
    return failure();
  }
  return success();
}

/// Where libxfrt.a and libxfrt_main.a are: XFC_RUNTIME_DIR if set, else the
/// build tree xfc came from.
std::string runtimeLibraryDir() {
  if (const char *dir = std::getenv("XFC_RUNTIME_DIR"))
    return dir;
  return XF_RUNTIME_LIBRARY_DIR;
}
} // namespace

FailureOr<std::string> xf::emitObjectFile(ModuleOp module, llvm::StringRef cpu,
                                          const EmissionOptions &options) {
  auto optimized = translateAndOptimize(module, cpu, options);
  if (failed(optimized))
    return failure();
  llvm::SmallVector<char, 0> object;
  llvm::raw_svector_ostream os(object);
  llvm::legacy::PassManager codegen;
  if (optimized->machine->addPassesToEmitFile(
          codegen, os, nullptr, llvm::CodeGenFileType::ObjectFile))
    return module.emitError() << "the target cannot emit object files";
  codegen.run(*optimized->module);
  return std::string(object.begin(), object.end());
}

FailureOr<std::string> xf::emitLLVMIR(ModuleOp module, llvm::StringRef cpu,
                                      const EmissionOptions &options) {
  auto optimized = translateAndOptimize(module, cpu, options);
  if (failed(optimized))
    return failure();
  std::string text;
  llvm::raw_string_ostream os(text);
  optimized->module->print(os, nullptr);
  return text;
}

LogicalResult xf::linkSharedObject(llvm::ArrayRef<std::string> objects,
                                   llvm::StringRef output,
                                   std::string &errorMessage,
                                   const EmissionOptions &options) {
  SmallVector<std::string> args = {"-shared", "-fuse-ld=lld", "-o",
                                   output.str()};
  // The shared runtime: the process that loads the object preloads it.
  if (options.addressSanitizer)
    args.append({"-fsanitize=address", "-shared-libasan"});
  args.append(objects.begin(), objects.end());
  args.push_back(runtimeLibraryDir() + "/libxfrt.a");
  args.push_back("-lm");
  return runClang(args, errorMessage);
}

LogicalResult xf::linkExecutable(llvm::ArrayRef<std::string> objects,
                                 llvm::StringRef output,
                                 std::string &errorMessage,
                                 const EmissionOptions &options) {
  SmallVector<std::string> args = {"-fuse-ld=lld", "-o", output.str()};
  // The static runtime, linked into the program.
  if (options.addressSanitizer)
    args.push_back("-fsanitize=address");
  args.append(objects.begin(), objects.end());
  args.push_back(runtimeLibraryDir() + "/libxfrt_main.a");
  args.push_back(runtimeLibraryDir() + "/libxfrt.a");
  args.push_back("-lm");
  return runClang(args, errorMessage);
}

FailureOr<std::string>
xf::findAddressSanitizerRuntime(std::string &errorMessage) {
  llvm::SmallString<128> answer;
  if (auto ec = llvm::sys::fs::createTemporaryFile("xf-asan", "txt", answer)) {
    errorMessage = "cannot create a temporary file: " + ec.message();
    return failure();
  }
  auto removeAnswer =
      llvm::make_scope_exit([&] { llvm::sys::fs::remove(answer); });
  if (failed(runClang({"-print-file-name=libclang_rt.asan-x86_64.so"},
                      errorMessage, answer.str())))
    return failure();
  auto buffer = llvm::MemoryBuffer::getFile(answer);
  std::string path =
      buffer ? (*buffer)->getBuffer().trim().str() : std::string();
  // clang prints the bare name back when it has no such file.
  if (path.empty() || !llvm::sys::fs::exists(path) ||
      !llvm::sys::path::is_absolute(path)) {
    errorMessage = "clang++-22 has no AddressSanitizer runtime "
                   "(libclang_rt.asan-x86_64.so; Debian's libclang-rt-22-dev "
                   "has it)";
    return failure();
  }
  return path;
}
